"""The ``landuse`` analysis declared (see :mod:`ecozone.analysis`; METHODS §6).

Land-use change needs the land cover of two study years at least (the
transitions run between consecutive years): :class:`LanduseAnalysis` adds
that to what the analysis lacks, so that ``ecozone validate`` lists it and
``ecozone run`` skips the analysis with that reason (or ``--only landuse``
fails naming it) when the study has one year.

No styled QGIS view: ``landuse_change`` is keyed by periods (``year_from,
year_to``), not by ``year``, and its indicators are continuous, not coded;
the report maps expansion intensity instead.
"""

from __future__ import annotations

from ecozone.analysis import Analysis
from ecozone.landuse.params import LanduseParams
from ecozone.schema import package_schema


class LanduseAnalysis(Analysis):
    """An :class:`~ecozone.analysis.Analysis` that also lacks a second land-cover year."""

    def lacks(self, inp_tables, rs, layers=None) -> list[str]:
        """What the analysis lacks: the declared inputs, and land cover of two study years or more."""
        out = super().lacks(inp_tables, rs, layers)
        if not rs.paths.get("landcover"):
            return out  # no land cover at all: already said
        found = sorted(y for (y, _m) in rs.paths["landcover"])
        n_years = len(found) + len(rs.missing.get("landcover") or [])
        if n_years < 2:
            out.append(
                f"land cover of two study years or more ([study] years has only {found[0]}; "
                "land-use change runs between consecutive years)"
            )
        return out


SPEC = LanduseAnalysis(
    name="landuse",
    title="Land-use transitions, built-up expansion and ecological land lost between land-cover years",
    run="ecozone.landuse.run:run",
    schema=package_schema("ecozone.landuse"),
    params=LanduseParams,
    rasters_all=("landcover",),
    report="ecozone.report.landuse:landuse_section",
    package="ecozone.landuse",
)
