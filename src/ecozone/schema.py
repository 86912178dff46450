"""Declared output tables: every column's type, unit and labels (METHODS §0.4).

Each analysis keeps its output schema next to its code, as a CSV file
``schema.csv`` in its package, one row per column of every table it writes:

==============  ==============================================================
``table``       output table (a layer of ``results.gpkg``, a sheet of the XLSX)
``column``      column name
``dtype``       ``float`` (REAL), ``int`` (INTEGER), ``str`` (TEXT),
                ``bool`` (BOOLEAN)
``unit``        unit of the column (``t C``, ``km²``, ``–`` for an index …)
``unit_zh``     its Chinese form when it differs (``个``, ``元/人`` …)
``en``, ``zh``  English and Chinese label (XLSX headers, report, QGIS)
``codes``       label category of a coded column (``state``, ``zone`` …)
``key``         ``yes`` for the columns that key a row
==============  ==============================================================

:func:`conform` casts a result table to its declared types whatever pandas
inferred (an all-empty column stays REAL when it is declared ``float``; a
column of numbers held as objects is written as numbers), so the GeoPackage,
PostGIS and XLSX see the same types on every run.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from ecozone.errors import EcozoneError

DTYPES = ("float", "int", "str", "bool")

#: SQL type each dtype is stored as in a GeoPackage (SQLite) and in PostGIS.
SQL_TYPES = {
    "float": ("REAL", "double precision"),
    "int": ("INTEGER", "bigint"),
    "str": ("TEXT", "text"),
    "bool": ("BOOLEAN", "boolean"),
}


class SchemaError(EcozoneError):
    """A result table does not match its declared schema (a defect of ecozone, not of the inputs)."""


@dataclass(frozen=True)
class Column:
    """One declared column."""

    name: str
    dtype: str
    unit: str = ""
    unit_zh: str = ""
    en: str = ""
    zh: str = ""
    codes: str = ""
    key: bool = False


@dataclass(frozen=True)
class TableSchema:
    """The declared columns of one output table, in order."""

    name: str
    columns: tuple[Column, ...] = field(default_factory=tuple)

    def __getitem__(self, column: str) -> Column:
        for c in self.columns:
            if c.name == column:
                return c
        raise KeyError(column)

    def __contains__(self, column: str) -> bool:
        return any(c.name == column for c in self.columns)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def keys(self) -> list[str]:
        return [c.name for c in self.columns if c.key]


def read_schema(path: Path | str) -> dict[str, TableSchema]:
    """Read a ``schema.csv`` into ``{table: TableSchema}`` (checks dtypes and repeats)."""
    path = Path(path)
    cols: dict[str, list[Column]] = {}
    with open(path, encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.DictReader(f), start=2):
            table, name, dtype = row["table"].strip(), row["column"].strip(), row["dtype"].strip()
            if dtype not in DTYPES:
                raise SchemaError(
                    f"dtype {dtype!r} of {table}.{name} is not one of {', '.join(DTYPES)}",
                    where=f"{path}, row {i}",
                    fix="declare float, int, str or bool",
                )
            if any(c.name == name for c in cols.get(table, [])):
                raise SchemaError(f"column {table}.{name} is declared twice", where=f"{path}, row {i}",
                                  fix="keep one row per column")
            cols.setdefault(table, []).append(
                Column(
                    name=name,
                    dtype=dtype,
                    unit=(row.get("unit") or "").strip(),
                    unit_zh=(row.get("unit_zh") or "").strip(),
                    en=(row.get("en") or "").strip(),
                    zh=(row.get("zh") or "").strip(),
                    codes=(row.get("codes") or "").strip(),
                    key=(row.get("key") or "").strip().lower() in ("yes", "true", "1"),
                )
            )
    return {t: TableSchema(t, tuple(c)) for t, c in cols.items()}


@cache
def package_schema(package: str) -> dict[str, TableSchema]:
    """The schema shipped as ``schema.csv`` in an analysis package (e.g. ``"ecozone.carbon"``)."""
    from importlib import resources

    return read_schema(Path(str(resources.files(package).joinpath("schema.csv"))))


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)


def conform(df: pd.DataFrame, schema: TableSchema, *, strict: bool = True) -> pd.DataFrame:
    """``df`` with every declared column cast to its declared type.

    ``float`` → float64 (missing = NaN), ``int`` → Int64 (nullable),
    ``bool`` → pandas ``boolean`` (nullable), ``str`` → text (missing = None;
    numbers keep their decimal form). Columns keep their order. With
    ``strict`` a column that is not declared, or a value that cannot take
    the declared type (text in a float column), raises :class:`SchemaError`;
    otherwise undeclared columns pass unchanged.
    """
    out = df.copy()
    undeclared = [c for c in out.columns if c not in schema]
    if undeclared and strict:
        raise SchemaError(
            f"table '{schema.name}' has undeclared column(s) {undeclared}",
            where=f"schema of table '{schema.name}'",
            fix="declare every output column in the analysis' schema.csv (dtype, unit, labels)",
        )
    for col in out.columns:
        if col not in schema:
            continue
        dtype = schema[col].dtype
        s = out[col]
        try:
            if dtype == "float":
                if isinstance(s.dtype, pd.CategoricalDtype):
                    s = s.astype(object)
                if s.dtype == object:
                    s = s.map(lambda v: np.nan if _missing(v) else v)
                out[col] = pd.to_numeric(s, errors="raise").astype("float64")
            elif dtype == "int":
                v = pd.to_numeric(s.map(lambda v: np.nan if _missing(v) else v) if s.dtype == object else s,
                                  errors="raise")
                if v.notna().any() and not np.all(np.mod(v.dropna().to_numpy(dtype=float), 1) == 0):
                    raise ValueError("non-integer values")
                out[col] = v.astype("Int64")
            elif dtype == "bool":
                if s.dtype == object:
                    s = s.map(lambda v: pd.NA if _missing(v) else bool(v))
                out[col] = s.astype("boolean")
            else:
                out[col] = pd.Series([None if _missing(v) else str(v) for v in s.astype(object)],
                                     index=s.index, dtype=object)
        except (TypeError, ValueError) as e:
            raise SchemaError(
                f"column {schema.name}.{col} cannot be stored as {dtype} ({e})",
                where=f"table '{schema.name}'",
                fix="this is a defect of the analysis that wrote the table; please report it",
            ) from None
    return out


__all__ = ["Column", "DTYPES", "SQL_TYPES", "SchemaError", "TableSchema", "conform", "package_schema", "read_schema"]
