"""Loaders of the carbon parameter tables, validated.

Shipped tables (``ecozone/params``), each with a ``source`` column:

- ``casa_vegetation.csv``: ε_max (gC MJ-1) and NDVI extremes per vegetation
  type (Zhu et al. 2006, 2007). The row order defines the vegetation-type
  index used by the kernels.
- ``landcover_igbp.csv``, ``landcover_resdc.csv``, ``landcover_clcd.csv``:
  land-cover code → vegetation type (or ``non_vegetated`` / ``nodata``) and
  the coefficient-method class.
- ``carbon_coefficients.csv``: carbon coefficients δ (t C ha-1 yr-1) of the
  coefficient method (METHODS §2.3).

A user may give a path to a CSV of the same columns instead of any of them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ecozone.errors import ParameterError
from ecozone.landcover import class_table_path
from ecozone.params import data_path

NON_VEGETATED = "non_vegetated"
NODATA = "nodata"
#: codes of the vegetation-type index raster besides the types 0..n-1
INDEX_NON_VEGETATED = -1
INDEX_NODATA = -2
INDEX_UNKNOWN = -3

_LANDCOVER_FIX = (
    'set [landcover] classes to the legend of your land-cover rasters ("igbp", "resdc", '
    '"clcd") or to a CSV with columns code, vegetation_type (one of {types}, "non_vegetated" or '
    '"nodata") and optionally coefficient_class'
)


def _read_csv(path: Path, what: str, key: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path, comment=None, skipinitialspace=True)
    except FileNotFoundError:
        raise ParameterError(
            f"{what} file not found",
            where=f"{path} ([carbon] {key})",
            fix="give an existing CSV path",
        ) from None
    except Exception as e:  # pragma: no cover - parser errors vary
        raise ParameterError(
            f"{what} cannot be read as CSV: {e}", where=str(path), fix="save it as UTF-8 CSV"
        ) from e


def _require(df: pd.DataFrame, cols: list[str], path: Path, what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ParameterError(
            f"{what} lacks column(s) {missing} (has {list(df.columns)})",
            where=str(path),
            fix=f"give the columns {cols}",
        )


def load_vegetation_table(path: str | Path | None = None) -> pd.DataFrame:
    """ε_max (gC MJ-1) and NDVI extremes (−) per vegetation type.

    Returns a DataFrame indexed 0..n-1 (the vegetation-type index) with
    columns ``vegetation_type, epsilon_max, ndvi_min, ndvi_max, source``.
    ``path`` = None loads the shipped table (Zhu et al. 2006, 2007).
    """
    p = Path(path) if path is not None else data_path("casa_vegetation.csv")
    df = _read_csv(p, "vegetation table", "casa.epsilon_table")
    _require(df, ["vegetation_type", "epsilon_max", "ndvi_min", "ndvi_max"], p, "vegetation table")
    if "source" not in df.columns:
        df["source"] = f"user table {p}"
    df["vegetation_type"] = df["vegetation_type"].astype(str).str.strip()
    dup = df["vegetation_type"][df["vegetation_type"].duplicated()].tolist()
    if dup:
        raise ParameterError(
            f"vegetation type(s) {dup} appear twice", where=str(p), fix="keep one row per type"
        )
    for i, row in df.iterrows():
        where = f"{p}, row {i + 2} ({row['vegetation_type']})"
        try:
            e, lo, hi = float(row["epsilon_max"]), float(row["ndvi_min"]), float(row["ndvi_max"])
        except (TypeError, ValueError):
            raise ParameterError(
                "epsilon_max, ndvi_min and ndvi_max must be numbers",
                where=where,
                fix="correct the row",
            ) from None
        if not (e > 0 and np.isfinite(e)):
            raise ParameterError(
                f"epsilon_max must be > 0 gC/MJ (got {e})", where=where, fix="correct the row"
            )
        if not (-1 < lo < hi < 1):
            raise ParameterError(
                f"need -1 < ndvi_min < ndvi_max < 1 (got {lo}, {hi})",
                where=where,
                fix="correct the row",
            )
    if NON_VEGETATED in set(df["vegetation_type"]) or NODATA in set(df["vegetation_type"]):
        raise ParameterError(
            "the vegetation table lists non_vegetated/nodata, which have no ε_max",
            where=str(p),
            fix="remove those rows; non-vegetated classes are declared in the land-cover table",
        )
    df = df.astype({"epsilon_max": float, "ndvi_min": float, "ndvi_max": float})
    return df.reset_index(drop=True)[
        ["vegetation_type", "epsilon_max", "ndvi_min", "ndvi_max", "source"]
    ]


def load_landcover_table(
    spec: str | Path = "igbp", vegetation_types: list[str] | None = None
) -> pd.DataFrame:
    """Land-cover code → vegetation type table.

    ``spec``: ``"igbp"`` | ``"resdc"`` | ``"clcd"`` (shipped) or a path to a
    CSV with columns ``code, vegetation_type`` (optional ``name``,
    ``coefficient_class``, ``source``). ``vegetation_type`` is one of the
    types of the vegetation table, ``non_vegetated`` or ``nodata``.
    Returns columns ``code (int), name, vegetation_type, coefficient_class, source``.
    """
    if vegetation_types is None:
        vegetation_types = load_vegetation_table()["vegetation_type"].tolist()
    p = class_table_path(spec)
    df = _read_csv(p, "land-cover table", "landcover_classes")
    _require(df, ["code", "vegetation_type"], p, "land-cover table")
    for col, default in (("name", ""), ("coefficient_class", ""), ("source", f"user table {p}")):
        if col not in df.columns:
            df[col] = default
    df["coefficient_class"] = df["coefficient_class"].fillna("").astype(str).str.strip()
    df["name"] = df["name"].fillna("").astype(str)
    df["vegetation_type"] = df["vegetation_type"].astype(str).str.strip()
    codes = pd.to_numeric(df["code"], errors="coerce")
    bad = df.index[codes.isna() | (codes != codes.round()) | (codes < 0)].tolist()
    if bad:
        i = bad[0]
        raise ParameterError(
            f"code {df['code'][i]!r} is not a non-negative integer",
            where=f"{p}, row {i + 2}",
            fix="give integer land-cover codes",
        )
    df["code"] = codes.astype(np.int64)
    dup = df["code"][df["code"].duplicated()].tolist()
    if dup:
        raise ParameterError(
            f"code(s) {dup} appear twice", where=str(p), fix="keep one row per code"
        )
    allowed = set(vegetation_types) | {NON_VEGETATED, NODATA}
    for i, row in df.iterrows():
        if row["vegetation_type"] not in allowed:
            raise ParameterError(
                f"code {row['code']} maps to unknown vegetation type '{row['vegetation_type']}'",
                where=f"{p}, row {i + 2}",
                fix=f"use one of {sorted(allowed)}",
            )
    return df[["code", "name", "vegetation_type", "coefficient_class", "source"]]


def landcover_lut(landcover_table: pd.DataFrame, vegetation_types: list[str]) -> np.ndarray:
    """Look-up array code → vegetation-type index (int8).

    Entry ``c`` holds the index of code ``c``'s type in ``vegetation_types``,
    :data:`INDEX_NON_VEGETATED` (−1), :data:`INDEX_NODATA` (−2) or, for codes
    absent from the table, :data:`INDEX_UNKNOWN` (−3).
    """
    n = int(landcover_table["code"].max()) + 1 if len(landcover_table) else 1
    lut = np.full(n, INDEX_UNKNOWN, dtype=np.int8)
    pos = {t: i for i, t in enumerate(vegetation_types)}
    for code, vt in zip(landcover_table["code"], landcover_table["vegetation_type"], strict=True):
        if vt == NON_VEGETATED:
            lut[code] = INDEX_NON_VEGETATED
        elif vt == NODATA:
            lut[code] = INDEX_NODATA
        else:
            lut[code] = pos[vt]
    return lut


def vegetation_index(
    landcover: np.ndarray, lut: np.ndarray, nodata: float | None = None
) -> np.ndarray:
    """Vegetation-type index (int8) of each pixel of a land-cover array.

    Pixels equal to ``nodata`` or NaN get −2, codes absent from the table −3.
    """
    lc = np.asarray(landcover)
    out = np.full(lc.shape, INDEX_UNKNOWN, dtype=np.int8)
    if lc.dtype.kind == "f":
        valid = np.isfinite(lc)
        codes = np.where(valid, lc, -1).astype(np.int64)
    else:
        valid = np.ones(lc.shape, bool)
        codes = lc.astype(np.int64)
    inside = valid & (codes >= 0) & (codes < lut.size)
    out[inside] = lut[codes[inside]]
    out[~valid] = INDEX_NODATA
    if nodata is not None and np.isfinite(nodata):
        out[lc == nodata] = INDEX_NODATA
    return out


def check_landcover_codes(
    codes_present, landcover_table: pd.DataFrame, spec: str, nodata=None
) -> None:
    """Raise :class:`ParameterError` naming every code of the rasters not in the table."""
    known = set(landcover_table["code"].tolist())
    present = []
    for c in np.asarray(codes_present).ravel().tolist():
        if c is None or (isinstance(c, float) and not np.isfinite(c)):
            continue
        if nodata is not None and c == nodata:
            continue
        present.append(c)
    unknown = sorted({c for c in present if c != int(c) or int(c) not in known})
    if unknown:
        shown = ", ".join(str(int(c)) if c == int(c) else str(c) for c in unknown[:20])
        types = load_vegetation_table()["vegetation_type"].tolist()
        raise ParameterError(
            f"land-cover code(s) {shown} of the landcover rasters are not in the '{spec}' table",
            where=f"[landcover] classes = {spec!r}",
            fix=_LANDCOVER_FIX.format(types=types)
            + "; declare a fill value as nodata in [rasters.landcover] or map it to 'nodata'",
        )


def load_coefficients(path: str | Path | None = None) -> pd.DataFrame:
    """Carbon coefficients δ (t C ha-1 yr-1; negative = sink) per coefficient class."""
    p = Path(path) if path is not None else data_path("carbon_coefficients.csv")
    df = _read_csv(p, "coefficient table", "coefficients.table")
    _require(df, ["coefficient_class", "delta_tc_per_ha_yr"], p, "coefficient table")
    if "source" not in df.columns:
        df["source"] = f"user table {p}"
    df["coefficient_class"] = df["coefficient_class"].astype(str).str.strip()
    vals = pd.to_numeric(df["delta_tc_per_ha_yr"], errors="coerce")
    if vals.isna().any():
        i = int(vals.index[vals.isna()][0])
        raise ParameterError(
            "delta_tc_per_ha_yr must be a number",
            where=f"{p}, row {i + 2}",
            fix="give the coefficient in t C per ha per year (negative = sink)",
        )
    df["delta_tc_per_ha_yr"] = vals.astype(float)
    if df["coefficient_class"].duplicated().any():
        raise ParameterError(
            "a coefficient class appears twice", where=str(p), fix="one row per class"
        )
    return df[["coefficient_class", "delta_tc_per_ha_yr", "source"]]
