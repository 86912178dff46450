"""Input checks shared by the parks modules: every failure is an
:class:`~ecozone.errors.InputError` naming the table, column and row."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ecozone.errors import InputError


def row_label(df: pd.DataFrame, i: int) -> str:
    """How a user finds the i-th row: the spreadsheet row (header = row 1) for a
    default integer index, else the index label."""
    idx = df.index[i]
    if isinstance(idx, (int, np.integer)):
        return str(int(idx) + 2)
    return repr(idx)


def where(table: str, column: str | None = None, df: pd.DataFrame | None = None,
          i: int | None = None) -> str:
    """``table 'parks', column 'province', row 5`` (parts given only)."""
    s = f"table '{table}'"
    if column is not None:
        s += f", column '{column}'"
    if df is not None and i is not None:
        s += f", row {row_label(df, i)}"
    return s


def require_columns(df: pd.DataFrame, table: str, columns: Sequence[str]) -> None:
    """:class:`InputError` unless every one of ``columns`` is in ``df``."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(repr(c) for c in missing)}; columns are: "
            f"{', '.join(map(str, df.columns))}",
            where=where(table),
            fix=f"the {table} table needs columns {', '.join(columns)} (METHODS §3.0)",
        )


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


def no_duplicates(df: pd.DataFrame, table: str, key: Sequence[str]) -> None:
    """:class:`InputError` when two rows share the same ``key``."""
    dup = df.duplicated(list(key), keep=False)
    if dup.any():
        pos = np.flatnonzero(dup.to_numpy())
        i = int(pos[0])
        keyv = ", ".join(f"{k}={df[k].iloc[i]}" for k in key)
        rows = ", ".join(row_label(df, j) for j in pos[:6])
        raise InputError(
            f"rows {rows} repeat the same key ({keyv})",
            where=where(table),
            fix=f"keep one row per {', '.join(key)}",
        )


def as_list(by: str | Sequence[str] | None) -> list[str]:
    """A grouping given as one column name, several, or none."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def join_notes(*parts) -> str:
    """Notes joined with '; ', empty parts dropped, duplicates removed (order kept)."""
    seen: list[str] = []
    for p in parts:
        if p is None or (isinstance(p, float) and np.isnan(p)):
            continue
        for q in str(p).split("; "):
            q = q.strip()
            if q and q not in seen:
                seen.append(q)
    return "; ".join(seen)


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
