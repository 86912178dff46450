"""Input checks shared by the parks modules: every failure is an
:class:`~ecozone.errors.InputError` naming the table, column and row."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ecozone.checks import join_notes, no_duplicates, row_label, where  # noqa: F401 (re-exported)
from ecozone.checks import require_columns as _require_columns
from ecozone.errors import InputError


def require_columns(df: pd.DataFrame, table: str, columns: Sequence[str]) -> None:
    """:class:`InputError` unless every one of ``columns`` is in ``df`` (METHODS §3.0)."""
    _require_columns(df, table, columns, section="§3.0")


def numeric(df: pd.DataFrame, column: str, table: str) -> pd.Series:
    """Column as floats (empty cells → NaN); text, infinities and negatives are errors."""
    raw = df[column]
    num = pd.to_numeric(raw, errors="coerce").astype(float)
    empty = raw.isna() | (raw.astype(str).str.strip() == "")
    bad = num.isna() & ~empty
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"value {raw.iloc[i]!r} is not a number ({int(bad.sum())} such cell(s))",
            where=where(table, column, df, i),
            fix=f"column '{column}' must hold numbers only (no text, units or thousands separators)",
        )
    inf = num.notna() & ~np.isfinite(num)
    if inf.any():
        i = int(np.flatnonzero(inf.to_numpy())[0])
        raise InputError("value is infinite", where=where(table, column, df, i),
                         fix="give a finite number or leave the cell empty")
    neg = num < 0
    if neg.any():
        i = int(np.flatnonzero(neg.to_numpy())[0])
        raise InputError(
            f"value {num.iloc[i]:g} is negative ({int(neg.sum())} such cell(s))",
            where=where(table, column, df, i),
            fix="correct the value, or leave the cell empty if it is a missing-data code such as -999",
        )
    return num


def as_list(by: str | Sequence[str] | None) -> list[str]:
    """A grouping given as one column name, several, or none."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def ratio(num, den) -> np.ndarray:
    """num / den as floats; NaN where either is missing or not finite, or den is 0 (never inf)."""
    n = np.asarray(num, dtype=float)
    d = np.asarray(den, dtype=float)
    n, d = np.broadcast_arrays(n, d)
    ok = np.isfinite(n) & np.isfinite(d) & (d != 0)
    out = np.full(n.shape, np.nan)
    with np.errstate(over="ignore"):
        np.divide(n, d, out=out, where=ok)
    # a quotient beyond the float range (denominator ~1e-300) is no usable value either
    out[~np.isfinite(out)] = np.nan
    return out
