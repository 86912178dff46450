"""Parameters of the ``landuse`` analysis (METHODS §6), as the study file sees them::

    [landuse]   -> LanduseParams
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ecozone.landcover import ECO_GROUPS, GROUPS
from ecozone.params import Params


class LanduseParams(Params):
    """``[landuse]``: land-use transitions and built-up expansion (METHODS §6)."""

    eco_groups: list[Literal[GROUPS]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: list(ECO_GROUPS),
        min_length=1,
        description="Land-cover groups (METHODS §0.3.1) that count as ecological land in eco_from_km2, "
        "eco_to_km2, eco_loss_km2, eco_gain_km2 and eco_to_built_km2; default forest, shrub, grassland, "
        "wetland, water.",
    )
