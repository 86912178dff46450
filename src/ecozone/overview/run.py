"""The economic overview wired to a study's inputs (METHODS §5.0).

Reads the validated ``economy`` table (CNY, persons; any level) and the
units (areas in km² of the equal-area CRS); writes the table ``overview``
(:data:`ecozone.overview.OVERVIEW_COLUMNS`): one row per unit of every level
and per year of the economy table. Pure: no file is read or written here.
"""

from __future__ import annotations

from ecozone.analysis import AnalysisResult, Inputs
from ecozone.overview.indicators import overview
from ecozone.overview.params import OverviewParams


def run(inp: Inputs, rep) -> AnalysisResult:
    """Run the overview on a study's inputs.

    Parameters
    ----------
    inp:
        The study's inputs; needs the table ``economy`` (``unit_id, year,
        gdp`` in CNY, ``population`` in persons) and the units.
    rep:
        Progress reporter (one step).

    Returns
    -------
    AnalysisResult
        Table ``overview``: GDP (CNY), population (persons), area (km²),
        per-capita GDP (CNY/person), density (persons/km²), shares (0–1) of
        the study and of the top grouping level, members above
        ``[overview] large_population`` (count, share 0–1); notes saying
        which units and years have no value.
    """
    p: OverviewParams = inp.study.overview
    where = str(inp.study.resolve(inp.study.tables.spec("economy").path))
    with rep.step("overview: GDP, population, land and their shares"):
        table = overview(inp.tables["economy"], inp.units, p.large_population, where=where)
    return AnalysisResult(tables={"overview": table}, notes=_notes(table, inp.units.levels))


def _notes(table, levels: list[str]) -> list[str]:
    """One note per level whose units lack GDP or population in some year (empty cells, not zeros)."""
    notes = []
    for lv in levels:
        t = table[table["level"] == lv]
        for col in ("gdp", "population"):
            miss = t[t[col].isna()]
            if len(miss) and len(miss) < len(t):
                ids = ", ".join(sorted(miss["unit_id"].unique())[:5])
                notes.append(
                    f"overview: {len(miss)} of {len(t)} {lv} row(s) have no {col} (e.g. {ids}): neither given "
                    f"nor the sum of every member's value; their {col} and the values derived from it are empty"
                )
            elif len(t) and len(miss) == len(t):
                notes.append(f"overview: no {col} at level {lv} (not given, and not every member has one)")
    return notes
