"""The ``connectivity`` analysis declared (see :mod:`ecozone.analysis`; METHODS §5.1)."""

from ecozone.analysis import Analysis
from ecozone.connectivity.inputs import INPUT_TABLES
from ecozone.connectivity.params import ConnectivityParams
from ecozone.schema import package_schema

SPEC = Analysis(
    name="connectivity",
    title="Connectivity networks of the upper units (population, economic, transport flows; 2-hour reach)",
    run="ecozone.connectivity.run:run",
    schema=package_schema("ecozone.connectivity"),
    params=ConnectivityParams,
    tables_all=("flows",),
    optional_tables=("travel_times", "economy"),
    input_tables=INPUT_TABLES,
    report="ecozone.report.connectivity:connectivity_section",
    package="ecozone.connectivity",
)
