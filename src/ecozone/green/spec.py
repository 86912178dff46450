"""The ``green`` analysis declared (see :mod:`ecozone.analysis`)."""

from ecozone.analysis import Analysis
from ecozone.green.params import GreenParams
from ecozone.schema import package_schema

SPEC = Analysis(
    name="green",
    title="Landscape metrics and green-infrastructure indicators against the national standards",
    run="ecozone.green.run:run",
    schema=package_schema("ecozone.green"),
    params=GreenParams,
    rasters_all=("landcover",),
    optional_tables=("economy",),
    layers={
        "red_lines": ("polygon",),
        "green_space": ("polygon",),
        "greenways": ("line",),
        "residential": ("polygon", "point"),
        "roads": ("line",),
    },
    report="ecozone.report.green:green_section",
    package="ecozone.green",
)
