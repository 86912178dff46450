"""Tables (METHODS §0.2): read CSV / XLSX / Parquet, validate, convert units.

Every table has a pandera schema. A failing table raises one
:class:`~ecozone.errors.InputError` naming the file, the column, the row
(as a spreadsheet user counts: the header is row 1) and the fix. Values come
out in the contract's canonical units:

- ``air``: µg/m³, CO in mg/m³;
- ``water``: mg/L;
- ``economy``: CNY and persons (declared units such as ``1e4 CNY`` converted);
- ``emissions``: the original ``value``/``unit`` plus ``value_tc`` in t C (12/44 for CO2).

Missing values: in every numeric column a cell holding one of
:data:`MISSING_MARKERS` (``—``, ``-``, ``/``, ``…``, ``NA``, ``无``, an empty
cell …, as Chinese statistical tables write them) is read as missing. A row
whose measured value is missing is left out (it says nothing); in the economy
table a missing GDP or population stays missing. How many cells were read as
missing, per file and column, is in the returned table's ``attrs["notes"]``.
Any other text in a numeric column is an error.
"""

from __future__ import annotations

import re
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

#: Cell contents read as "missing" in every numeric column of every table: what
#: Chinese statistical yearbooks and monitoring exports put in empty cells. Matched
#: after Unicode NFKC normalisation (so full-width forms such as ``－``, ``／``,
#: ``ＮＡ`` match their ASCII twins), without surrounding spaces, ignoring case.
MISSING_MARKERS: tuple[str, ...] = (
    "", "—", "——", "–", "―", "-", "--", "－", "/", "／", "…", "……", "...",
    "NA", "N/A", "n/a", "NaN", "无",
)


def _norm_cell(v: str) -> str:
    return unicodedata.normalize("NFKC", v).strip().casefold()


_MISSING = frozenset(_norm_cell(m) for m in MISSING_MARKERS)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def is_missing_marker(v) -> bool:
    """Whether a table cell means "no value".

    Parameters
    ----------
    v: a cell as read (text, a number, None or NaN; no unit).

    Returns
    -------
    True for None, NaN and text that is one of :data:`MISSING_MARKERS` after
    NFKC normalisation, without surrounding spaces, ignoring case.
    """
    if v is None or v is pd.NA:
        return True
    if isinstance(v, (float, np.floating)):
        return bool(np.isnan(v))
    if isinstance(v, str):
        return _norm_cell(v) in _MISSING
    return False


