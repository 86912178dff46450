"""Tables (METHODS §0.2): read CSV / XLSX / Parquet, validate, convert units.

Every table has a pandera schema. A failing table raises one
:class:`~ecozone.errors.InputError` naming the file, the column, the row
(as a spreadsheet user counts: the header is row 1) and the fix. Values come
out in the contract's canonical units:

- ``air``: µg/m³, CO in mg/m³;
- ``water``: mg/L;
- ``economy``: CNY and persons (declared units such as ``1e4 CNY`` converted);
- ``emissions``: the original ``value``/``unit`` plus ``value_tc`` in t C (12/44 for CO2).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ecozone.errors import InputError

AIR_POLLUTANTS = ("PM2.5", "PM10", "NO2", "SO2", "CO", "O3")
WATER_POLLUTANTS = ("COD", "NH3-N", "TN", "TP", "CODMn", "BOD5")
WATER_CLASSES = ("I", "II", "III", "IV", "V")
C_PER_CO2 = 12.0 / 44.0

_AIR_ALIASES = {
    "pm2.5": "PM2.5", "pm25": "PM2.5", "pm2_5": "PM2.5",
    "pm10": "PM10", "no2": "NO2", "so2": "SO2", "co": "CO",
    "o3": "O3", "o3-8h": "O3", "o3_8h": "O3", "o3-8h-90per": "O3", "co-95per": "CO",
}
_WATER_ALIASES = {
    "cod": "COD", "codcr": "COD", "cod_cr": "COD", "化学需氧量": "COD",
    "nh3-n": "NH3-N", "nh3n": "NH3-N", "nh3_n": "NH3-N", "ammonia": "NH3-N", "氨氮": "NH3-N",
    "tn": "TN", "总氮": "TN", "tp": "TP", "总磷": "TP",
    "codmn": "CODMn", "cod_mn": "CODMn", "permanganate": "CODMn", "高锰酸盐指数": "CODMn",
    "bod5": "BOD5", "bod": "BOD5", "五日生化需氧量": "BOD5",
}
_CLASS_ALIASES = {
    "1": "I", "2": "II", "3": "III", "4": "IV", "5": "V",
    "i": "I", "ii": "II", "iii": "III", "iv": "IV", "v": "V",
    "Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III", "Ⅳ": "IV", "Ⅴ": "V",
}
_WATERBODY_ALIASES = {"river": "river", "lake": "lake", "reservoir": "lake", "河流": "river", "湖库": "lake", "湖泊": "lake", "水库": "lake"}
_CONC_UNITS = {"ug/m3": 1.0, "µg/m3": 1.0, "μg/m3": 1.0, "ug m-3": 1.0, "mg/m3": 1000.0, "mg m-3": 1000.0}
_EMISSION_UNITS = {
    "t co2": C_PER_CO2, "kt co2": 1e3 * C_PER_CO2, "mt co2": 1e6 * C_PER_CO2,
    "t c": 1.0, "kt c": 1e3, "mt c": 1e6,
}
_GDP_UNITS = {"cny": 1.0, "yuan": 1.0, "1e4 cny": 1e4, "10k cny": 1e4, "万元": 1e4, "1e8 cny": 1e8, "亿元": 1e8}
_POP_UNITS = {"persons": 1.0, "person": 1.0, "人": 1.0, "1e4 persons": 1e4, "万人": 1e4, "10k persons": 1e4}


def _norm_unit(u: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", str(u)).strip().lower().replace("³", "3").split())


@dataclass
class TableSchema:
    """What a table must hold: its pandera schema, aliases and unit handling."""

    name: str
    schema: pa.DataFrameSchema
    key: tuple[str, ...]
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)
    # column -> allowed declared units -> factor to the canonical unit
    declared_units: dict[str, dict[str, float]] = field(default_factory=dict)
    finish: Callable[[pd.DataFrame, str], pd.DataFrame] | None = None
    ids: tuple[str, ...] = ("unit_id",)


def _year() -> pa.Column:
    return pa.Column(int, pa.Check.in_range(1900, 2100), coerce=True)


def _nonneg() -> pa.Column:
    return pa.Column(float, pa.Check.ge(0), coerce=True)


def _finish_air(df: pd.DataFrame, where: str) -> pd.DataFrame:
    units = df["unit"].map(_norm_unit)
    bad = ~units.isin(list(_CONC_UNITS))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"row {_row(df, i)}, column 'unit': unknown concentration unit {df['unit'].iloc[i]!r}",
            where=where,
            fix="use ug/m3 (µg/m³) or mg/m3",
        )
    ugm3 = df["value"] * units.map(_CONC_UNITS)
    is_co = df["pollutant"] == "CO"
    # CO is compared in mg/m3, the others in ug/m3
    df = df.assign(value=np.where(is_co, ugm3 / 1000.0, ugm3), unit=np.where(is_co, "mg/m3", "ug/m3"))
    # plausibility: values 1000x off the usual range betray an undeclared unit
    co_hi = is_co & (df["value"] > 50)
    if co_hi.any():
        i = int(np.flatnonzero(co_hi)[0])
        raise InputError(
            f"row {_row(df, i)}: CO = {df['value'].iloc[i]:g} mg/m3 is about 1000x the usual range "
            "(annual 95th percentiles are 0.5-5 mg/m3); the values look like ug/m3",
            where=where,
            fix="set the row's unit to ug/m3 (it is then divided by 1000), or correct the value",
        )
    other_hi = ~is_co & (df["value"] > 2000)
    if other_hi.any():
        i = int(np.flatnonzero(other_hi)[0])
        raise InputError(
            f"row {_row(df, i)}: {df['pollutant'].iloc[i]} = {df['value'].iloc[i]:g} ug/m3 is far above "
            "any annual statistic (the values look like they were given in a unit 1000x too large)",
            where=where,
            fix="check the unit column: particulate and gas concentrations are usually in ug/m3",
        )
    return df


def _finish_water(df: pd.DataFrame, where: str) -> pd.DataFrame:
    # one section: one unit, one waterbody, one target class
    for col in ("unit_id", "waterbody", "target_class"):
        n = df.groupby("section_id")[col].nunique()
        bad = n[n > 1]
        if len(bad):
            sid = bad.index[0]
            vals = sorted(df.loc[df["section_id"] == sid, col].astype(str).unique())
            raise InputError(
                f"section '{sid}' has {len(vals)} different values in column '{col}': {', '.join(vals)}",
                where=where,
                fix=f"give each section one {col}",
            )
    hi = df["value"] > 1000
    if hi.any():
        i = int(np.flatnonzero(hi)[0])
        raise InputError(
            f"row {_row(df, i)}: {df['pollutant'].iloc[i]} = {df['value'].iloc[i]:g} mg/L is implausible",
            where=where,
            fix="water values are in mg/L; convert ug/L by dividing by 1000",
        )
    return df


def _finish_emissions(df: pd.DataFrame, where: str) -> pd.DataFrame:
    units = df["unit"].map(_norm_unit)
    bad = ~units.isin(list(_EMISSION_UNITS))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"row {_row(df, i)}, column 'unit': unknown emission unit {df['unit'].iloc[i]!r}",
            where=where,
            fix="use one of: t CO2, kt CO2, Mt CO2, t C, kt C, Mt C",
        )
    return df.assign(value_tc=df["value"] * units.map(_EMISSION_UNITS))


SCHEMAS: dict[str, TableSchema] = {
    "air": TableSchema(
        "air",
        pa.DataFrameSchema(
            {
                "unit_id": pa.Column(str),
                "year": _year(),
                "pollutant": pa.Column(str, pa.Check.isin(AIR_POLLUTANTS)),
                "value": _nonneg(),
                "unit": pa.Column(str),
            }
        ),
        key=("unit_id", "year", "pollutant"),
        aliases={"pollutant": _AIR_ALIASES},
        finish=_finish_air,
    ),
    "air_daily": TableSchema(
        "air_daily",
        pa.DataFrameSchema(
            {
                "unit_id": pa.Column(str),
                "date": pa.Column("datetime64[ns]", coerce=True),
                "pollutant": pa.Column(str, pa.Check.isin(AIR_POLLUTANTS)),
                "value": pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True),
            }
        ),
        key=("unit_id", "date", "pollutant"),
        aliases={"pollutant": _AIR_ALIASES},
    ),
    "water": TableSchema(
        "water",
        pa.DataFrameSchema(
            {
                "section_id": pa.Column(str),
                "unit_id": pa.Column(str),
                "year": _year(),
                "waterbody": pa.Column(str, pa.Check.isin(["river", "lake"])),
                "target_class": pa.Column(str, pa.Check.isin(WATER_CLASSES)),
                "pollutant": pa.Column(str, pa.Check.isin(WATER_POLLUTANTS + ("DO",))),
                "value": _nonneg(),
            }
        ),
        key=("section_id", "year", "pollutant"),
        aliases={
            "pollutant": _WATER_ALIASES,
            "target_class": _CLASS_ALIASES,
            "waterbody": _WATERBODY_ALIASES,
        },
        finish=_finish_water,
    ),
    "economy": TableSchema(
        "economy",
        pa.DataFrameSchema(
            {
                "unit_id": pa.Column(str),
                "year": _year(),
                "gdp": pa.Column(float, pa.Check.gt(0), coerce=True),
                "population": pa.Column(float, pa.Check.gt(0), coerce=True),
            }
        ),
        key=("unit_id", "year"),
        declared_units={"gdp": _GDP_UNITS, "population": _POP_UNITS},
    ),
    "emissions": TableSchema(
        "emissions",
        pa.DataFrameSchema(
            {
                "unit_id": pa.Column(str),
                "year": _year(),
                "value": pa.Column(float, coerce=True),
                "unit": pa.Column(str),
            }
        ),
        key=("unit_id", "year"),
        finish=_finish_emissions,
    ),
    "development": TableSchema(
        "development",
        pa.DataFrameSchema({"unit_id": pa.Column(str), "year": _year()}),
        key=("unit_id", "year"),
    ),
    "ecological_function": TableSchema(
        "ecological_function",
        pa.DataFrameSchema({"unit_id": pa.Column(str), "zone_type": pa.Column(str)}),
        key=("unit_id",),
    ),
}

_CHECK_WORDS = {
    "isin": "is not one of the allowed values",
    "in_range": "is out of range",
    "greater_than_or_equal_to": "must be >= {arg}",
    "greater_than": "must be > {arg}",
    "coerce_dtype": "is not a number",
    "dtype": "has the wrong type",
    "not_nullable": "is empty",
    "column_in_dataframe": "is missing",
}


def _row(df: pd.DataFrame, i: int) -> int:
    """Spreadsheet row number (header = row 1) of the i-th data row."""
    idx = df.index[i]
    return int(idx) + 2 if isinstance(idx, (int, np.integer)) else i + 2


def read_frame(path: Path, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a CSV, XLSX or Parquet file as strings-preserving pandas DataFrame."""
    if not path.exists():
        raise InputError("table file not found", where=str(path), fix="correct the path in [tables]")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
        elif suffix in (".xlsx", ".xlsm", ".xls"):
            df = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=str)
        elif suffix in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        else:
            raise InputError(
                f"unsupported table format '{suffix}'",
                where=str(path),
                fix="give a .csv, .xlsx or .parquet file",
            )
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001 - the reader's message is the useful part
        raise InputError(f"cannot be read ({e})", where=str(path), fix="check the file's format") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _apply_aliases(df: pd.DataFrame, col: str, aliases: dict[str, str]) -> pd.DataFrame:
    canon = {v.lower(): v for v in aliases.values()}

    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return v
        t = unicodedata.normalize("NFKC", str(v)).strip()
        key = t.lower()
        return aliases.get(key, canon.get(key, aliases.get(t, t)))

    df[col] = df[col].map(one)
    return df


