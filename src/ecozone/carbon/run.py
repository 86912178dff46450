"""The carbon analysis wired to the inputs, the zonal engine and the store.

For every study year: stream the improved CASA model over the monthly
rasters (annual NPP, Rh, NEP, written block by block to scratch GeoTIFFs so
the kernel runs once per chunk and memory stays bounded), reduce them to the
finest units with the zonal engine (true pixel areas, partial pixels), sum
up the hierarchy, and add emissions (gap-filled by ARIMA where they stop
early) and GDP. Then the budget, indices and zones of every level and year,
their changes and transitions, the coefficient-method sink beside CASA, and
the spatial pattern (Moran's I, LISA, Gi*, gravity centres).

Tables written (all keyed by ``level, unit_id, year`` where they are per unit):

- ``carbon``: ce_tc, cs_tc, cs_coeff_tc, cb_tc, cbi, ecc, esc, zone,
  budget_state, net_source_ecosystem, emissions_filled, ce_lower_tc,
  ce_upper_tc, gdp_cny, npp_mean, rh_mean, nep_mean (gC m-2 yr-1,
  area-weighted over the unit), area_km2;
- ``carbon_zones``: count and area share of every zone per level and year;
- ``carbon_changes``: % change of CE, CS, CB, CBI between consecutive years;
- ``carbon_transitions``: zone transitions between consecutive years;
- ``carbon_spatial``: LISA and Gi* per unit, variable and year (county and city);
- ``carbon_moran``: global Moran's I per level, variable and year;
- ``carbon_gravity``: gravity centres of CE and CS per level and year;
- ``carbon_extremes``: ε_max and NDVI extremes used per vegetation type and year;
- ``carbon_emissions_fill``: every filled emission value with its 95 % interval, the model chosen
  (naive, drift, damped drift, ARIMA or their combination) and its hold-out error.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ecozone.carbon.budget import carbon_budget, percent_changes
from ecozone.carbon.coefficients import coefficient_sinks
from ecozone.carbon.emissions import fill_emissions
from ecozone.carbon.pipeline import casa_year, extremes_of
from ecozone.carbon.spatial import gravity_centre_migration, spatial_autocorrelation
from ecozone.carbon.tables import load_coefficients, load_landcover_table, load_vegetation_table
from ecozone.carbon.zoning import assign_zones, zone_summary, zone_transitions
from ecozone.errors import InputError
from ecozone.inputs import rasters as rinputs

G_PER_T = 1e6


def _blocks_to_files(ds, names: list[str], grid, folder: Path, year: int) -> dict[str, Path]:
    """Compute ``ds[names]`` block by block (all variables of a block together) into GeoTIFFs."""
    import dask
    import rasterio
    from rasterio.windows import Window

    arrays = [ds[n].data for n in names]
    paths = {n: folder / f"{n}_{year}.tif" for n in names}
    profile = dict(
        driver="GTiff", width=grid.width, height=grid.height, count=1, dtype="float32",
        crs=grid.crs.to_wkt(), transform=grid.transform, nodata=np.nan, tiled=True,
        blockxsize=256, blockysize=256, compress="deflate", BIGTIFF="IF_SAFER",
    )
    dsts = {n: rasterio.open(paths[n], "w", **profile) for n in names}
    try:
        ych, xch = arrays[0].chunks
        oy = np.concatenate([[0], np.cumsum(ych)])
        ox = np.concatenate([[0], np.cumsum(xch)])
        idx = [(i, j) for i in range(len(ych)) for j in range(len(xch))]
        batch = 8  # blocks computed together: keeps both cores busy, memory bounded
        for k in range(0, len(idx), batch):
            part = idx[k : k + batch]
            got = dask.compute(*[a.blocks[i, j] for (i, j) in part for a in arrays])
            for b, (i, j) in enumerate(part):
                for v, n in enumerate(names):
                    block = np.asarray(got[b * len(names) + v], dtype="float32")
                    dsts[n].write(block, 1, window=Window(ox[j], oy[i], block.shape[1], block.shape[0]))
        for n in names:
            dsts[n].update_tags(1, units="gC m-2 yr-1", long_name=ds[n].attrs.get("long_name", n))
    finally:
        for d in dsts.values():
            d.close()
    return paths


def _scratch_parent(inp) -> str | None:
    """Folder of the scratch rasters: the study's cache folder when a dask.distributed client
    runs the raster work (its workers open the scratch files by path, as they open the study's
    inputs, so on a cluster of several machines both must be on the shared file system), else
    the system's temporary folder."""
    try:
        from distributed import default_client

        default_client()
    except (ImportError, ValueError):  # no distributed client: local threads
        return None
    try:
        inp.cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return str(inp.cache_dir)