def markers_help() -> str:
    """The missing-value markers as a user reads them in a message.

    Returns
    -------
    ``"an empty cell or —, ——, …"``: :data:`MISSING_MARKERS`, for the fix of an error message.
    """
    return "an empty cell or " + ", ".join(m for m in MISSING_MARKERS if m)

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
    # measured columns: a row where all of them are missing says nothing and is left out
    values: tuple[str, ...] = ()
    # header aliases: a header as users write it (any case; e.g. Chinese) -> the column it means
    headers: dict[str, str] = field(default_factory=dict)
    # a check against the study's units, run last when they are given: (table, units frame with
    # level and unit_id, where) -> table (e.g. origin and destination known and at one level)
    check_units: Callable[[pd.DataFrame, pd.DataFrame, str], pd.DataFrame] | None = None


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
        values=("value",),
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
        values=("value",),
    ),
    "economy": TableSchema(
        "economy",
        pa.DataFrameSchema(
            {
                "unit_id": pa.Column(str),
                "year": _year(),
                "gdp": pa.Column(float, pa.Check.gt(0), coerce=True, nullable=True),
                "population": pa.Column(float, pa.Check.gt(0), coerce=True, nullable=True),
            }
        ),
        key=("unit_id", "year"),
        values=("gdp", "population"),
        declared_units={"gdp": _GDP_UNITS, "population": _POP_UNITS},
    ),
    "emissions": TableSchema(
        "emissions",
        pa.DataFrameSchema(
            {
                "unit_id": pa.Column(str),
                "year": _year(),
                "value": _nonneg(),
                "unit": pa.Column(str),
            }
        ),
        key=("unit_id", "year"),
        finish=_finish_emissions,
        values=("value",),
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
    """Read a CSV, XLSX or Parquet file as a strings-preserving pandas DataFrame.

    CSV files are read as UTF-8 (with or without a byte-order mark), else as
    GB18030 (GBK), which is then noted in ``attrs["notes"]``. Every cell stays
    text (no value is interpreted yet); blank lines are kept as empty rows so
    that row numbers in messages match the file.
    """
    path = Path(path)
    where = str(path)
    if not path.exists():
        raise InputError("table file not found", where=where, fix="correct the path in [tables]")
    if path.is_dir():
        raise InputError("is a folder, not a table file", where=where, fix="give the path of a .csv, .xlsx or .parquet file")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".txt", ".xlsx", ".xlsm", ".xls", ".parquet", ".pq"):
        raise InputError(
            f"unsupported table format '{suffix}'",
            where=where,
            fix="give a .csv, .xlsx or .parquet file",
        )
    if path.stat().st_size == 0:
        raise InputError(
            "the file is empty (0 bytes)", where=where, fix="give the table with its header row and data rows"
        )
    notes: list[str] = []
    try:
        if suffix in (".csv", ".txt"):
            df = _read_csv(path, notes)
        elif suffix in (".xlsx", ".xlsm", ".xls"):
            df = _read_excel(path, sheet)
        else:
            df = pd.read_parquet(path)
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001 - the reader's message is the useful part
        raise InputError(
            f"cannot be read as a {suffix.lstrip('.')} table ({str(e).strip()})",
            where=where,
            fix="check that the file is complete and that its extension matches its format",
        ) from None
    df.columns = [str(c).strip() for c in df.columns]
    df = _check_header(df, where)
    df.attrs["notes"] = notes
    return df


def _read_csv(path: Path, notes: list[str]) -> pd.DataFrame:
    def read(encoding: str) -> pd.DataFrame:
        return pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[""], encoding=encoding, skip_blank_lines=False
        )

    try:
        try:
            return read("utf-8-sig")
        except UnicodeDecodeError:
            try:
                df = read("gb18030")
            except UnicodeDecodeError:
                raise InputError(
                    "is neither UTF-8 nor GBK/GB18030 text",
                    where=str(path),
                    fix="save the table as \"CSV UTF-8\" (Excel: File > Save As), or give the .xlsx",
                ) from None
            notes.append(f"{path}: not UTF-8; read as GB18030 (GBK) text")
            return df
    except pd.errors.EmptyDataError:
        raise InputError("has no header row", where=str(path), fix="give the column names in the first row") from None
    except pd.errors.ParserError as e:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(e))
        if m is None:
            raise
        raise InputError(
            f"row {m.group(2)} has {m.group(3)} cells where the header has {m.group(1)}",
            where=str(path),
            fix="remove the extra cells of that row, or quote cells that contain commas",
        ) from None


def _read_excel(path: Path, sheet: str | int | None) -> pd.DataFrame:
    if path.suffix.lower() == ".xls":
        try:
            import xlrd  # noqa: F401
        except ImportError:
            raise InputError(
                "old Excel format (.xls) is not supported",
                where=str(path),
                fix="save the workbook as .xlsx (Excel: File > Save As > Excel Workbook)",
            ) from None
    try:
        book = pd.ExcelFile(path)
    except Exception as e:  # noqa: BLE001
        raise InputError(
            f"is not an Excel workbook ({str(e).strip()})",
            where=str(path),
            fix="check that the file is complete and is an .xlsx workbook (a CSV must end in .csv)",
        ) from None
    with book:
        names = [str(n) for n in book.sheet_names]
        if isinstance(sheet, int) and not 0 <= sheet < len(names):
            raise InputError(
                f"has no sheet number {sheet} (sheets, counted from 0: {', '.join(names)})",
                where=str(path),
                fix="set the table's sheet in [tables] to a sheet name or a number from 0 to "
                f"{len(names) - 1}",
            )
        if isinstance(sheet, str) and sheet not in names:
            raise InputError(
                f"has no sheet '{sheet}' (sheets: {', '.join(names)})",
                where=str(path),
                fix="set the table's sheet in [tables] to one of the sheets listed",
            )
        return pd.read_excel(book, sheet_name=sheet if sheet is not None else 0, dtype=str)


