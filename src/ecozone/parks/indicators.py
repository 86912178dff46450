"""Industrial-park indicators per park and year (seed 001 §3.4.2; METHODS §3.0, §3.2).

One formula per function, each on arrays (or Series) of equal length:

=========================  ==========================================  =====================
indicator                  definition                                  unit
=========================  ==========================================  =====================
``energy_productivity``    value_added / energy_tce                    CNY/tce
``water_productivity``     value_added / fresh_water_m3                CNY/m³
``cod_intensity``          cod_kg / (value_added / 1e6)                kg per million CNY
``cod_intensity_change``   cod_intensity / cod_intensity(base) − 1     −
``co2_intensity``          co2e_t / (value_added / 1e4)                t CO2e per 1e4 CNY
``intake_share_<source>``  intake_<source>_m3 / Σ intake               −
=========================  ==========================================  =====================

A zero or missing denominator (or a missing numerator) gives NaN, never inf;
:func:`park_year_indicators` says why in its ``note`` column.

Also here: the province of a park as a canonical name (:func:`province_key`,
Chinese or English, with or without 省/市/自治区), the region of seed 001
(:func:`region_from_province`) and the park level (:func:`park_level`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ecozone.errors import InputError
from ecozone.parks._checks import (
    join_notes,
    no_duplicates,
    numeric,
    ratio,
    require_columns,
    row_label,
    where,
)

REGIONS = ("upstream", "midstream", "downstream")
LEVELS = ("national_etdz", "national_htz", "national_border", "provincial", "other")
INTAKE_SOURCES = ("surface", "ground", "tap", "reclaimed", "other")

#: The 34 provincial-level divisions: short Chinese name → English spellings
#: (lower case, no spaces) that name it.
PROVINCES: dict[str, tuple[str, ...]] = {
    "北京": ("beijing", "peking"),
    "天津": ("tianjin",),
    "河北": ("hebei",),
    "山西": ("shanxi",),
    "内蒙古": ("innermongolia", "neimongol", "neimenggu"),
    "辽宁": ("liaoning",),
    "吉林": ("jilin",),
    "黑龙江": ("heilongjiang",),
    "上海": ("shanghai",),
    "江苏": ("jiangsu",),
    "浙江": ("zhejiang",),
    "安徽": ("anhui",),
    "福建": ("fujian",),
    "江西": ("jiangxi",),
    "山东": ("shandong",),
    "河南": ("henan",),
    "湖北": ("hubei",),
    "湖南": ("hunan",),
    "广东": ("guangdong",),
    "广西": ("guangxi",),
    "海南": ("hainan",),
    "重庆": ("chongqing",),
    "四川": ("sichuan",),
    "贵州": ("guizhou",),
    "云南": ("yunnan",),
    "西藏": ("tibet", "xizang"),
    "陕西": ("shaanxi",),
    "甘肃": ("gansu",),
    "青海": ("qinghai",),
    "宁夏": ("ningxia",),
    "新疆": ("xinjiang",),
    "台湾": ("taiwan",),
    "香港": ("hongkong",),
    "澳门": ("macau", "macao"),
}

#: Seed 001 §3.1.1: the region of each of the 11 YREB provinces.
REGION_OF: dict[str, str] = {
    "四川": "upstream",
    "重庆": "upstream",
    "云南": "upstream",
    "贵州": "upstream",
    "湖北": "midstream",
    "湖南": "midstream",
    "江西": "midstream",
    "安徽": "downstream",
    "江苏": "downstream",
    "浙江": "downstream",
    "上海": "downstream",
}

_ZH_SUFFIXES = ("", "省", "市", "自治区", "壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区")
_EN_SUFFIXES = (
    "zhuangautonomousregion", "huiautonomousregion", "uygurautonomousregion",
    "uyghurautonomousregion", "uighurautonomousregion", "autonomousregion",
    "specialadministrativeregion", "sar", "province", "municipality", "city", "sheng", "shi",
)
_EN_TO_ZH = {en: zh for zh, ens in PROVINCES.items() for en in ens}


def _is_missing(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or str(v).strip() == ""


def province_key(name) -> str | None:
    """The canonical (short Chinese) name of a province, or None when it names none.

    Parameters
    ----------
    name : str
        A province as written in a table: Chinese (``湖北省``, ``湖北``,
        ``广西壮族自治区``, ``上海市``) or English (``Hubei``, ``Hubei Province``,
        ``Shanghai Municipality``, ``Inner Mongolia``), any case.

    Returns
    -------
    str or None
        ``"湖北"``, ``"上海"``, … (one of :data:`PROVINCES`); None for an empty or
        unknown name.
    """
    if _is_missing(name):
        return None
    s = re.sub(r"\s+", "", str(name))
    for zh in sorted(PROVINCES, key=len, reverse=True):
        if s.startswith(zh) and s[len(zh):] in _ZH_SUFFIXES:
            return zh
    en = re.sub(r"[^a-z]", "", s.lower())
    if en in _EN_TO_ZH:
        return _EN_TO_ZH[en]
    for suf in _EN_SUFFIXES:
        if en.endswith(suf) and en[: -len(suf)] in _EN_TO_ZH:
            return _EN_TO_ZH[en[: -len(suf)]]
    return None


def province_keys(names) -> pd.Series:
    """Canonical province names of a column.

    Parameters
    ----------
    names : Series or array_like of str
        Province names (see :func:`province_key`).

    Returns
    -------
    Series of object
        Short Chinese names (``"湖北"``); None where a name is empty or unknown.
    """
    s = pd.Series(names) if not isinstance(names, pd.Series) else names
    return s.map(province_key).astype(object)


def region_from_province(province, region=None, *, table: str = "parks") -> pd.Series:
    """The seed-001 region of each park: ``upstream | midstream | downstream``.

    Sichuan, Chongqing, Yunnan, Guizhou are upstream; Hubei, Hunan, Jiangxi
    midstream; Anhui, Jiangsu, Zhejiang, Shanghai downstream (seed 001
    §3.1.1). A ``region`` given for a row wins over the province.

    Parameters
    ----------
    province : Series of str
        Province names, Chinese or English, with or without 省/市/自治区.
    region : Series of str, optional
        Regions given in the table (empty cells are derived from the province).
    table : str
        Table name used in error messages.

    Returns
    -------
    Series of str
        One region per row, same index as ``province``.

    Raises
    ------
    InputError
        A given region is not one of the three; or a row has no region and a
        province outside the 11 provinces (or a name that is no province).
    """
    prov = province if isinstance(province, pd.Series) else pd.Series(province)
    df = pd.DataFrame({"province": prov.to_numpy()}, index=prov.index)
    given = pd.Series([None] * len(prov), index=prov.index, dtype=object)
    if region is not None:
        reg = region if isinstance(region, pd.Series) else pd.Series(region, index=prov.index)
        given = pd.Series(
            [None if _is_missing(v) else str(v).strip().lower() for v in reg],
            index=prov.index, dtype=object,
        )
        bad = given.notna() & ~given.isin(REGIONS)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"unknown region {reg.iloc[i]!r} ({int(bad.sum())} row(s))",
                where=where(table, "region", df, i),
                fix=f"use one of: {', '.join(REGIONS)}, or leave the cell empty to derive it from the province",
            )
    derived = province_keys(prov).map(REGION_OF)
    out = given.where(given.notna(), derived)
    missing = out.isna()
    if missing.any():
        i = int(np.flatnonzero(missing.to_numpy())[0])
        rows = ", ".join(row_label(df, j) for j in np.flatnonzero(missing.to_numpy())[:6])
        raise InputError(
            f"province {prov.iloc[i]!r} is not one of the 11 provinces of the Yangtze River "
            f"Economic Belt, so its region cannot be derived (rows {rows})",
            where=where(table, "province", df, i),
            fix="give the region (upstream, midstream or downstream) in a column 'region', or "
            "correct the province name",
        )
    return out.astype(object).rename("region")


_LEVEL_ALIASES = {
    "nationaletdz": "national_etdz",
    "etdz": "national_etdz",
    "nationalhtz": "national_htz",
    "htz": "national_htz",
    "nationalborder": "national_border",
    "provincial": "provincial",
    "other": "other",
}


def _level_one(kind, approval) -> str:
    if _is_missing(kind):
        kind = ""
    s = re.sub(r"\s+", "", str(kind))
    code = re.sub(r"[^a-z]", "", s.lower())
    if code in _LEVEL_ALIASES and s.isascii():
        return _LEVEL_ALIASES[code]
    a = "" if _is_missing(approval) else str(approval)
    provincial = "省级" in s or (a != "" and "省" in a)
    national = "国家级" in s or "国务院" in a
    if provincial and not national:
        return "provincial"
    if ("边境" in s or "跨境" in s) and "经济合作区" in s:
        return "national_border"
    # The catalogue's national types are named bare (经济技术开发区, 高新技术产业开发区).
    if "经济技术开发区" in s:
        return "national_etdz"
    if "高新技术产业开发区" in s:
        return "national_htz"
    return "other"


def park_level(level, approval=None) -> pd.Series:
    """Park level as one of :data:`LEVELS`.

    Accepted: the codes themselves (``national_etdz``, ``national_htz``,
    ``national_border``, ``provincial``, ``other``; any case; ``ETDZ`` and
    ``HTZ`` too) or the zone types of the 2018 catalogue
    (《中国开发区审核公告目录》): ``(国家级)经济技术开发区`` → national_etdz,
    ``(国家级)高新技术产业开发区`` → national_htz, ``边境/跨境经济合作区`` →
    national_border, anything ``省级…`` (or approved by a province, ``approval``
    containing 省) → provincial; everything else (also empty) → other.

    Parameters
    ----------
    level : Series of str
        Level codes or catalogue zone types.
    approval : Series of str, optional
        The catalogue's 批准级别 (``国务院`` = national, ``…省…`` = provincial).

    Returns
    -------
    Series of str
        Same index as ``level``.
    """
    lv = level if isinstance(level, pd.Series) else pd.Series(level)
    if approval is None:
        ap = [None] * len(lv)
    else:
        ap = list(approval)
    return pd.Series([_level_one(k, a) for k, a in zip(lv, ap, strict=True)],
                     index=lv.index, dtype=object, name="level")


# --------------------------------------------------------------------------- formulas


def energy_productivity(value_added, energy_tce) -> np.ndarray:
    """Energy productivity = value_added / energy_tce.

    Parameters
    ----------
    value_added : array_like
        Value added, CNY (constant prices).
    energy_tce : array_like
        Energy consumption, tonnes of coal equivalent (tce).

    Returns
    -------
    ndarray
        CNY/tce; NaN where energy_tce is 0 or missing.
    """
    return ratio(value_added, energy_tce)


def water_productivity(value_added, fresh_water_m3) -> np.ndarray:
    """Water productivity = value_added / fresh_water_m3.

    Parameters
    ----------
    value_added : array_like
        Value added, CNY.
    fresh_water_m3 : array_like
        Fresh water consumption, m³.

    Returns
    -------
    ndarray
        CNY/m³; NaN where fresh_water_m3 is 0 or missing.
    """
    return ratio(value_added, fresh_water_m3)


def cod_intensity(cod_kg, value_added) -> np.ndarray:
    """COD emission intensity = cod_kg / (value_added / 1e6).

    Parameters
    ----------
    cod_kg : array_like
        COD emitted, kg.
    value_added : array_like
        Value added, CNY.

    Returns
    -------
    ndarray
        kg per million CNY; NaN where value_added is 0 or missing.
    """
    return ratio(cod_kg, np.asarray(value_added, dtype=float) / 1e6)


def cod_intensity_change(intensity, base_intensity) -> np.ndarray:
    """Change of the COD intensity against the base year = intensity / base − 1.

    Parameters
    ----------
    intensity : array_like
        COD intensity of the year, kg per million CNY.
    base_intensity : array_like
        COD intensity of the same park in the base year, kg per million CNY.

    Returns
    -------
    ndarray
        Dimensionless (−0.6 = a 60 % decline); NaN where the base is 0 or missing.
    """
    return ratio(intensity, base_intensity) - 1.0


def co2_intensity(co2e_t, value_added) -> np.ndarray:
    """CO2 intensity = co2e_t / (value_added / 1e4).

    Parameters
    ----------
    co2e_t : array_like
        Greenhouse-gas emissions, t CO2e.
    value_added : array_like
        Value added, CNY.

    Returns
    -------
    ndarray
        t CO2e per 1e4 CNY; NaN where value_added is 0 or missing.
    """
    return ratio(co2e_t, np.asarray(value_added, dtype=float) / 1e4)


def intake_shares(intake: pd.DataFrame) -> pd.DataFrame:
    """Share of each water-intake source: intake_<source>_m3 / Σ intake.

    Parameters
    ----------
    intake : DataFrame
        Columns ``intake_<source>_m3`` (m³), any of surface, ground, tap,
        reclaimed, other. The sum runs over the sources given in a row (empty
        cells are not counted; their share is NaN).

    Returns
    -------
    DataFrame
        Columns ``intake_share_<source>`` (dimensionless, 0–1), same index;
        NaN in a row whose total intake is 0 or empty.
    """
    cols = [c for c in intake.columns if c.startswith("intake_") and c.endswith("_m3")]
    x = intake[cols].astype(float)
    total = x.sum(axis=1, min_count=1)
    out = {}
    for c in cols:
        out["intake_share_" + c[len("intake_"):-len("_m3")]] = ratio(x[c], total)
    return pd.DataFrame(out, index=intake.index)


# --------------------------------------------------------------------------- table

_INPUTS = {
    "energy_productivity": ("value_added", "energy_tce"),
    "water_productivity": ("value_added", "fresh_water_m3"),
    "cod_intensity": ("cod_kg", "value_added"),
    "co2_intensity": ("co2e_t", "value_added"),
}
_FORMULA = {
    "energy_productivity": energy_productivity,
    "water_productivity": water_productivity,
    "cod_intensity": cod_intensity,
    "co2_intensity": co2_intensity,
}


def _why(num: float, den: float, num_name: str, den_name: str) -> str:
    if np.isnan(den):
        return f"no {den_name}"
    if den == 0:
        return f"{den_name} is 0"
    return f"no {num_name}"


def park_year_indicators(park_year: pd.DataFrame, base_year: int | None = None,
                         *, table: str = "park_year") -> pd.DataFrame:
    """The §3.2 indicators of every park and year.

    Parameters
    ----------
    park_year : DataFrame
        ``park_id, year, value_added`` (CNY) and any of ``energy_tce`` (tce),
        ``fresh_water_m3`` (m³), ``cod_kg`` (kg), ``co2e_t`` (t CO2e),
        ``intake_<source>_m3`` (m³). Empty cells are missing values.
    base_year : int, optional
        Base year of ``cod_intensity_change``; default: each park's first year
        with a COD intensity.
    table : str
        Table name used in error messages.

    Returns
    -------
    DataFrame
        ``park_id, year`` and the indicators whose inputs are present:
        ``energy_productivity`` (CNY/tce), ``water_productivity`` (CNY/m³),
        ``cod_intensity`` (kg per million CNY), ``cod_intensity_change`` (−),
        ``co2_intensity`` (t per 1e4 CNY), ``intake_share_<source>`` (−); and
        ``note`` saying why a value is empty. Sorted by park and year.

    Raises
    ------
    InputError
        A required column is missing, a value is text, negative or infinite,
        or a (park_id, year) repeats.
    """
    require_columns(park_year, table, ("park_id", "year", "value_added"))
    no_duplicates(park_year, table, ("park_id", "year"))
    df = park_year.reset_index(drop=True)
    quantities = ["value_added", "energy_tce", "fresh_water_m3", "cod_kg", "co2e_t"]
    intake_cols = [f"intake_{s}_m3" for s in INTAKE_SOURCES if f"intake_{s}_m3" in df.columns]
    num = {c: numeric(df, c, table) for c in quantities + intake_cols if c in df.columns}
    year = numeric(df, "year", table)
    if year.isna().any():
        i = int(np.flatnonzero(year.isna().to_numpy())[0])
        raise InputError("the year is empty", where=where(table, "year", df, i),
                         fix="give the calendar year of every row")
    out = pd.DataFrame({"park_id": df["park_id"].to_numpy(), "year": year.astype("Int64")})
    notes = [[] for _ in range(len(df))]

    for name, (a, b) in _INPUTS.items():
        if a not in num or b not in num:
            continue
        va, vb = num[a].to_numpy(), num[b].to_numpy()
        vals = _FORMULA[name](va, vb)  # a is the numerator, b the denominator
        out[name] = vals
        for i in np.flatnonzero(np.isnan(vals)):
            notes[i].append(f"{name} empty: {_why(va[i], vb[i], a, b)}")

    if "cod_intensity" in out:
        ci = out["cod_intensity"].to_numpy()
        base = np.full(len(out), np.nan)
        base_note = [""] * len(out)
        for _pid, idx in out.groupby("park_id", sort=False).groups.items():
            idx = np.asarray(idx)
            yrs = out["year"].to_numpy()[idx]
            if base_year is None:
                have = idx[~np.isnan(ci[idx])]
                if len(have):
                    first = have[np.argmin(out["year"].to_numpy()[have])]
                    base[idx] = ci[first]
                else:
                    for i in idx:
                        base_note[i] = "no year with a COD intensity to serve as base"
            else:
                at = idx[yrs == base_year]
                if len(at) and not np.isnan(ci[at[0]]):
                    base[idx] = ci[at[0]]
                else:
                    for i in idx:
                        base_note[i] = f"no COD intensity in the base year {base_year}"
        ch = cod_intensity_change(ci, base)
        out["cod_intensity_change"] = ch
        for i in np.flatnonzero(np.isnan(ch)):
            if np.isnan(ci[i]):
                why = "no cod_intensity"
            elif base_note[i]:
                why = base_note[i]
            else:
                why = "base-year cod_intensity is 0"
            notes[i].append(f"cod_intensity_change empty: {why}")

    if intake_cols:
        sh = intake_shares(pd.DataFrame({c: num[c] for c in intake_cols}))
        for c in sh.columns:
            out[c] = sh[c].to_numpy()
        tot = pd.DataFrame({c: num[c] for c in intake_cols}).sum(axis=1, min_count=1).to_numpy()
        for i in np.flatnonzero(np.isnan(tot) | (tot == 0)):
            notes[i].append("intake shares empty: " + ("no intake" if np.isnan(tot[i]) else "total intake is 0"))

    out["note"] = [join_notes(*n) for n in notes]
    return out.sort_values(["park_id", "year"], kind="stable").reset_index(drop=True)
