"""The ``overview`` analysis declared (see :mod:`ecozone.analysis`; METHODS §5.0)."""

from ecozone.analysis import Analysis
from ecozone.overview.params import OverviewParams
from ecozone.schema import package_schema

SPEC = Analysis(
    name="overview",
    title="Economic overview of the units (GDP, population, land, shares, members over 2 million)",
    run="ecozone.overview.run:run",
    schema=package_schema("ecozone.overview"),
    params=OverviewParams,
    tables_all=("economy",),
    report="ecozone.report.overview:overview_section",
    package="ecozone.overview",
)
