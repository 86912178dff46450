"""ecozone.connectivity: flow networks of upper units (METHODS §5.1; seed 000 §2.2).

Pure API (:mod:`ecozone.connectivity.network`):

- :func:`network_indicators` → tables ``connectivity`` (n_nodes, n_links,
  density, internal_flow, external_flow, internal_share, intensity per upper
  unit, year and kind) and ``connectivity_nodes`` (strength_out, strength_in,
  strength, degree_centrality, betweenness, primacy per member);
- :func:`reach` → reach_pairs_share, reach_population_share, core_id per
  upper unit and year (2-hour reach from travel times);
- :func:`strongest_links` → the strongest links per year and kind (map layer);
- :func:`validate_flows`, :func:`validate_travel_times` → the tables checked
  against the units, with their level.

:class:`ConnectivityParams` is the ``[connectivity]`` section.
"""

from ecozone.connectivity.network import (
    CONNECTIVITY_COLUMNS,
    FLOW_COLUMNS,
    LINK_COLUMNS,
    NODE_COLUMNS,
    REACH_COLUMNS,
    TRAVEL_TIME_COLUMNS,
    NetworkIndicators,
    network_indicators,
    reach,
    strongest_links,
    validate_flows,
    validate_travel_times,
)
from ecozone.connectivity.params import ConnectivityParams

__all__ = [
    "CONNECTIVITY_COLUMNS",
    "FLOW_COLUMNS",
    "LINK_COLUMNS",
    "NODE_COLUMNS",
    "REACH_COLUMNS",
    "TRAVEL_TIME_COLUMNS",
    "ConnectivityParams",
    "NetworkIndicators",
    "network_indicators",
    "reach",
    "strongest_links",
    "validate_flows",
    "validate_travel_times",
]
