"""The ``capacity`` analysis declared (see :mod:`ecozone.analysis`)."""

from ecozone.analysis import Analysis, MapLayer
from ecozone.capacity.params import CapacityParams
from ecozone.schema import package_schema

SPEC = Analysis(
    name="capacity",
    title="Environmental carrying capacity (air and water excess indices)",
    run="ecozone.capacity.run:run_analysis",
    schema=package_schema("ecozone.capacity"),
    params=CapacityParams,
    tables_any=("air", "air_daily", "water"),
    optional_tables=("economy", "development", "ecological_function"),
    maps=(
        MapLayer(
            table="capacity",
            styled="state",
            category="state",
            columns=(("state", ()), ("state_air", ()), ("state_water", ()), ("r_total", ()), ("r_air", ()),
                     ("r_water", ())),
            yearly="state",
        ),
    ),
    report="ecozone.report.capacity:capacity_section",
    package="ecozone.capacity",
)
