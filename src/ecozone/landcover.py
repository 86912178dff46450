"""The study-wide land-cover class scheme (METHODS §0.3.1), shared by every analysis.

One class scheme per study: ``[landcover] classes = "igbp" | "clcd" |
"resdc"`` (shipped as ``params/landcover_<scheme>.csv``, each citing its
legend) or a path to a CSV. Each class has ``code, name, vegetation_type``
(the CASA type, §2), ``coefficient_class`` (the coefficient method, §2.3) and
``group`` ∈ :data:`GROUPS`, which the ecological network, green
infrastructure and land-use change read (ecological land, built-up land,
cropland). Codes stay integers, as in the rasters.

Group choices beyond METHODS (its IGBP rule is followed exactly): CLCD snow
and ice are barren, wetland is wetland; RESDC sparse and other woodland
(orchards) are forest as in the CNLUCC first level (林地), tidal flats, beach
land and marsh are wetland, glacier and snow barren, ocean water. Nodata
classes are ``other`` and carry ``vegetation_type = nodata``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ecozone.errors import ParameterError
from ecozone.params import data_path

SCHEMES = ("igbp", "resdc", "clcd")
GROUPS = ("forest", "shrub", "grassland", "wetland", "water", "cropland", "built", "barren", "other")
#: the groups that are ecological land unless ``ecology.eco_groups`` says otherwise (METHODS §0.3.1)
ECO_GROUPS = ("forest", "shrub", "grassland", "wetland", "water")
NODATA_TYPE = "nodata"


def class_table_path(spec: str | Path, key: str = "[landcover] classes") -> Path:
    """The CSV of a class scheme: a shipped scheme's file, or the user's path."""
    s = str(spec)
    if s.lower() in SCHEMES:
        return data_path(f"landcover_{s.lower()}.csv")
    p = Path(spec)
    if not p.suffix:
        raise ParameterError(
            f"unknown land-cover class scheme '{s}'",
            where=key,
            fix=f"use one of {list(SCHEMES)} or a path to a CSV with columns code, name, vegetation_type, group",
        )
    return p


def load_classes(spec: str | Path = "igbp", key: str = "[landcover] classes") -> pd.DataFrame:
    """The class table of a scheme: ``code (int), name, vegetation_type, coefficient_class, group, source``.

    A user CSV needs ``code`` and ``group`` (the other columns default to
    empty; carbon checks ``vegetation_type`` itself). Codes must be unique
    non-negative integers; groups one of :data:`GROUPS`.
    """
    p = class_table_path(spec, key)
    try:
        df = pd.read_csv(p, skipinitialspace=True, dtype={"group": str, "name": str})
    except FileNotFoundError:
        raise ParameterError("land-cover class table not found", where=f"{p} ({key})",
                             fix="give an existing CSV path") from None
    except Exception as e:  # noqa: BLE001 - parser errors vary
        raise ParameterError(f"land-cover class table cannot be read as CSV: {e}", where=str(p),
                             fix="save it as UTF-8 CSV") from None
    missing = [c for c in ("code", "group") if c not in df.columns]
    if missing:
        raise ParameterError(
            f"land-cover class table lacks column(s) {missing}",
            where=str(p),
            fix=f"give columns code, name, vegetation_type, group (group one of {', '.join(GROUPS)})",
        )
    for col, default in (("name", ""), ("vegetation_type", ""), ("coefficient_class", ""), ("source", f"user table {p}")):
        if col not in df.columns:
            df[col] = default
        df[col] = df[col].fillna("").astype(str).str.strip()
    codes = pd.to_numeric(df["code"], errors="coerce")
    bad = df.index[codes.isna() | (codes != codes.round()) | (codes < 0)].tolist()
    if bad:
        raise ParameterError(f"code {df['code'][bad[0]]!r} is not a non-negative integer",
                             where=f"{p}, row {bad[0] + 2}", fix="give integer land-cover codes")
    df["code"] = codes.astype(np.int64)
    dup = df["code"][df["code"].duplicated()].tolist()
    if dup:
        raise ParameterError(f"code(s) {dup} appear twice", where=str(p), fix="keep one row per code")
    df["group"] = df["group"].fillna("").astype(str).str.strip().str.lower()
    wrong = df.index[~df["group"].isin(GROUPS)].tolist()
    if wrong:
        i = wrong[0]
        raise ParameterError(f"code {df['code'][i]} has group {df['group'][i]!r}", where=f"{p}, row {i + 2}",
                             fix=f"use one of {', '.join(GROUPS)}")
    return df[["code", "name", "vegetation_type", "coefficient_class", "group", "source"]].reset_index(drop=True)


def codes_of(classes: pd.DataFrame, groups) -> list[int]:
    """Codes of the classes whose group is in ``groups`` (e.g. :data:`ECO_GROUPS`, ``["built"]``)."""
    groups = [groups] if isinstance(groups, str) else list(groups)
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        raise ParameterError(f"unknown land-cover group(s) {unknown}", where="class groups",
                             fix=f"use among {', '.join(GROUPS)}")
    ok = classes["group"].isin(groups) & (classes["vegetation_type"] != NODATA_TYPE)
    return sorted(int(c) for c in classes.loc[ok, "code"])


def group_lut(classes: pd.DataFrame, groups=GROUPS) -> np.ndarray:
    """Look-up array code → index of its group in ``groups`` (−1: not in them, or nodata)."""
    n = int(classes["code"].max()) + 1 if len(classes) else 1
    lut = np.full(n, -1, dtype=np.int8)
    pos = {g: i for i, g in enumerate(groups)}
    for code, g, vt in zip(classes["code"], classes["group"], classes["vegetation_type"], strict=True):
        if g in pos and vt != NODATA_TYPE:
            lut[int(code)] = pos[g]
    return lut


__all__ = ["ECO_GROUPS", "GROUPS", "SCHEMES", "class_table_path", "codes_of", "group_lut", "load_classes"]
