"""Green infrastructure and landscape pattern per unit and year (METHODS §4.5–§4.7; seed 003).

The pure API a notebook user calls (geometries in a projected CRS in metres):

- :func:`landscape_by_units`: FRAGSTATS class and landscape metrics of every
  unit of every level in one streamed pass over a land-cover raster;
- :func:`area_by_unit`, :func:`length_by_unit`, :func:`residential_pieces`,
  :func:`served_by_buffer`, :func:`served_by_network`,
  :func:`indicator_frame`: the indicators of METHODS §4.6;
- :func:`road_graph`, :func:`walking_distance`: the road graph and the
  multi-source walking distance to green spaces;
- :func:`load_standards`, :func:`assess`: the standards table and pass/fail.

The analysis itself (:mod:`ecozone.green.run`) writes the tables
``landscape`` and ``green_infrastructure``; see ``docs/green.md``.
"""

import importlib

#: public name -> the module holding it (imported on first use, so that reading a study
#: file, which imports ``ecozone.green.spec``, loads no numerical code)
_API = {
    **dict.fromkeys(("aggregate", "area_by_unit", "cascade_population", "indicator_frame", "length_by_unit",
                     "ranks", "residential_pieces", "served_by_buffer", "served_by_network"),
                    "ecozone.green.indicators"),
    **dict.fromkeys(("METRIC_COLUMNS", "landscape_by_units"), "ecozone.green.metrics"),
    **dict.fromkeys(("RoadGraph", "entrances", "nearest_nodes", "road_graph", "walking_distance"),
                    "ecozone.green.network"),
    **dict.fromkeys(("INDICATORS", "UNITS", "assess", "load_standards"), "ecozone.green.standards"),
}


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'ecozone.green' has no attribute {name!r}")


__all__ = sorted(_API)