def validate_table(
    name: str,
    df: pd.DataFrame,
    *,
    where: str,
    declared_units: dict[str, str] | None = None,
    unit_ids: set[str] | None = None,
) -> pd.DataFrame:
    """Validate one table and return it in canonical units.

    Parameters
    ----------
    name: the contract's table name (``air``, ``water`` …).
    df: the table as read (strings are fine; numbers are coerced).
    where: the file, for messages.
    declared_units: ``{column: unit}`` from the study file (e.g. ``{"gdp": "1e4 CNY"}``).
    unit_ids: the ids of all units of the study; rows naming others are errors.
    """
    if name not in SCHEMAS:
        raise InputError(
            f"table '{name}' has no schema in this version of ecozone",
            where=where,
            fix="remove it from [tables]",
        )
    spec = SCHEMAS[name]
    if len(df) == 0:
        raise InputError(
            f"the {name} table is empty (no data rows)",
            where=where,
            fix=f"fill it, or remove '{name}' from [tables] so the analyses needing it are skipped",
        )
    df = df.reset_index(drop=True).copy()
    missing = [c for c in spec.schema.columns if c not in df.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(repr(c) for c in missing)}; columns are: {', '.join(df.columns)}",
            where=where,
            fix=f"the {name} table needs columns {', '.join(spec.schema.columns)} (METHODS §0.2)",
        )
    for col in spec.ids + ("section_id",):
        if col in df.columns:
            df[col] = df[col].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip())
            df[col] = df[col].str.replace(r"\.0$", "", regex=True)
    for col in df.columns:
        if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
            df[col] = df[col].map(lambda v: v.strip() if isinstance(v, str) else v)
    for col, al in spec.aliases.items():
        df = _apply_aliases(df, col, al)

    # empty required cells first: the clearest message
    for col in spec.schema.columns:
        colspec = spec.schema.columns[col]
        if colspec.nullable:
            continue
        empty = df[col].isna() | (df[col].astype(str) == "")
        if empty.any():
            i = int(np.flatnonzero(empty)[0])
            hint = {
                "target_class": "give every monitored section its target water-quality class (I-V, GB 3838-2002)",
            }.get(col, f"fill column '{col}' in every row (or remove the row)")
            raise InputError(
                f"row {_row(df, i)}, column '{col}' is empty ({int(empty.sum())} row(s) in all)",
                where=where,
                fix=hint,
            )

    try:
        df = spec.schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as e:
        raise _schema_error(e, spec, df, where) from None

    # declared units
    declared_units = declared_units or {}
    for col, u in declared_units.items():
        table = spec.declared_units.get(col)
        if table is None:
            raise InputError(
                f"a unit is declared for column '{col}', which has no declarable unit",
                where=where,
                fix=f"declare units only for: {', '.join(spec.declared_units) or 'no column of this table'}",
            )
        f = table.get(_norm_unit(u))
        if f is None:
            raise InputError(
                f"unknown unit {u!r} declared for column '{col}'",
                where=where,
                fix=f"use one of: {', '.join(table)}",
            )
        df[col] = df[col] * f

    dup = df.duplicated(list(spec.key), keep=False)
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        rows = [str(_row(df, j)) for j in np.flatnonzero(dup)[:6]]
        keyv = ", ".join(f"{k}={df[k].iloc[i]}" for k in spec.key)
        raise InputError(
            f"rows {', '.join(rows)} repeat the same key ({keyv})",
            where=where,
            fix=f"keep one row per {', '.join(spec.key)}",
        )

    if unit_ids is not None and "unit_id" in df.columns:
        unknown = ~df["unit_id"].isin(unit_ids)
        if unknown.any():
            i = int(np.flatnonzero(unknown)[0])
            n = int(unknown.sum())
            raise InputError(
                f"row {_row(df, i)}: unit_id '{df['unit_id'].iloc[i]}' is not a unit of the study "
                f"at any level ({n} row(s) with unknown ids)",
                where=where,
                fix="correct the id (ids must match the units layer's id columns) or remove the rows",
            )

    if spec.finish is not None:
        df = spec.finish(df, where)
    return df