def _check_header(df: pd.DataFrame, where: str) -> pd.DataFrame:
    """Repeated and unnamed columns are errors (pandas renames them ``x.1``, ``Unnamed: 2``)."""
    cols = list(df.columns)
    for c in cols:
        m = re.fullmatch(r"(.+)\.(\d+)", c)
        if m and m.group(1) in cols:
            raise InputError(
                f"column '{m.group(1)}' appears more than once in the header",
                where=where,
                fix="keep one column of each name (rename or delete the repeated one)",
            )
    for k, c in enumerate(cols):
        if c.startswith("Unnamed: ") and not df[c].map(is_missing_marker).all():
            below = _header_row_below(df)
            fix = "give every column with data a name in the first row, or delete the column"
            if below is not None:
                fix = (f"row {below} looks like the header: delete the title row(s) above it, so that the "
                       "column names are in row 1")
            raise InputError(
                f"column {k + 1} has data but no name in the header (row 1)",
                where=where,
                fix=fix,
            )
    # empty columns without a name (formatted but unused spreadsheet columns) are no columns
    return df.drop(columns=[c for c in cols if c.startswith("Unnamed: ")])


def _header_row_below(df: pd.DataFrame, names: list[str] | None = None) -> int | None:
    """Spreadsheet row (header = row 1) of a header below title rows: the first of the next ten rows
    holding ``names`` (most of them), or, without names, text in every cell and no number."""
    for i in range(min(10, len(df))):
        vals = [v for v in df.iloc[i].tolist() if not is_missing_marker(v)]
        text = [_norm_cell(str(v)) for v in vals]
        if names is not None:
            if sum(n in text for n in names) >= max(1, (len(names) + 1) // 2):
                return i + 2
        elif len(vals) == df.shape[1] and len(vals) >= 2 and not any(_NUMBER.fullmatch(t) for t in text):
            return i + 2
    return None


#: Chinese (and other common) headers and the contract column they usually mean: used in hints only
_HEADER_HINTS = {
    "年份": "year", "年度": "year", "年": "year", "统计年度": "year",
    "行政区划代码": "unit_id", "区划代码": "unit_id", "地区代码": "unit_id", "单位代码": "unit_id", "代码": "unit_id",
    "adcode": "unit_id", "id": "unit_id", "编码": "unit_id",
    "污染物": "pollutant", "污染物名称": "pollutant", "指标": "pollutant", "监测项目": "pollutant", "项目": "pollutant",
    "浓度": "value", "数值": "value", "值": "value", "监测值": "value", "年均值": "value", "排放量": "value",
    "碳排放": "value", "碳排放量": "value",
    "单位": "unit", "计量单位": "unit",
    "断面": "section_id", "断面名称": "section_id", "断面编号": "section_id", "断面代码": "section_id",
    "水体类型": "waterbody", "水体": "waterbody", "水质目标": "target_class", "目标水质": "target_class",
    "水质类别目标": "target_class",
    "地区生产总值": "gdp", "生产总值": "gdp", "gdp": "gdp",
    "人口": "population", "常住人口": "population", "户籍人口": "population", "年末常住人口": "population",
    "年末总人口": "population",
    "日期": "date", "监测日期": "date", "功能区类型": "zone_type", "类型": "zone_type",
}


def _header_fix(name: str, spec: TableSchema, df: pd.DataFrame, missing: list[str]) -> str:
    needed = [c for c, cs in spec.schema.columns.items() if cs.required]
    renames = []
    taken: set[str] = set()
    for c in df.columns:
        key = _norm_cell(c).replace(" ", "_").replace("-", "_")
        target = _HEADER_HINTS.get(key, _HEADER_HINTS.get(_norm_cell(c)))
        if target is None and key in missing:
            target = key  # the right name in another case or with spaces: 'Unit ID' -> unit_id
        if target in missing and target not in taken:
            renames.append(f"{c} → {target}")
            taken.add(target)
    fix = f"the {name} table needs the header names {', '.join(needed)} (METHODS §0.2)"
    below = _header_row_below(df, missing)
    if below is not None:
        return f"the header names are in row {below}: delete the title row(s) above them; " + fix
    if len(df.columns) == 1:
        only = str(df.columns[0])
        for sep, what in ((";", "semicolons"), ("\t", "tabs"), ("，", "full-width commas (，)"), ("|", "bars")):
            if sep in only:
                return f"the columns are separated by {what}: save the table as comma-separated CSV; " + fix
    if renames:
        fix = f"rename the header(s) {', '.join(renames)}; " + fix
    return fix


def _rename_headers(df: pd.DataFrame, spec: TableSchema, where: str) -> pd.DataFrame:
    """Headers renamed by the schema's header aliases (``TableSchema.headers``, matched after NFKC,
    without surrounding spaces, ignoring case); a header already named as the column stays."""
    if not spec.headers:
        return df
    alias = {_norm_cell(a): c for a, c in spec.headers.items()}
    present = set(df.columns)
    ren: dict[str, str] = {}
    for h in df.columns:
        target = alias.get(_norm_cell(str(h)))
        if target is None or target == h or target in present:
            continue
        if target in ren.values():
            first = next(k for k, v in ren.items() if v == target)
            raise InputError(
                f"columns '{first}' and '{h}' both mean '{target}'",
                where=where,
                fix=f"keep one of them, or rename the other (the table needs one column '{target}')",
            )
        ren[h] = target
    return df.rename(columns=ren) if ren else df


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


def _is_numeric(colspec: pa.Column) -> bool:
    t = getattr(colspec.dtype, "type", None)
    try:
        return t is not None and pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t)
    except TypeError:
        return False


