"""The ``ecology`` analysis declared (see :mod:`ecozone.analysis`)."""

from ecozone.analysis import Analysis, LayerStyle
from ecozone.ecology.params import EcologyParams
from ecozone.schema import package_schema

SPEC = Analysis(
    name="ecology",
    title="Ecological network: MSPA sources, resistance, least-cost corridors, pinch points, barriers, break points",
    run="ecozone.ecology.run:run",
    schema=package_schema("ecozone.ecology"),
    params=EcologyParams,
    rasters_all=("landcover",),
    layers={
        "sources": ("polygon",),
        "reserves": ("polygon",),
        "red_lines": ("polygon",),
        "roads": ("line",),
        "railways": ("line",),
    },
    styles=(
        LayerStyle("ecology_nodes", column="kind", category="ecology_node"),
        LayerStyle("ecology_corridors", color="#08306b"),
    ),
    report="ecozone.report.ecology:ecology_section",
    package="ecozone.ecology",
)
