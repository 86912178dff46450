"""The ``carbon`` analysis declared (see :mod:`ecozone.analysis`)."""

from ecozone.analysis import Analysis, MapLayer
from ecozone.carbon.params import CarbonParams
from ecozone.schema import package_schema

SPEC = Analysis(
    name="carbon",
    title="Carbon budget and carbon-balance zoning (improved CASA)",
    run="ecozone.carbon.run:run_carbon",
    schema=package_schema("ecozone.carbon"),
    params=CarbonParams,
    tables_all=("emissions", "economy"),
    rasters_all=("ndvi", "temperature", "precipitation", "radiation", "landcover"),
    maps=(
        MapLayer(
            table="carbon",
            styled="zone",
            category="zone",
            columns=(("zone", ()), ("budget_state", ()), ("ce", ("ce_tc",)), ("cs", ("cs_tc",)),
                     ("cb", ("cb_tc",)), ("cbi", ()), ("ecc", ()), ("esc", ())),
            yearly="zone",
        ),
    ),
    report="ecozone.report.carbon:carbon_section",
    package="ecozone.carbon",
)