def _numeric_columns(name: str, spec: TableSchema, df: pd.DataFrame) -> list[str]:
    """The table's numeric columns: numeric in the schema, and every indicator of ``development``."""
    cols = [c for c, cs in spec.schema.columns.items() if _is_numeric(cs)]
    if name == "development":
        cols += [c for c in df.columns if c not in ("unit_id", "year", "name", "level") and c not in cols]
    return [c for c in cols if c in df.columns]


def _bad_number_fix(col: str, v: str) -> str:
    t = unicodedata.normalize("NFKC", v).strip()
    if col == "year":
        return f"write years as numbers such as 2020 (not {v!r}); a row without a year cannot be used"
    if re.fullmatch(r"[<≤]\s*[\d.]+", t):
        return (
            f"'{v}' is below a detection limit: give column '{col}' a number (e.g. half the limit) "
            f"or mark the cell missing ({markers_help()})"
        )
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", t):
        return f"remove the thousands separators ('{v}' → '{t.replace(',', '')}')"
    if re.match(r"[+-]?[\d.]+", t):
        return (
            f"write the number only: units belong in the unit column or in the study file "
            f"(e.g. units = {{ gdp = \"1e8 CNY\" }}); column '{col}' must hold numbers only"
        )
    return (
        f"column '{col}' must hold numbers only (no text, units or thousands separators); "
        f"a missing value may be {markers_help()}"
    )


def _plain_numbers(raw: pd.Series) -> pd.Series | None:
    """Cells that are plain ASCII decimal numbers (``_NUMBER`` after stripping) as float64, others NaN.

    None when the column holds anything but text and missing values (then every cell is checked
    one by one). Cells left NaN are classified by the caller (markers, full-width digits, errors).
    """
    try:
        text = raw.astype("string").str.strip()
    except (TypeError, ValueError):  # pragma: no cover - mixed objects pandas cannot cast
        return None
    ok = text.str.fullmatch(_NUMBER.pattern).fillna(False).astype(bool)
    out = pd.Series(np.nan, index=raw.index, dtype="float64")
    if ok.any():
        out[ok] = text[ok].astype("float64")
    return out