def _schema_error(e: pa.errors.SchemaErrors, spec: TableSchema, df: pd.DataFrame, where: str) -> InputError:
    fc = e.failure_cases
    fc = fc[fc["column"].notna()]
    if len(fc) == 0:
        return InputError(str(e).splitlines()[0], where=where, fix="check the table against METHODS §0.2")
    r = fc.iloc[0]
    col = r["column"]
    check = str(r["check"])
    head = check.split("(")[0]
    arg = check[len(head) + 1 : -1] if "(" in check else ""
    words = _CHECK_WORDS.get(head, f"fails check {check}").format(arg=arg)
    n = int(fc.loc[fc["column"] == col, "index"].nunique())
    val = r["failure_case"]
    val = repr(val) if isinstance(val, str) else f"{val:g}" if isinstance(val, (int, float, np.number)) else repr(str(val))
    idx = r["index"]
    row = f"row {int(idx) + 2}, " if idx is not None and not pd.isna(idx) else ""
    fix = f"correct column '{col}'"
    if head == "isin":
        allowed = arg
        for chk in spec.schema.columns[col].checks:
            if chk.name == "isin":
                allowed = ", ".join(str(v) for v in chk.statistics["allowed_values"])
        fix = f"use one of: {allowed}"
    elif head in ("coerce_dtype", "dtype"):
        fix = f"column '{col}' must hold numbers only (no text, units or thousands separators)"
    elif head in ("greater_than_or_equal_to", "greater_than"):
        fix = f"column '{col}' cannot be negative; correct or remove the row"
    return InputError(
        f"{row}column '{col}': value {val} {words} ({n} failing cell(s) in this column)",
        where=where,
        fix=fix,
    )


def load_table(
    name: str,
    path: Path,
    *,
    sheet: str | int | None = None,
    declared_units: dict[str, str] | None = None,
    unit_ids: set[str] | None = None,
) -> pd.DataFrame:
    """Read and validate one contract table from a file (see :func:`validate_table`)."""
    df = read_frame(path, sheet)
    return validate_table(name, df, where=str(path), declared_units=declared_units, unit_ids=unit_ids)
