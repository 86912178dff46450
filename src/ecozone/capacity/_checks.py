"""Input checks shared by the capacity modules: every failure is an
:class:`~ecozone.errors.InputError` naming the table, column and row."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecozone.checks import join_notes, no_duplicates, require_columns, row_label, where  # noqa: F401 (re-exported)
from ecozone.errors import InputError


def map_distinct(s: pd.Series, f) -> pd.Series:
    """``s.map(f)`` (as objects) with ``f`` called once per distinct value.

    Columns of one type (text, numbers) are factorised; an object column,
    whose values may be equal across types (``1 == 1.0 == True``), is mapped
    value by value.
    """
    if s.dtype == object:
        return s.map(f).astype(object)
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    na = codes < 0
    vals = [f(v) for v in uniq]
    vals.append(f(s[na].iloc[0]) if na.any() else None)  # code −1: the column's missing value
    out = np.empty(len(vals), dtype=object)
    out[:] = vals
    return pd.Series(out[codes], index=s.index, dtype=object)


def _one_id(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def ids(s: pd.Series) -> pd.Series:
    """Ids as stripped strings ("" for empty); integers stored as floats lose their '.0'."""
    return map_distinct(s, _one_id)


def numeric(df: pd.DataFrame, column: str, table: str, *, allow_missing: bool = False,
            nonnegative: bool = True) -> pd.Series:
    """Column as floats; text, infinities, negatives (and empties unless allowed) are errors."""
    raw = df[column]
    num = pd.to_numeric(raw, errors="coerce").astype(float)
    empty = raw.isna() | (raw.astype(str).str.strip() == "")
    bad_text = num.isna() & ~empty
    if bad_text.any():
        i = int(np.flatnonzero(bad_text.to_numpy())[0])
        raise InputError(
            f"value {raw.iloc[i]!r} is not a number ({int(bad_text.sum())} such cell(s))",
            where=where(table, column, df, i),
            fix=f"column '{column}' must hold numbers only (no text, units or thousands separators)",
        )
    if not allow_missing and empty.any():
        i = int(np.flatnonzero(empty.to_numpy())[0])
        raise InputError(
            f"the cell is empty ({int(empty.sum())} empty cell(s))",
            where=where(table, column, df, i),
            fix=f"fill column '{column}' in every row, or remove the row",
        )
    inf = ~np.isfinite(num) & num.notna()
    if inf.any():
        i = int(np.flatnonzero(inf.to_numpy())[0])
        raise InputError("value is infinite", where=where(table, column, df, i), fix="give a finite number")
    if nonnegative:
        neg = num < 0
        if neg.any():
            i = int(np.flatnonzero(neg.to_numpy())[0])
            raise InputError(
                f"value {num.iloc[i]:g} is negative; a concentration cannot be ({int(neg.sum())} such cell(s))",
                where=where(table, column, df, i),
                fix="correct the value (or remove the row if it is a missing-data code such as -999)",
            )
    return num


def known_values(df: pd.DataFrame, column: str, table: str, allowed, what: str) -> None:
    bad = ~df[column].isin(list(allowed))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"unknown {what} {df[column].iloc[i]!r} ({int(bad.sum())} row(s))",
            where=where(table, column, df, i),
            fix=f"use one of: {', '.join(map(str, allowed))}",
        )