def _to_numbers(df: pd.DataFrame, col: str, where: str, *, whole: bool = False) -> tuple[pd.Series, str | None]:
    """One column as float64: markers → NaN; text, infinities and (``whole``) fractions are errors.

    Returns the column and a note counting the cells read as missing (None when there are none).
    """
    raw = df[col]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        num = raw.astype("float64")
        counts = {"": int(num.isna().sum())} if num.isna().any() else {}
    else:
        vals = np.empty(len(raw), dtype="float64")
        counts: dict[str, int] = {}
        bad: list[int] = []
        # fast path: plain ASCII decimal text (most cells) is parsed at once; the rest one by one
        plain = _plain_numbers(raw)
        if plain is not None:
            vals[plain.notna().to_numpy()] = plain.dropna().to_numpy()
            rest = np.flatnonzero(plain.isna().to_numpy())
        else:
            rest = range(len(raw))
        items = raw.tolist()
        for k in rest:
            v = items[k]
            if is_missing_marker(v):
                vals[k] = np.nan
                key = "" if v is None or not isinstance(v, str) else v.strip()
                counts[key] = counts.get(key, 0) + 1
            elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
                vals[k] = float(v)
            else:
                t = unicodedata.normalize("NFKC", str(v)).strip()
                if _NUMBER.fullmatch(t):
                    vals[k] = float(t)
                else:
                    bad.append(k)
        if bad:
            i = bad[0]
            v = raw.iloc[i]
            raise InputError(
                f"row {_row(df, i)}, column '{col}': value {str(v)!r} is not a number "
                f"({len(bad)} such cell(s) in this column)",
                where=where,
                fix=_bad_number_fix(col, str(v)),
            )
        num = pd.Series(vals, index=raw.index)
    inf = np.isinf(num.to_numpy())
    if inf.any():
        i = int(np.flatnonzero(inf)[0])
        raise InputError(
            f"row {_row(df, i)}, column '{col}': value {num.iloc[i]:g} is not a finite number",
            where=where,
            fix=f"give column '{col}' a finite number, or mark the cell missing ({markers_help()})",
        )
    if whole:
        frac = num.notna().to_numpy() & (num.to_numpy() % 1 != 0)
        if frac.any():
            i = int(np.flatnonzero(frac)[0])
            raise InputError(
                f"row {_row(df, i)}, column '{col}': {num.iloc[i]:g} is not a whole number",
                where=where,
                fix=f"column '{col}' holds calendar years such as 2020",
            )
    note = None
    if counts:
        n = sum(counts.values())
        shown = ", ".join(f"{'empty' if k == '' else repr(k)} ×{c}" for k, c in counts.items())
        note = f"{where}, column '{col}': {n} cell(s) read as missing ({shown})"
    return num, note


