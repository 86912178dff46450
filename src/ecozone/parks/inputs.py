"""The input tables of the ``parks`` analysis (METHODS §3.0), declared for the table reader.

``parks``, ``park_year``, ``energy_units`` and ``wwtp`` are read by
:mod:`ecozone.inputs.tables` with the schemas below: required and optional
columns (optional ones are declared ``required=False``), units, ranges, header
aliases (Chinese headers such as ``园区名称``, ``主导产业``, ``经度`` and the
2018 catalogue's own names), value aliases (park levels, regions, unit types,
fuels written in Chinese) and, for ``park_year``, a declarable unit of
``value_added`` (``1e4 CNY`` / ``万元``, ``1e8 CNY`` / ``亿元``). Every failure
is an :class:`~ecozone.errors.InputError` naming the file, the row (the
header is row 1), the column and the fix.

Park levels (``level``) are one of ``national_etdz | national_htz |
national_border | provincial | other``; accepted besides these codes (any
case; ``ETDZ``, ``HTZ``): the zone types of the 2018 catalogue and their usual
short forms, see :func:`level_code`. An unknown level name is an error, never
silently ``other``.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ecozone.errors import InputError
from ecozone.inputs.tables import TableSchema, is_missing_marker
from ecozone.parks.indicators import (
    INTAKE_SOURCES,
    LEVELS,
    REGIONS,
    province_key,
    region_from_province,
)
from ecozone.parks.infrastructure import FUELS, UNIT_TYPES


def _row(df: pd.DataFrame, i: int) -> int:
    """Spreadsheet row (header = row 1) of the i-th row of a table as read."""
    idx = df.index[i]
    return int(idx) + 2 if isinstance(idx, (int, np.integer)) else i + 2


def _year() -> pa.Column:
    return pa.Column(int, pa.Check.in_range(1900, 2100), coerce=True)


def _amount(required: bool = False, nullable: bool = True) -> pa.Column:
    """A quantity ≥ 0 (empty allowed)."""
    return pa.Column(float, pa.Check.ge(0), coerce=True, nullable=nullable, required=required)


def _fraction() -> pa.Column:
    return pa.Column(float, pa.Check.in_range(0, 1), coerce=True, nullable=True, required=False)


def _text(required: bool = False, nullable: bool = True) -> pa.Column:
    return pa.Column(str, nullable=nullable, required=required)


# --------------------------------------------------------------------------- levels

#: Level names as users write them (after NFKC, without spaces, lower case) → level code.
LEVEL_ALIASES: dict[str, str] = {
    "national_etdz": "national_etdz", "etdz": "national_etdz", "nationaletdz": "national_etdz",
    "national_htz": "national_htz", "htz": "national_htz", "nationalhtz": "national_htz",
    "national_border": "national_border", "nationalborder": "national_border",
    "provincial": "provincial", "other": "other",
    "国家级经济技术开发区": "national_etdz", "经济技术开发区": "national_etdz", "国家级经开区": "national_etdz",
    "经开区": "national_etdz", "国家经济技术开发区": "national_etdz",
    "国家级高新技术产业开发区": "national_htz", "高新技术产业开发区": "national_htz", "国家级高新区": "national_htz",
    "高新区": "national_htz", "国家高新技术产业开发区": "national_htz",
    "边境/跨境经济合作区": "national_border", "边境经济合作区": "national_border", "跨境经济合作区": "national_border",
    "国家级边境经济合作区": "national_border", "边合区": "national_border",
    "省级": "provincial", "省级开发区": "provincial", "省级园区": "provincial", "省级工业园区": "provincial",
    "省级经济开发区": "provincial", "省级高新技术产业开发区": "provincial", "省级高新区": "provincial",
    "省级产业园区": "provincial", "省级工业集中区": "provincial",
    "其他": "other", "其它": "other", "其他类型开发区": "other", "市级": "other", "县级": "other",
}


def _key(v) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(v))).lower()


def level_code(name) -> str | None:
    """The level code of a park level as written, or None when the name is not a level.

    Parameters
    ----------
    name : str
        ``national_etdz``, ``national_htz``, ``national_border``, ``provincial``,
        ``other`` (any case; ``ETDZ`` and ``HTZ`` too), the catalogue's zone types
        (``经济技术开发区``, ``高新技术产业开发区``, ``边境/跨境经济合作区``, with or
        without ``国家级``; short forms ``经开区``, ``高新区``), any name beginning
        with ``省级`` (provincial: ``省级经济开发区``, ``省级工业园区`` …) and
        ``其他`` (other).

    Returns
    -------
    str or None
        One of :data:`~ecozone.parks.indicators.LEVELS`; None for an empty cell or an
        unknown name.
    """
    if is_missing_marker(name):
        return None
    k = _key(name)
    if k in LEVEL_ALIASES:
        return LEVEL_ALIASES[k]
    if k.startswith("省级"):
        return "provincial"
    return None


def _national_type(name) -> str:
    """A zone type approved by the State Council (国务院) as a national level code."""
    k = "" if is_missing_marker(name) else _key(name)
    if "边境" in k or "跨境" in k:
        return "national_border"
    if "高新" in k:
        return "national_htz"
    if "经济技术开发区" in k or "经开区" in k:
        return "national_etdz"
    return "other"


def _finish_parks(df: pd.DataFrame, where: str) -> pd.DataFrame:
    df = df.copy()
    codes = df["level"].map(level_code)
    if "approval" in df.columns:
        # the catalogue's 批准级别: approved by a province → provincial; by the State Council → national
        appr = df["approval"].map(lambda v: "" if is_missing_marker(v) else _key(v))
        codes = codes.where(~appr.str.contains("省"), "provincial")
        national = appr.str.contains("国务院") & codes.isna()
        codes = codes.where(~national, df["level"].map(_national_type))
    bad = codes.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"row {_row(df, i)}, column 'level': unknown park level {df['level'].iloc[i]!r} "
            f"({int(bad.sum())} row(s) with unknown levels)",
            where=where,
            fix=f"use one of: {', '.join(LEVELS)} (or the catalogue's zone types 经济技术开发区, "
            "高新技术产业开发区, 边境/跨境经济合作区, 省级…, 其他)",
        )
    df["level"] = codes.astype(object)
    # region: given, else from the province (seed 001 §3.1.1)
    region = df["region"] if "region" in df.columns else None
    try:
        df["region"] = region_from_province(df["province"], region, table="parks").to_numpy()
    except InputError as e:
        raise InputError(e.what, where=f"{where} ({e.where})", fix=e.fix) from None
    df["province"] = [province_key(v) or str(v).strip() for v in df["province"]]
    for col in ("is_chemical",):
        if col in df.columns:
            df[col] = _flags(df, col, where)
    if ("lon" in df.columns) != ("lat" in df.columns):
        have = "lon" if "lon" in df.columns else "lat"
        raise InputError(f"column '{have}' is given without its partner", where=where,
                         fix="give both lon and lat (WGS 84 degrees), or neither")
    return df


_TRUE = {"true", "yes", "y", "1", "是", "有", "t"}
_FALSE = {"false", "no", "n", "0", "否", "无", "f"}


def _flags(df: pd.DataFrame, col: str, where: str) -> pd.Series:
    """A yes/no column as nullable booleans (empty = unknown)."""
    out = []
    for k, v in enumerate(df[col].tolist()):
        if isinstance(v, (bool, np.bool_)):
            out.append(bool(v))
            continue
        if is_missing_marker(v) and not (isinstance(v, str) and _key(v) in _FALSE):
            out.append(pd.NA)
            continue
        s = _key(v)
        if s.endswith(".0"):
            s = s[:-2]
        if s in _TRUE:
            out.append(True)
        elif s in _FALSE:
            out.append(False)
        else:
            raise InputError(
                f"row {_row(df, k)}, column '{col}': {v!r} is not yes or no",
                where=where,
                fix="write true/false (yes/no, 1/0, 是/否), or leave the cell empty when unknown",
            )
    return pd.Series(out, index=df.index, dtype="boolean")


def _finish_wwtp(df: pd.DataFrame, where: str) -> pd.DataFrame:
    if "online_monitoring" in df.columns:
        df = df.copy()
        df["online_monitoring"] = _flags(df, "online_monitoring", where)
    return df


# --------------------------------------------------------------------------- schemas

_VALUE_ADDED_UNITS = {"cny": 1.0, "yuan": 1.0, "元": 1.0, "1e4 cny": 1e4, "10k cny": 1e4, "万元": 1e4,
                      "1e8 cny": 1e8, "亿元": 1e8}

_REGION_ALIASES = {"上游": "upstream", "中游": "midstream", "下游": "downstream",
                   "upper": "upstream", "middle": "midstream", "lower": "downstream"}

_UNIT_TYPE_ALIASES = {
    "热电联产": "chp", "热电": "chp", "cogeneration": "chp", "发电": "power", "电厂": "power", "供热": "heat",
    "热源厂": "heat", "锅炉房": "heat", "垃圾焚烧": "msw_incineration", "生活垃圾焚烧": "msw_incineration",
    "危废焚烧": "hw_incineration", "危险废物焚烧": "hw_incineration", "生物质": "biomass", "生物质能": "biomass",
}
_FUEL_ALIASES = {
    "煤": "coal", "燃煤": "coal", "煤炭": "coal", "天然气": "gas", "燃气": "gas", "natural gas": "gas",
    "油": "oil", "燃油": "oil", "生物质": "biomass", "垃圾": "waste", "废弃物": "waste", "其他": "other",
    "其它": "other",
}

PARKS = TableSchema(
    "parks",
    pa.DataFrameSchema(
        {
            "park_id": pa.Column(str),
            "name": pa.Column(str),
            "level": pa.Column(str),
            "province": pa.Column(str),
            "city": _text(),
            "region": pa.Column(str, pa.Check.isin(list(REGIONS)), nullable=True, required=False),
            "is_chemical": _text(),
            "pillar_industries": _text(),
            "approval": _text(),
            "approved_area_km2": _amount(),
            "lon": pa.Column(float, pa.Check.in_range(-180, 180), coerce=True, nullable=True, required=False),
            "lat": pa.Column(float, pa.Check.in_range(-90, 90), coerce=True, nullable=True, required=False),
        }
    ),
    key=("park_id",),
    aliases={"region": _REGION_ALIASES},
    finish=_finish_parks,
    ids=("park_id",),
    headers={
        "园区编号": "park_id", "园区代码": "park_id", "开发区代码": "park_id", "代码": "park_id", "编号": "park_id",
        "id": "park_id", "code": "park_id",
        "园区名称": "name", "开发区名称": "name", "名称": "name", "park_name": "name",
        "级别": "level", "园区级别": "level", "开发区级别": "level", "开发区类型": "level", "园区类型": "level",
        "批准级别": "approval", "approval_level": "approval",
        "省份": "province", "省": "province", "所在省份": "province",
        "城市": "city", "所在城市": "city", "地市": "city", "城市/区县": "city", "city_short": "city",
        "区域": "region", "流域段": "region",
        "是否化工园区": "is_chemical", "化工园区": "is_chemical", "chemical": "is_chemical",
        "主导产业": "pillar_industries", "支柱产业": "pillar_industries", "leading_industries": "pillar_industries",
        "核准面积_平方公里": "approved_area_km2", "核准面积(平方公里)": "approved_area_km2",
        "核准面积（平方公里）": "approved_area_km2", "核准面积_km2": "approved_area_km2",
        "经度": "lon", "经度_wgs84": "lon", "lon_wgs84": "lon", "longitude": "lon", "lng": "lon",
        "纬度": "lat", "纬度_wgs84": "lat", "lat_wgs84": "lat", "latitude": "lat",
    },
)

_PARK_YEAR_COLUMNS = {
    "park_id": pa.Column(str),
    "year": _year(),
    "value_added": _amount(required=True),
    "energy_tce": _amount(),
    "fresh_water_m3": _amount(),
    "cod_kg": _amount(),
    "nh3n_kg": _amount(),
    "so2_t": _amount(),
    "nox_t": _amount(),
    "co2e_t": _amount(),
    **{f"intake_{s}_m3": _amount() for s in INTAKE_SOURCES},
}

PARK_YEAR = TableSchema(
    "park_year",
    pa.DataFrameSchema(_PARK_YEAR_COLUMNS),
    key=("park_id", "year"),
    declared_units={"value_added": _VALUE_ADDED_UNITS},
    ids=("park_id",),
    headers={
        "园区编号": "park_id", "园区代码": "park_id", "开发区代码": "park_id", "编号": "park_id",
        "年份": "year", "年度": "year", "年": "year",
        "工业增加值": "value_added", "增加值": "value_added",
        "综合能耗_tce": "energy_tce", "综合能源消费量_tce": "energy_tce",
        "新鲜水耗_m3": "fresh_water_m3", "新鲜水用量_m3": "fresh_water_m3", "新鲜水取用量_m3": "fresh_water_m3",
        "cod排放量_kg": "cod_kg", "化学需氧量排放量_kg": "cod_kg", "氨氮排放量_kg": "nh3n_kg",
        "二氧化硫排放量_t": "so2_t", "氮氧化物排放量_t": "nox_t", "温室气体排放量_tco2e": "co2e_t",
        "地表水取水量_m3": "intake_surface_m3", "地下水取水量_m3": "intake_ground_m3",
        "自来水取水量_m3": "intake_tap_m3", "再生水取水量_m3": "intake_reclaimed_m3",
        "其他取水量_m3": "intake_other_m3",
    },
)

ENERGY_UNITS = TableSchema(
    "energy_units",
    pa.DataFrameSchema(
        {
            "plant_id": pa.Column(str),
            "park_id": pa.Column(str),
            "unit_type": pa.Column(str, pa.Check.isin(list(UNIT_TYPES))),
            "fuel": pa.Column(str, pa.Check.isin(list(FUELS))),
            "capacity_mw": _amount(required=True),
            "commissioning_year": pa.Column(float, pa.Check.in_range(1900, 2100), coerce=True, nullable=True),
            "efficiency": _fraction(),
            "generation_mwh": _amount(),
            "co2e_t": _amount(),
            "so2_t": _amount(),
            "nox_t": _amount(),
        }
    ),
    key=("plant_id",),
    aliases={"unit_type": _UNIT_TYPE_ALIASES, "fuel": _FUEL_ALIASES},
    ids=("plant_id", "park_id"),
    headers={
        "机组编号": "plant_id", "设施编号": "plant_id", "园区编号": "park_id", "园区代码": "park_id",
        "机组类型": "unit_type", "设施类型": "unit_type", "燃料": "fuel", "燃料类型": "fuel",
        "装机容量_mw": "capacity_mw", "装机容量(mw)": "capacity_mw", "装机容量（mw）": "capacity_mw",
        "投产年份": "commissioning_year", "投运年份": "commissioning_year",
        "效率": "efficiency", "供电效率": "efficiency", "能源效率": "efficiency",
        "发电量_mwh": "generation_mwh",
    },
)

WWTP = TableSchema(
    "wwtp",
    pa.DataFrameSchema(
        {
            "wwtp_id": pa.Column(str),
            "park_id": pa.Column(str),
            "design_m3_per_day": _amount(required=True),
            "inflow_m3_per_day": _amount(required=True),
            "industrial_share": _fraction(),
            "cod_in": _amount(),
            "cod_out": _amount(),
            "nh3n_in": _amount(),
            "nh3n_out": _amount(),
            "online_monitoring": _text(),
        }
    ),
    key=("wwtp_id",),
    finish=_finish_wwtp,
    ids=("wwtp_id", "park_id"),
    headers={
        "污水处理厂编号": "wwtp_id", "污水厂编号": "wwtp_id", "园区编号": "park_id", "园区代码": "park_id",
        "设计规模_m3/d": "design_m3_per_day", "设计处理能力_m3/d": "design_m3_per_day",
        "实际处理量_m3/d": "inflow_m3_per_day", "进水量_m3/d": "inflow_m3_per_day",
        "工业废水占比": "industrial_share", "进水cod": "cod_in", "出水cod": "cod_out",
        "进水氨氮": "nh3n_in", "出水氨氮": "nh3n_out", "在线监测": "online_monitoring",
        "是否在线监测": "online_monitoring",
    },
)

#: The input tables the analysis declares (``Analysis.input_tables``).
INPUT_TABLES = {"parks": PARKS, "park_year": PARK_YEAR, "energy_units": ENERGY_UNITS, "wwtp": WWTP}

__all__ = ["ENERGY_UNITS", "INPUT_TABLES", "LEVEL_ALIASES", "PARKS", "PARK_YEAR", "WWTP", "level_code"]
