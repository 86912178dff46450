"""Input checks shared by the analyses: every failure is an
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


def where(table: str, column: str | None = None, df: pd.DataFrame | None = None, i: int | None = None) -> str:
    """``table 'air', column 'value', row 5`` (parts given only)."""
    s = f"table '{table}'"
    if column is not None:
        s += f", column '{column}'"
    if df is not None and i is not None:
        s += f", row {row_label(df, i)}"
    return s


def require_columns(df: pd.DataFrame, table: str, columns: Sequence[str], section: str = "§0.2") -> None:
    """:class:`InputError` unless every one of ``columns`` is in ``df`` (``section``: where METHODS lists them)."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(repr(c) for c in missing)}; columns are: "
            f"{', '.join(map(str, df.columns))}",
            where=where(table),
            fix=f"the {table} table needs columns {', '.join(columns)} (METHODS {section})",
        )


def no_duplicates(df: pd.DataFrame, table: str, key: Sequence[str]) -> None:
    """:class:`InputError` when two rows share the same ``key`` (the rows are named)."""
    dup = df.duplicated(list(key), keep=False)
    if dup.any():
        pos = np.flatnonzero(dup.to_numpy())
        i = int(pos[0])
        keyv = ", ".join(f"{k}={df[k].iloc[i]}" for k in key)
        rows = ", ".join(row_label(df, j) for j in pos[:6])
        raise InputError(
            f"rows {rows} repeat the same key ({keyv})",
            where=where(table) + f", rows {rows}",
            fix=f"keep one row per {', '.join(key)}",
        )


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


__all__ = ["join_notes", "no_duplicates", "require_columns", "row_label", "where"]