def validate_table(
    name: str,
    df: pd.DataFrame,
    *,
    where: str,
    declared_units: dict[str, str] | None = None,
    unit_ids: set[str] | None = None,
    schema: TableSchema | None = None,
    units: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Validate one table and return it in canonical units.

    Parameters
    ----------
    name: the contract's table name (``air``, ``water`` …).
    df: the table as read (strings are fine; numbers are coerced).
    where: the file, for messages.
    declared_units: ``{column: unit}`` from the study file (e.g. ``{"gdp": "1e4 CNY"}``).
    unit_ids: the ids of all units of the study; rows naming others are errors.
    schema: the table's schema when an analysis declares it (default: the contract's ``SCHEMAS[name]``).
    units: ``level, unit_id`` of every unit of the study, for the schema's ``check_units``.
    """
    if schema is None and name not in SCHEMAS:
        raise InputError(
            f"table '{name}' has no schema in this version of ecozone",
            where=where,
            fix="remove it from [tables]",
        )
    spec = schema if schema is not None else SCHEMAS[name]
    if len(df) == 0:
        raise InputError(
            f"the {name} table is empty (no data rows)",
            where=where,
            fix=f"fill it, or remove '{name}' from [tables] so the analyses needing it are skipped",
        )
    notes = list(df.attrs.get("notes", []))
    df = df.reset_index(drop=True).copy()
    df = _rename_headers(df, spec, where)
    # columns declared required=False may be absent (optional columns of an analysis' table)
    missing = [c for c, cs in spec.schema.columns.items() if cs.required and c not in df.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(repr(c) for c in missing)}; columns are: {', '.join(map(str, df.columns))}",
            where=where,
            fix=_header_fix(name, spec, df, missing),
        )
    orig = df.copy()  # the cells as given, for messages
    for col in spec.ids + ("section_id",):
        if col in df.columns:
            df[col] = df[col].map(lambda v: "" if is_missing_marker(v) else str(v).strip())
            df[col] = df[col].str.replace(r"\.0$", "", regex=True)
    for col in df.columns:
        if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
            df[col] = df[col].map(lambda v: v.strip() if isinstance(v, str) else v)
    for col, al in spec.aliases.items():
        if col in df.columns:
            df = _apply_aliases(df, col, al)

    # rows with no content at all (blank lines, emptied spreadsheet rows) are no rows
    blank = df.map(is_missing_marker).all(axis=1)
    if blank.any():
        df = df[~blank]
        notes.append(f"{where}: {int(blank.sum())} empty row(s) skipped")
    if len(df) == 0:
        raise InputError(
            f"the {name} table is empty (no data rows)",
            where=where,
            fix=f"fill it, or remove '{name}' from [tables] so the analyses needing it are skipped",
        )

    # numbers: missing-value markers become NaN (counted), other text is an error
    for col in _numeric_columns(name, spec, df):
        df[col], note = _to_numbers(df, col, where, whole=col == "year")
        if note:
            notes.append(note)
    if spec.values:
        novalue = df[list(spec.values)].isna().all(axis=1)
        if novalue.any():
            df = df[~novalue]
            cols = " or ".join(f"'{c}'" for c in spec.values)
            notes.append(f"{where}: {int(novalue.sum())} row(s) without a value in {cols} left out")
        if len(df) == 0:
            raise InputError(
                f"every row of the {name} table is missing its value ({', '.join(spec.values)})",
                where=where,
                fix=f"fill in the values, or remove '{name}' from [tables]",
            )

    # empty required cells first: the clearest message
    for col in spec.schema.columns:
        colspec = spec.schema.columns[col]
        if colspec.nullable or col not in df.columns:
            continue
        empty = df[col].map(is_missing_marker)
        if empty.any():
            i = int(np.flatnonzero(empty)[0])
            v = orig.loc[df.index[i], col]
            shown = f" (it holds {v!r}, read as missing)" if isinstance(v, str) and v.strip() else ""
            hint = {
                "target_class": "give every monitored section its target water-quality class (I-V, GB 3838-2002)",
            }.get(col, f"fill column '{col}' in every row (or remove the row)")
            raise InputError(
                f"row {_row(df, i)}, column '{col}' is empty{shown} ({int(empty.sum())} row(s) in all)",
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
        if col not in df.columns:
            raise InputError(
                f"a unit is declared for column '{col}', which the table does not have",
                where=where,
                fix=f"remove the unit of '{col}' from the study file, or add the column",
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
    if spec.check_units is not None and units is not None:
        df = spec.check_units(df, units, where)
    df = df.reset_index(drop=True)
    df.attrs["notes"] = notes
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
    elif head in ("coerce_dtype", "dtype") and "datetime" in str(spec.schema.columns[col].dtype):
        words = "is not a date"
        fix = f"write the dates of column '{col}' as YYYY-MM-DD, e.g. 2020-01-31"
    elif head in ("coerce_dtype", "dtype"):
        fix = f"column '{col}' must hold numbers only (no text, units or thousands separators)"
    elif head in ("greater_than_or_equal_to", "greater_than"):
        fix = f"column '{col}' cannot be negative; correct or remove the row"
        if head == "greater_than":
            fix = f"column '{col}' must be positive; correct the value or mark it missing ({markers_help()})"
    elif head == "in_range" and col == "year":
        fix = "years must be calendar years between 1900 and 2100"
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
    schema: TableSchema | None = None,
    units: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Read and validate one table from a file (see :func:`validate_table`).

    ``schema``: the table's :class:`TableSchema` when an analysis declares its
    own input table (:attr:`ecozone.analysis.Analysis.input_tables`);
    ``units``: the study's units (``level, unit_id``) for its ``check_units``.
    """
    df = read_frame(path, sheet)
    return validate_table(name, df, where=str(path), declared_units=declared_units, unit_ids=unit_ids,
                          schema=schema, units=units)
