"""The factors of the geographical detector for a study (METHODS §7).

Four families, each a table of one row per unit of the analysed level (and
per year where the factor changes):

- terrain (:func:`terrain_factors`): ``elevation`` (m) and ``slope``
  (degrees), area-weighted means over each unit of the DEM and of its slope
  (Horn's method, :func:`ecozone.inputs.rasters.slope_degrees`), through the
  zonal engine (exact coverage of partial cells, true cell areas);
- land use (:func:`landuse_shares`): ``share_<group>`` (0–1), the share of
  each land-cover class group (forest, shrub, grassland, wetland, water,
  cropland, built, barren, other; :mod:`ecozone.landcover`) in the unit's
  area with land-cover data, per year;
- economy (:func:`economy_factors`): ``gdp_density`` (GDP per km², CNY
  km-2), ``population_density`` (persons km-2) and, when the economy table
  has an ``industry_share`` column, ``industry_share`` (as given: share or
  %), per year;
- the user's table ``[tables] factors`` (:data:`FACTORS`, :func:`user_factors`):
  ``unit_id, year, <factor columns>``; numeric columns are continuous
  factors (discretised), text columns categories (strata as they are).

Values given for the finest units are carried to an upper level as the
sections below say (sums of areas and of GDP and population over complete
members; a value given for the upper unit itself wins). User factor columns
are never aggregated: their rows must name units of the analysed level.

The functions are pure (DataFrames and lazy arrays in, DataFrames out);
:mod:`ecozone.drivers.run` wires them to a study.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ecozone.errors import InputError
from ecozone.inputs.tables import TableSchema, _to_numbers, is_missing_marker
from ecozone.landcover import GROUPS, group_lut

__all__ = [
    "BUILTIN",
    "ECONOMY",
    "FACTORS",
    "SHARES",
    "TERRAIN",
    "economy_factors",
    "factor_columns",
    "landuse_shares",
    "terrain_factors",
    "user_factors",
]

TERRAIN = ("elevation", "slope")
SHARES = tuple(f"share_{g}" for g in GROUPS)
ECONOMY = ("gdp_density", "population_density", "industry_share")
#: every factor ecozone computes itself (the user's table adds its own columns)
BUILTIN = TERRAIN + SHARES + ECONOMY
#: columns of the factors table that are never factors
RESERVED = ("unit_id", "year", "name", "name_en", "level")


# --------------------------------------------------------------------------- the input table


def factor_columns(table: pd.DataFrame) -> list[str]:
    """The factor (and target) columns of a factors table: every column but ``unit_id, year, name, level``."""
    return [c for c in table.columns if c not in RESERVED]


def _finish_factors(df: pd.DataFrame, where: str) -> pd.DataFrame:
    """Factor columns as numbers (continuous) or text labels (categories); a column mixing both is an error."""
    cols = factor_columns(df)
    if not cols:
        raise InputError(
            "the factors table has no factor column (only unit_id and year)",
            where=where,
            fix="add one column per factor after unit_id and year, e.g. unit_id, year, soil_organic_carbon",
        )
    df = df.copy()
    for c in cols:
        raw = df[c]
        if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
            df[c] = raw.astype("float64")
            continue
        missing = raw.map(is_missing_marker)
        num = pd.to_numeric(raw.where(~missing).map(lambda v: str(v).strip() if isinstance(v, str) else v),
                            errors="coerce")
        is_number = num.notna()
        is_text = ~missing & ~is_number
        # numbers written with separators, units or limits ("1,234", "12 %", "<0.5") are numbers gone wrong
        looks = pd.to_numeric(raw.where(is_text).astype(str).str.replace(r"[,\s%‰<>≤≥]", "", regex=True),
                              errors="coerce").notna() & is_text
        if looks.any():
            is_number = is_number | looks
        if not is_text.any():
            df[c], _ = _to_numbers(df, c, where)
        elif not is_number.any():
            df[c] = raw.where(~missing, None).map(lambda v: None if v is None else str(v).strip())
        else:
            try:
                _to_numbers(df, c, where)
            except InputError as e:
                raise InputError(
                    f"column '{c}' mixes numbers and text: {e.what}",
                    where=where,
                    fix=f"{e.fix}; a factor of categories holds text labels in every cell (e.g. 'red soil'), "
                    "or codes that are all numbers, listed in [drivers] categorical",
                ) from None
    return df


#: ``[tables] factors``: the user's factors (and targets) per unit and year (METHODS §7)
FACTORS = TableSchema(
    "factors",
    pa.DataFrameSchema(
        {
            "unit_id": pa.Column(str),
            "year": pa.Column(int, pa.Check.in_range(1900, 2100), coerce=True),
        }
    ),
    key=("unit_id", "year"),
    finish=_finish_factors,
)


def user_factors(table: pd.DataFrame, level_ids, columns: list[str] | None = None) -> pd.DataFrame:
    """The rows of the factors table that name units of one level.

    Parameters
    ----------
    table : pandas.DataFrame
        The validated ``[tables] factors`` (``unit_id, year, <columns>``).
    level_ids : iterable of str
        The ids of the units of the analysed level.
    columns : list of str, optional
        The columns to keep (default: every factor column).

    Returns
    -------
    pandas.DataFrame
        ``unit_id, year, <columns>`` (units as in the table: numbers for
        continuous factors, text for categories); only rows of units of the
        level (user factors are never aggregated between levels).
    """
    cols = factor_columns(table) if columns is None else list(columns)
    ids = set(map(str, level_ids))
    out = table.loc[table["unit_id"].isin(ids), ["unit_id", "year", *cols]]
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- raster factors


def _stack_reduce(weights, bands: list, names: list[str], stats: tuple[str, ...]):
    """zonal_reduce of several (y, x) arrays at once: (unit_id, band) rows → one column per name and stat."""
    import dask.array as dsa
    import xarray as xr

    from ecozone.zonal import zonal_reduce

    arrays = [b.data if isinstance(b, xr.DataArray) else b for b in bands]
    if any(isinstance(a, dsa.Array) for a in arrays):
        stack = dsa.stack([dsa.asarray(a) for a in arrays]).rechunk({0: -1})
    else:
        stack = np.stack([np.asarray(a) for a in arrays])
    z = zonal_reduce(weights, stack, stats=stats)
    z = z.reset_index()
    z["band"] = z["band"].map(dict(enumerate(names)))
    return z


def terrain_factors(weights, dem, slope, membership: pd.Series | None = None) -> pd.DataFrame:
    """Mean elevation and mean slope of every unit (METHODS §7 terrain factors).

    Parameters
    ----------
    weights : ecozone.zonal.ZonalWeights
        Coverage of the finest units over the grid of ``dem``.
    dem, slope : xarray.DataArray or array_like, shape (y, x)
        Elevation, m, and slope, degrees (NaN = no data), on that grid (lazy
        dask arrays are reduced chunk by chunk).
    membership : pandas.Series, optional
        Finest unit id → id at the analysed level (``Units.membership``):
        the means are then those of the upper units (Σ value·area / Σ area
        over their members' cells, exactly as a zonal pass over the dissolved
        units).

    Returns
    -------
    pandas.DataFrame
        ``unit_id``, ``elevation`` (m), ``slope`` (degrees): area-weighted
        means over the unit's cells with data (partial cells by their covered
        area); NaN for a unit without any.
    """
    from ecozone.zonal import aggregate

    z = _stack_reduce(weights, [dem, slope], ["elevation", "slope"], ("area_sum", "area_m2", "mean"))
    z = z.set_index(["unit_id", "band"])
    if membership is not None:
        z = aggregate(z, membership)
    out = z["mean"].unstack("band").reindex(columns=list(TERRAIN))
    out.columns.name = None
    return out.reset_index()


def landuse_shares(weights, landcover, classes: pd.DataFrame, membership: pd.Series | None = None) -> pd.DataFrame:
    """Share of each land-cover class group in every unit (METHODS §7 land-use factors).

    share_g = A_g / Σ_k A_k, with A_g the area (m², true cell areas, partial
    cells by their covered fraction) of the unit's cells whose class belongs
    to group g (:func:`ecozone.landcover.group_lut`; nodata classes and codes
    missing from the class table count in no group).

    Parameters
    ----------
    weights : ecozone.zonal.ZonalWeights
        Coverage of the finest units over the land-cover grid.
    landcover : xarray.DataArray or array_like of int, shape (y, x)
        Class codes (lazy dask arrays are reduced chunk by chunk).
    classes : pandas.DataFrame
        The study's class table (``ecozone.landcover.load_classes``).
    membership : pandas.Series, optional
        Finest unit id → id at the analysed level: shares of the upper units.

    Returns
    -------
    pandas.DataFrame
        ``unit_id`` and ``share_<group>`` (0–1) for every group present
        somewhere in the units; NaN for a unit without land-cover data.
    """
    import dask.array as dsa
    import xarray as xr

    from ecozone.zonal import aggregate

    lut = group_lut(classes, GROUPS)
    n = lut.size

    def lookup(b: np.ndarray) -> np.ndarray:
        b = np.asarray(b)
        ok = (b >= 0) & (b < n)
        return np.where(ok, lut[np.clip(b, 0, n - 1).astype(np.int64)], -1).astype(np.int8)

    arr = landcover.data if isinstance(landcover, xr.DataArray) else landcover
    if isinstance(arr, dsa.Array):
        g = arr.map_blocks(lookup, dtype=np.int8)
    else:
        g = lookup(np.asarray(arr))
    bands = [(g == k).astype(np.float32) for k in range(len(GROUPS))]
    z = _stack_reduce(weights, bands, list(GROUPS), ("area_sum",)).set_index(["unit_id", "band"])
    if membership is not None:
        z = aggregate(z, membership)
    area = z["area_sum"].unstack("band").reindex(columns=list(GROUPS)).fillna(0.0)
    total = area.sum(axis=1)
    present = [gname for gname in GROUPS if area[gname].sum() > 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = area[present].div(total.where(total > 0), axis=0)
    shares.columns = [f"share_{gname}" for gname in present]
    return shares.reset_index()


# --------------------------------------------------------------------------- economy


def _numeric(table: pd.DataFrame, col: str, where: str) -> pd.Series:
    """An extra column of the economy table (kept as text by the reader) as numbers."""
    s = table[col]
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype("float64")
    missing = s.map(is_missing_marker)
    num = pd.to_numeric(s.where(~missing).map(lambda v: str(v).strip() if isinstance(v, str) else v),
                        errors="coerce")
    bad = ~missing & num.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"unit {table['unit_id'].iloc[i]}, year {table['year'].iloc[i]}: {col} = {s.iloc[i]!r} is not a number "
            f"({int(bad.sum())} such cell(s))",
            where=where,
            fix=f"give column '{col}' numbers only (a share of GDP, 0-1 or %), or mark a cell missing",
        )
    return num.astype("float64")


def _at_level(values: pd.DataFrame, cols: list[str], membership: pd.Series | None, level_ids: set[str],
              how: dict[str, str]) -> pd.DataFrame:
    """``unit_id, year, cols`` at a level: the rows naming its units win over the members' aggregate.

    ``how``: per column ``"sum"`` (complete members only) or ``"weighted:<col>"`` (mean weighted
    by another column, complete members only).
    """
    direct = values[values["unit_id"].isin(level_ids)][["unit_id", "year", *cols]]
    if membership is None:
        return direct.reset_index(drop=True)
    up = values.assign(up=values["unit_id"].map(membership))
    up = up[up["up"].notna() & (up["up"] != "")]
    n_members = membership[membership != ""].value_counts()
    groups = up.groupby(["up", "year"])
    agg = {}
    for c in cols:
        mode = how.get(c, "sum")
        if mode == "sum":
            v = groups[c].sum(min_count=1)
            cnt = groups[c].count()
        else:
            w = mode.split(":", 1)[1]
            ok = up[c].notna() & up[w].notna()
            num = (up[c] * up[w]).where(ok).groupby([up["up"], up["year"]]).sum(min_count=1)
            den = up[w].where(ok).groupby([up["up"], up["year"]]).sum(min_count=1)
            v = num / den
            cnt = ok.groupby([up["up"], up["year"]]).sum()
        need = n_members.reindex(v.index.get_level_values(0)).to_numpy()
        agg[c] = v.where(cnt.reindex(v.index).to_numpy() >= need)
    summed = pd.DataFrame(agg).rename_axis(["unit_id", "year"]).reset_index()
    summed = summed[summed["unit_id"].isin(level_ids)]
    key = ["unit_id", "year"]
    out = direct.set_index(key).combine_first(summed.set_index(key))
    return out.reset_index()[key + cols]


def economy_factors(economy: pd.DataFrame, areas_km2: pd.Series, membership: pd.Series | None = None,
                    *, where: str = "[tables] economy") -> pd.DataFrame:
    """GDP per km², population density and the industry share of every unit and year (METHODS §7).

    Parameters
    ----------
    economy : pandas.DataFrame
        The validated economy table: ``unit_id, year, gdp`` (CNY),
        ``population`` (persons), optionally ``industry_share``; rows may name
        units of any level.
    areas_km2 : pandas.Series
        Area (km², equal-area CRS) of every unit of the analysed level, by id.
    membership : pandas.Series, optional
        Finest unit id → id at the analysed level (None at the finest level).
        GDP and population of the members are summed (an upper unit gets a
        value only when every member has one); ``industry_share`` is their
        GDP-weighted mean. A row naming the upper unit itself wins.
    where : str
        The table's file, for messages.

    Returns
    -------
    pandas.DataFrame
        ``unit_id, year, gdp_density`` (CNY km-2), ``population_density``
        (persons km-2) and, when the table has the column, ``industry_share``
        (unit as given).

    Raises
    ------
    InputError
        ``industry_share`` holds text that is not a number.
    """
    ids = set(map(str, areas_km2.index))
    cols = [c for c in ("gdp", "population") if c in economy.columns]
    values = economy[["unit_id", "year", *cols]].copy()
    how = {}
    if "industry_share" in economy.columns:
        values["industry_share"] = _numeric(economy, "industry_share", where)
        if "gdp" in cols:
            how["industry_share"] = "weighted:gdp"
        cols.append("industry_share")
    if membership is not None and "industry_share" in cols and "gdp" not in cols:
        cols.remove("industry_share")  # no GDP to weigh the members' shares by
    lv = _at_level(values, cols, membership, ids, how)
    area = lv["unit_id"].map(areas_km2).astype(float)
    out = lv[["unit_id", "year"]].copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        if "gdp" in cols:
            out["gdp_density"] = lv["gdp"] / area.where(area > 0)
        if "population" in cols:
            out["population_density"] = lv["population"] / area.where(area > 0)
    if "industry_share" in cols:
        out["industry_share"] = lv["industry_share"]
    return out.reset_index(drop=True)