def _open_scratch(path: Path, grid, chunk: int):
    import rioxarray

    da = rioxarray.open_rasterio(path, chunks={"band": 1, "y": chunk, "x": chunk}, masked=True, lock=False)
    da = da.isel(band=0, drop=True)
    long_name = da.attrs.get("long_name")  # the tag _blocks_to_files wrote
    da.attrs = {"grid": grid, "units": "gC m-2 yr-1"}
    if isinstance(long_name, str) and long_name:
        da.attrs["long_name"] = long_name
    return da


def _class_areas(inp, lc, weights, codes: list[int]) -> pd.DataFrame:
    """Area (m²) of every land-cover class in every finest unit."""
    import xarray as xr

    from ecozone.zonal import zonal_reduce

    stack = xr.concat([(lc == c).astype("float32") for c in codes], dim=xr.Variable("code", codes))
    z = zonal_reduce(weights, stack, stats=("area_sum",))
    z = z.reset_index().rename(columns={"area_sum": "area_m2"})
    return z[z["area_m2"] > 0]


def _up(inp, finest: pd.DataFrame, value_cols: list[str], how: str = "sum") -> pd.DataFrame:
    """Finest-level rows (unit_id, year, values) summed to every level (complete members only).

    An upper unit gets a value only when every member has one (no partial sums).
    """
    units = inp.units
    out = [finest.assign(level=units.finest_level)]
    for lv in units.levels[1:]:
        m = units.membership(lv)
        f = finest.copy()
        f["up"] = f["unit_id"].map(m)
        f = f[f["up"].notna() & (f["up"] != "")]
        n_members = m[m != ""].value_counts()
        g = f.groupby(["up", "year"])
        agg = g[value_cols].sum(min_count=1)
        counts = g[value_cols].count()
        need = n_members.reindex(agg.index.get_level_values(0)).to_numpy()
        for c in value_cols:
            agg.loc[counts[c].to_numpy() < need, c] = np.nan
        agg = agg.reset_index().rename(columns={"up": "unit_id"})
        out.append(agg.assign(level=lv))
    return pd.concat(out, ignore_index=True)


def _values_any_level(inp, table: pd.DataFrame, col: str) -> pd.DataFrame:
    """A table whose rows may name units of any level → (level, unit_id, year, col) at every level.

    Finest-level values are summed upwards (complete members only); a value
    given directly for an upper unit wins over the sum.
    """
    levels_of = inp.units.frame.groupby("unit_id")["level"].agg(list)
    finest_ids = set(inp.units.ids(inp.units.finest_level))
    t = table[["unit_id", "year", col]].copy()
    fine = t[t["unit_id"].isin(finest_ids)]
    summed = _up(inp, fine, [col])
    direct = t[~t["unit_id"].isin(finest_ids)].copy()
    if len(direct):
        direct["level"] = direct["unit_id"].map(lambda u: levels_of.get(u, [None])[0])
        key = ["level", "unit_id", "year"]
        summed = summed.set_index(key)
        d = direct.set_index(key)[col]
        summed = summed.combine_first(d.to_frame()).astype({col: float})
        summed.loc[d.index, col] = d
        summed = summed.reset_index()
    return summed


