"""Ecological network and landscape pattern (METHODS §4; seed 003, seed 000 §5.1).

Pure functions on arrays (cell size in metres), as METHODS §4.7 names them:

- :mod:`~ecozone.ecology.mspa`: ``mspa(binary, edge_width=1)`` (GuidosToolbox classes and codes),
  ``core_patches``; §4.1.
- :mod:`~ecozone.ecology.conefor`: ``connectivity(areas, distances, distance_m, p, landscape_area)``
  (PC, IIC, ECA, dPC and its fractions), ``edge_distances``, ``network_indices`` (α, β, γ); §4.5.
- :mod:`~ecozone.ecology.landscape`: FRAGSTATS ``class_metrics``, ``landscape_metrics`` and their
  per-zone, striped versions; §4.5.
- :mod:`~ecozone.ecology.cost`, :mod:`~ecozone.ecology.corridors`, :mod:`~ecozone.ecology.circuit`,
  :mod:`~ecozone.ecology.barriers`: cost distance, least-cost corridors, Circuitscape-style
  effective resistance and current, Barrier Mapper; §4.3–4.4.
"""

from ecozone.ecology.conefor import connectivity, edge_distances, network_indices
from ecozone.ecology.landscape import (
    LandscapeAccumulator,
    class_metrics,
    class_metrics_by_zone,
    landscape_metrics,
    landscape_metrics_by_zone,
)
from ecozone.ecology.mspa import core_patches, mspa, mspa_core_tiled

__all__ = [
    "LandscapeAccumulator",
    "class_metrics",
    "class_metrics_by_zone",
    "connectivity",
    "core_patches",
    "edge_distances",
    "landscape_metrics",
    "landscape_metrics_by_zone",
    "mspa",
    "mspa_core_tiled",
    "network_indices",
]
