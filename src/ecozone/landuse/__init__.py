"""ecozone.landuse: land-use transitions and built-up expansion (METHODS §6; seed 000 §2.3).

Pure API (:mod:`ecozone.landuse.change`):

- :func:`transition_matrix` → ``unit_id, class_from, class_to, area_km2``:
  the area-exact transition matrix of every unit between two land-cover
  rasters (rows of the table ``landuse_transitions``);
- :func:`sum_to_levels` → the same for every level (``level`` added);
- :func:`change_summary` → table ``landuse_change``: built_from_km2,
  built_to_km2, built_gain_km2, built_loss_km2, built_rate,
  expansion_intensity, eco_from_km2, eco_to_km2, eco_loss_km2, eco_gain_km2,
  eco_to_built_km2, cropland_to_built_km2;
- :func:`built_change` → the raster ``built_change_{y0}_{y1}`` (0 unchanged,
  1 new built-up, 2 built-up lost, 255 no data).

:class:`LanduseParams` is the ``[landuse]`` section.
"""

from ecozone.landuse.change import (
    BUILT_CHANGE_NODATA,
    CHANGE_COLUMNS,
    TRANSITION_COLUMNS,
    built_change,
    change_summary,
    sum_to_levels,
    transition_matrix,
)
from ecozone.landuse.params import LanduseParams

__all__ = [
    "BUILT_CHANGE_NODATA",
    "CHANGE_COLUMNS",
    "TRANSITION_COLUMNS",
    "LanduseParams",
    "built_change",
    "change_summary",
    "sum_to_levels",
    "transition_matrix",
]