def run_carbon(inp, rep):
    """Run the carbon analysis on validated inputs; return an AnalysisResult."""
    from ecozone.analysis import AnalysisResult
    from ecozone.zonal import zonal_reduce

    st = inp.study
    p = st.carbon
    years = st.study.years
    grid = inp.rasters.grid
    notes: list[str] = []
    scratch = Path(tempfile.mkdtemp(prefix="ecozone-carbon-", dir=_scratch_parent(inp)))
    try:
        # ---------------------------------------------------------- emissions
        em = inp.tables["emissions"][["unit_id", "year", "value_tc"]].rename(columns={"value_tc": "value"})
        with rep.step("carbon: emissions gap-filling (hold-out selection among naive, drift, damped, ARIMA, combination)"):
            filled = fill_emissions(em, years, p.emissions, cache_dir=inp.cache_dir)
        for _, r in filled.notes.iterrows():
            notes.append(f"emissions of unit {r['unit_id']}: {r['note']}")
        ft = filled.table
        fill_table = ft[ft["emissions_filled"]].rename(
            columns={"value": "ce_tc", "lower": "ce_lower_tc", "upper": "ce_upper_tc"}
        )
        # the level each emissions row names (an id may be a county or directly a city)
        level_of = inp.units.frame.drop_duplicates("unit_id").set_index("unit_id")["level"]
        fill_table.insert(0, "level", fill_table["unit_id"].map(level_of))
        ce_rows = ft[ft["year"].isin(years)].rename(columns={"value": "ce_tc"})
        n_filled = int(ce_rows["emissions_filled"].sum())
        if n_filled:
            notes.append(
                f"carbon: {n_filled} unit-year emission values gap-filled (flagged emissions_filled; "
                "model, hold-out MAPE and 95 % intervals in carbon_emissions_fill)"
            )
        ce = _values_any_level(inp, ce_rows, "ce_tc")
        flag = ce_rows[["unit_id", "year", "emissions_filled"]]
        # an upper unit's value is filled when any member's is, or when its own given series was
        flags = _values_any_level(
            inp, flag.assign(emissions_filled=flag["emissions_filled"].astype(float)), "emissions_filled"
        )
        flags["emissions_filled"] = flags["emissions_filled"] > 0
        gdp = _values_any_level(inp, inp.tables["economy"].rename(columns={"gdp": "gdp_cny"}), "gdp_cny")

        # --------------------------------------------------------- CASA
        weights = inp.zonal_weights(inp.units.finest_level)
        uncovered = weights.uncovered() if hasattr(weights, "uncovered") else []
        if len(uncovered):
            notes.append(f"carbon: {len(uncovered)} unit(s) lie outside the raster grid: {list(uncovered)[:10]}")
        veg = load_vegetation_table(p.casa.epsilon_table)
        lc_table = load_landcover_table(st.landcover.classes, veg["vegetation_type"].tolist())
        coeffs = load_coefficients(p.coefficients.table)
        pix, ext_rows, coef_rows, rasters = [], [], [], {}
        for y in years:
            with rep.step(f"carbon: CASA NPP, Rh, NEP {y}"):
                args = [rinputs.open_monthly(st, inp.rasters, v, y, packed=True) for v in rinputs.MONTHLY]
                lc = rinputs.open_landcover(st, inp.rasters, y)
                ds = casa_year(*args, lc, p)
                ext = extremes_of(ds).assign(year=y)
                ext_rows.append(ext)
                paths = _blocks_to_files(ds, ["npp", "rh", "nep"], grid, scratch, y)
            with rep.step(f"carbon: zonal sums {y}"):
                import xarray as xr

                stack = xr.concat(
                    [_open_scratch(paths[n], grid, st.compute.chunk_size) for n in ("npp", "rh", "nep")],
                    dim=xr.Variable("var", ["npp", "rh", "nep"]),
                )
                z = zonal_reduce(weights, stack, stats=("area_sum", "area_m2", "mean"))
                z = z.reset_index().pivot(index="unit_id", columns="var", values=["area_sum", "mean", "area_m2"])
                fine = pd.DataFrame(
                    {
                        "unit_id": z.index,
                        "year": y,
                        "npp_gc": z[("area_sum", "npp")].to_numpy(),
                        "rh_gc": z[("area_sum", "rh")].to_numpy(),
                        "nep_gc": z[("area_sum", "nep")].to_numpy(),
                        "valid_m2": z[("area_m2", "nep")].to_numpy(),
                    }
                )
                pix.append(fine)
                codes = sorted(int(c) for c in lc_table["code"])
                lc_codes = [c for c in codes if c in set(np.unique(lc.values).tolist())]
                ca = _class_areas(inp, lc, weights, lc_codes)
                ca["year"] = y
                coef_rows.append(coefficient_sinks(ca.rename(columns={"code": "code"}), lc_table, coeffs))
            for n in ("npp", "nep"):
                rasters[f"{n}_{y}"] = _open_scratch(paths[n], grid, st.compute.chunk_size)

        pixels = pd.concat(pix, ignore_index=True)
        sums = _up(inp, pixels, ["npp_gc", "rh_gc", "nep_gc", "valid_m2"])
        for c in ("npp", "rh", "nep"):
            sums[f"{c}_mean"] = sums[f"{c}_gc"] / sums["valid_m2"].where(sums["valid_m2"] > 0)
        sums["cs_tc"] = sums["nep_gc"] / G_PER_T
        coef = pd.concat(coef_rows, ignore_index=True)[["unit_id", "year", "cs_coefficient"]]
        coef = _up(inp, coef.rename(columns={"cs_coefficient": "cs_coeff_tc"}), ["cs_coeff_tc"])

        # ------------------------------------------------------- budget, zones
        with rep.step("carbon: budget, indices, zones"):
            key = ["level", "unit_id", "year"]
            area = inp.units.frame[["level", "unit_id", "area_km2"]]
            df = sums[key + ["cs_tc", "npp_mean", "rh_mean", "nep_mean"]]
            df = df.merge(ce, on=key, how="outer").merge(gdp, on=key, how="left")
            df = df.merge(flags[key + ["emissions_filled"]], on=key, how="left")
            df = df.merge(coef[key + ["cs_coeff_tc"]], on=key, how="left")
            df = df.merge(area, on=["level", "unit_id"], how="left")
            df = df[df["year"].isin(years)]
            df["emissions_filled"] = df["emissions_filled"].fillna(False).astype(bool)
            b = carbon_budget(
                df.rename(columns={"ce_tc": "ce", "cs_tc": "cs", "gdp_cny": "gdp"}), p.zoning.tie_rtol
            )
            b = assign_zones(b, p.zoning)
            b = b.rename(columns={"ce": "ce_tc", "cs": "cs_tc", "gdp": "gdp_cny", "cb": "cb_tc"})
            lv_order = {lv: i for i, lv in enumerate(inp.units.levels)}
            b = b.sort_values(["level", "unit_id", "year"], key=lambda s: s.map(lv_order) if s.name == "level" else s)
            b = b.merge(fill_table[key + ["ce_lower_tc", "ce_upper_tc"]], on=key, how="left")
            cols = [
                "level", "unit_id", "year", "ce_tc", "cs_tc", "cs_coeff_tc", "cb_tc", "cbi", "ecc", "esc",
                "zone", "zone_note", "budget_state", "net_source_ecosystem", "emissions_filled",
                "ce_lower_tc", "ce_upper_tc", "gdp_cny", "npp_mean", "rh_mean", "nep_mean", "area_km2",
            ]
            carbon = b[cols].reset_index(drop=True)
            zones = zone_summary(carbon[carbon["zone"].notna()], "area_km2")
            changes = percent_changes(
                carbon.rename(columns={"ce_tc": "ce", "cs_tc": "cs", "cb_tc": "cb"}), by=["level", "unit_id"]
            )
            transitions = zone_transitions(carbon, "area_km2")

        # ------------------------------------------------------ spatial pattern
        with rep.step("carbon: Moran's I, LISA, Gi*, gravity centres"):
            glob, loc, grav = [], [], []
            for lv in inp.units.levels[:2]:
                units_lv = inp.units.of_level(lv)
                if len(units_lv) < 3:
                    notes.append(f"carbon spatial ({lv}): fewer than 3 units; no Moran's I, LISA or Gi*")
                    continue
                t = carbon[carbon["level"] == lv][["unit_id", "year", "cb_tc", "cbi", "nep_mean"]]
                gl, lo, sn = spatial_autocorrelation(units_lv, t, ["cb_tc", "cbi", "nep_mean"], p.spatial)
                notes += [f"carbon spatial ({lv}): {n}" for n in sn[:5]]
                if len(gl):
                    glob.append(gl.assign(level=lv))
                if len(lo):
                    loc.append(lo.assign(level=lv))
            for lv in inp.units.levels:
                units_lv = inp.units.of_level(lv)
                if len(units_lv) < 2:
                    continue
                t = carbon[carbon["level"] == lv]
                for col, what in (("ce_tc", "emission"), ("cs_tc", "sequestration")):
                    g = gravity_centre_migration(units_lv, t[["unit_id", "year", col]].dropna(), col, st.study.area_crs)
                    grav.append(g.assign(level=lv, variable=what))
            moran = pd.concat(glob, ignore_index=True) if glob else pd.DataFrame()
            spatial = pd.concat(loc, ignore_index=True) if loc else pd.DataFrame()
            gravity = pd.concat(grav, ignore_index=True) if grav else pd.DataFrame()

        tables = {
            "carbon": carbon,
            "carbon_zones": zones,
            "carbon_changes": changes,
            "carbon_transitions": transitions,
            "carbon_spatial": _front(spatial, ["level", "unit_id", "year", "variable"]),
            "carbon_moran": _front(moran, ["level", "year", "variable"]),
            "carbon_gravity": _front(gravity, ["level", "variable", "year"]),
            "carbon_extremes": _front(pd.concat(ext_rows, ignore_index=True), ["year"]),
            "carbon_emissions_fill": fill_table.reset_index(drop=True),
        }
        tables = {k: v for k, v in tables.items() if len(v)}
        # the scratch files back the rasters until the store has written them
        res = AnalysisResult(tables=tables, rasters=rasters, notes=notes)
        res.scratch.append(scratch)
        return res
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise


def _front(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    if len(df) == 0:
        return df
    first = [c for c in cols if c in df.columns]
    return df[first + [c for c in df.columns if c not in first]]


__all__ = ["run_carbon", "InputError"]
