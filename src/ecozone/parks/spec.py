"""The ``parks`` analysis declared (see :mod:`ecozone.analysis`; METHODS §3)."""

from ecozone.analysis import Analysis, LayerStyle
from ecozone.parks.inputs import INPUT_TABLES
from ecozone.parks.params import ParksParams
from ecozone.schema import package_schema

SPEC = Analysis(
    name="parks",
    title="Green development of industrial parks (location, indicators, energy and wastewater "
    "infrastructure, GDI and TOPSIS)",
    run="ecozone.parks.run:run",
    schema=package_schema("ecozone.parks"),
    params=ParksParams,
    tables_all=("parks",),
    optional_tables=("park_year", "energy_units", "wwtp"),
    input_tables=INPUT_TABLES,
    layers={"rivers": ("line",), "parks": ("polygon",)},
    styles=(
        LayerStyle("parks_map", column="level", category="level"),
        LayerStyle("parks_rivers", color="#4a90c2"),
    ),
    report="ecozone.report.parks:parks_section",
    package="ecozone.parks",
)
