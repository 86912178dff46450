"""Ecological network and landscape pattern (METHODS §4; seed 003, seed 000 §5.1).

Pure functions on arrays (cell size in metres), as METHODS §4.7 names them:

- :mod:`~ecozone.ecology.mspa`: ``mspa(binary, edge_width=1)`` (GuidosToolbox classes and codes),
  ``core_patches``; §4.1.
- :mod:`~ecozone.ecology.conefor`: ``connectivity(areas, distances, distance_m, p, landscape_area)``
  (PC, IIC, ECA, dPC and its fractions), ``edge_distances``, ``network_indices`` (α, β, γ); §4.5.
- :mod:`~ecozone.ecology.landscape`: FRAGSTATS ``class_metrics``, ``landscape_metrics`` and their
  per-zone, striped versions; §4.5.
- :mod:`~ecozone.ecology.cost`: ``cost_distance(resistance, sources_mask, cellsize)``,
  ``cost_allocation``, ``adjacent_pairs``, ``least_cost_path``, ``path_length``; §4.3.
- :mod:`~ecozone.ecology.corridors`: ``corridors`` (LCD, paths, NLCC), ``gravity``; §4.3.
- :mod:`~ecozone.ecology.circuit`: ``effective_resistance(resistance, focal_labels, connect=8)``,
  ``current_density``, ``pairwise``, ``pair_solution``, ``advanced_mode``, ``pinch_points``; §4.4.
- :mod:`~ecozone.ecology.barriers`: ``improvement_score``, ``barrier_scores``, ``annulus``,
  ``break_points``; §4.4.
- :mod:`~ecozone.ecology.network`: the steps of the analysis on one window — ``coarsen_classes``,
  ``resistance_surface``, ``ndvi_correction``, ``select_sources``, ``link_sources``, ``patch_nodes``,
  ``break_nodes``, ``point_distances``, ``network_metrics``.

The cost, corridor, circuit, barrier and network functions are imported on
first use (``from ecozone.ecology import cost_distance`` works as usual):
the FRAGSTATS metrics alone do not load scikit-image's graph module or PyAMG.
"""

import importlib

from ecozone.ecology.conefor import connectivity, edge_distances, network_indices
from ecozone.ecology.landscape import (
    LandscapeAccumulator,
    class_metrics,
    class_metrics_by_zone,
    landscape_metrics,
    landscape_metrics_by_zone,
)
from ecozone.ecology.mspa import core_patches, mspa, mspa_core_tiled

#: names imported on first use, and their modules
_LAZY = {
    **dict.fromkeys(("adjacent_pairs", "cost_allocation", "cost_distance", "least_cost_path", "path_length"),
                    "cost"),
    **dict.fromkeys(("corridors", "gravity"), "corridors"),
    **dict.fromkeys(("advanced_mode", "current_density", "effective_resistance", "pair_solution", "pairwise",
                     "pinch_points"), "circuit"),
    **dict.fromkeys(("annulus", "barrier_scores", "break_points", "improvement_score"), "barriers"),
    **dict.fromkeys(("break_nodes", "coarsen_classes", "link_sources", "ndvi_correction", "network_metrics",
                     "patch_nodes", "point_distances", "resistance_surface", "select_sources"), "network"),
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f"ecozone.ecology.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ecozone.ecology' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [  # noqa: F822 - the lazy names resolve through __getattr__
    "LandscapeAccumulator",
    "adjacent_pairs",
    "advanced_mode",
    "annulus",
    "barrier_scores",
    "break_nodes",
    "break_points",
    "class_metrics",
    "class_metrics_by_zone",
    "coarsen_classes",
    "connectivity",
    "core_patches",
    "corridors",
    "cost_allocation",
    "cost_distance",
    "current_density",
    "edge_distances",
    "effective_resistance",
    "gravity",
    "improvement_score",
    "landscape_metrics",
    "landscape_metrics_by_zone",
    "least_cost_path",
    "link_sources",
    "mspa",
    "mspa_core_tiled",
    "ndvi_correction",
    "network_indices",
    "network_metrics",
    "pair_solution",
    "pairwise",
    "patch_nodes",
    "path_length",
    "pinch_points",
    "point_distances",
    "resistance_surface",
    "select_sources",
]
