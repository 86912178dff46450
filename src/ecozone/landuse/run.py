"""The land-use change analysis wired to the inputs, the zonal engine and the store (METHODS §6).

For every pair of consecutive study years (the land cover of each, the
``landcover`` rasters on the reference grid — not ``landcover_fine``,
METHODS §0.3.1):

- the transition matrix of every finest unit in one pass over both rasters
  (:func:`ecozone.landuse.transition_matrix`: area-exact through the zonal
  engine's coverage weights, true cell areas), summed to every level;
- the change summary of every unit (:func:`ecozone.landuse.change_summary`:
  built-up and ecological land, expansion intensity against the unit's area
  in the study's equal-area CRS);
- the raster ``built_change_{y0}_{y1}`` (0 unchanged, 1 new built-up, 2
  built-up lost), computed block by block as the store writes it.

Tables written:

- ``landuse_transitions``: ``level, unit_id, year_from, year_to, class_from,
  class_name_from, class_to, class_name_to, area_km2`` (codes as the rasters
  give them, names from the class table);
- ``landuse_change``: ``level, unit_id, year_from, year_to`` and
  :data:`ecozone.landuse.CHANGE_COLUMNS`.

Codes of the rasters that the class table lacks stay in the transitions
(without a name) and are left out of the summary, with a note giving their
area; units outside the grid are named in a note. A pair of classes that a
unit holds only through rounding slivers of the coverage (less than
:data:`SLIVER` of a cell, e.g. a cell touching the unit along a shared edge)
is left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecozone.analysis import AnalysisResult
from ecozone.inputs import rasters as rinputs
from ecozone.landcover import codes_of, load_classes
from ecozone.landuse.change import (
    BUILT_CHANGE_NODATA,
    CHANGE_COLUMNS,
    built_change,
    change_summary,
    sum_to_levels,
    transition_matrix,
)

#: columns of the table ``landuse_transitions``
TRANSITIONS_TABLE = ("level", "unit_id", "year_from", "year_to", "class_from", "class_name_from", "class_to",
                     "class_name_to", "area_km2")
#: a unit's pair of classes covering less than this fraction of one cell is a rounding sliver, left out
SLIVER = 1e-9
#: columns of the table ``landuse_change``
CHANGE_TABLE = ("level", "unit_id", "year_from", "year_to", *CHANGE_COLUMNS)


def landcover_years(inp) -> list[int]:
    """The study years (ascending) whose land-cover raster exists."""
    found = inp.rasters.paths.get("landcover") or {}
    return [y for y in sorted(inp.study.study.years) if (y, 0) in found]


def run(inp, rep) -> AnalysisResult:
    """Run the land-use change analysis on validated inputs (METHODS §6).

    Parameters
    ----------
    inp:
        The study's inputs (:class:`ecozone.analysis.Inputs`): the
        ``landcover`` rasters of the study years, the units, the
        ``[landcover] classes`` table and the ``[landuse]`` parameters.
    rep:
        Progress reporter (one step per period).

    Returns
    -------
    AnalysisResult
        Tables ``landuse_transitions`` (km²) and ``landuse_change`` (km², %
        per year, per year), rasters ``built_change_{y0}_{y1}`` (float32 on
        the reference grid: 0, 1, 2, NaN where either year has no data) and
        notes. With fewer than two land-cover years: no table, one note.
    """
    st = inp.study
    params = st.landuse
    notes: list[str] = []
    years = landcover_years(inp)
    if len(years) < 2:
        have = ", ".join(map(str, years)) or "none"
        notes.append(
            f"landuse: not run — land-use change needs the land cover of two study years or more "
            f"(years with land cover: {have}); add a year to [study] years and its landcover raster"
        )
        return AnalysisResult(notes=notes)

    classes = load_classes(st.landcover.classes)
    known = set(int(c) for c in classes["code"])
    name_of = dict(zip(classes["code"].astype(int), classes["name"], strict=True))
    built = codes_of(classes, ["built"])
    if not built:
        notes.append(
            f"landuse: the class table ([landcover] classes = {st.landcover.classes!r}) has no class of the "
            "group 'built'; built-up areas, expansion intensity and built_change are all 0"
        )
    units = inp.units
    weights = inp.zonal_weights(units.finest_level)
    outside = list(weights.uncovered())
    if outside:
        notes.append(
            f"landuse: {len(outside)} unit(s) lie outside the land-cover grid and have no transitions: "
            f"{outside[:10]}"
        )
    area = units.frame[["level", "unit_id", "area_km2"]]
    level_rank = {lv: i for i, lv in enumerate(units.levels)}

    trans_parts: list[pd.DataFrame] = []
    change_parts: list[pd.DataFrame] = []
    rasters: dict[str, object] = {}
    for y0, y1 in zip(years[:-1], years[1:], strict=True):
        with rep.step(f"landuse: transitions {y0}–{y1}"):
            lc0 = rinputs.open_landcover(st, inp.rasters, y0)
            lc1 = rinputs.open_landcover(st, inp.rasters, y1)
            fine = _without_slivers(transition_matrix(lc0, lc1, weights), inp.rasters.grid)
            rasters[f"built_change_{y0}_{y1}"] = _stored_built_change(lc0, lc1, built, inp.rasters.grid, y0, y1)
            if not len(fine):
                notes.append(f"landuse {y0}–{y1}: no unit has a cell with land cover in both years")
                continue
            by_level = sum_to_levels(fine, units)
            codes = pd.unique(pd.concat([fine["class_from"], fine["class_to"]], ignore_index=True))
            unknown = sorted(int(c) for c in codes if int(c) not in known)
            known_rows = ~(by_level["class_from"].isin(unknown) | by_level["class_to"].isin(unknown))
            if unknown:
                bad = fine["class_from"].isin(unknown) | fine["class_to"].isin(unknown)
                notes.append(
                    f"landuse {y0}–{y1}: land-cover code(s) {unknown[:10]} are not in the class table "
                    f"([landcover] classes = {st.landcover.classes!r}); their {fine.loc[bad, 'area_km2'].sum():.4g} "
                    "km² are in landuse_transitions without a class name and left out of landuse_change (add the "
                    "codes to the class table, or declare the rasters' nodata value if they are fill values)"
                )
            summary = change_summary(by_level[known_rows], classes, area, y0, y1, params.eco_groups)
            t = by_level.assign(year_from=np.int64(y0), year_to=np.int64(y1))
            t["class_name_from"] = t["class_from"].map(name_of)
            t["class_name_to"] = t["class_to"].map(name_of)
            trans_parts.append(t[list(TRANSITIONS_TABLE)])
            change_parts.append(summary[list(CHANGE_TABLE)])

    tables = {}
    if trans_parts:
        tables["landuse_transitions"] = _sorted(
            pd.concat(trans_parts, ignore_index=True), level_rank, ["unit_id", "year_from", "class_from", "class_to"]
        )
        tables["landuse_change"] = _sorted(pd.concat(change_parts, ignore_index=True), level_rank,
                                           ["unit_id", "year_from"])
    return AnalysisResult(tables=tables, rasters=rasters, notes=notes)


def _without_slivers(fine: pd.DataFrame, grid) -> pd.DataFrame:
    """The transitions without the pairs a unit holds only through floating-point slivers.

    Exact coverage gives a cell that merely touches a unit along a shared
    edge a fraction of ~1e-13 (rounding of the coordinates); a pair whose area
    in a unit is below :data:`SLIVER` of a cell is such noise, not land.
    """
    cell_km2 = float(np.max(grid.row_cell_area_m2)) / 1e6
    return fine[fine["area_km2"] >= SLIVER * cell_km2].reset_index(drop=True)


def _stored_built_change(lc0, lc1, built: list[int], grid, y0: int, y1: int):
    """The lazy built_change raster as the store writes it: float32, NaN where either year has no data.

    :func:`ecozone.landuse.built_change` gives uint8 with 255 as no data; the
    store writes rasters with NaN as their nodata value, so the codes 0, 1, 2
    are kept as float32 (same values; the GeoTIFF compresses them as well).
    """
    bc = built_change(lc0, lc1, built)
    out = bc.where(bc != BUILT_CHANGE_NODATA).astype("float32")
    out.name = "built_change"
    out.attrs = {
        "grid": grid,
        "long_name": f"built-up change {y0}-{y1}: 0 unchanged, 1 new built-up, 2 built-up lost",
        "units": "class",
    }
    return out


def _sorted(df: pd.DataFrame, level_rank: dict[str, int], by: list[str]) -> pd.DataFrame:
    """Rows by level (finest first), then ``by``."""
    order = df["level"].map(level_rank).fillna(len(level_rank))
    return (df.assign(_lv=order).sort_values(["_lv", *by], kind="stable").drop(columns="_lv")
            .reset_index(drop=True))


__all__ = ["CHANGE_TABLE", "TRANSITIONS_TABLE", "landcover_years", "run"]
