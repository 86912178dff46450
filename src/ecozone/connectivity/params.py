"""Parameters of the ``connectivity`` analysis (METHODS §5.1), as the study file sees them::

    [connectivity]   -> ConnectivityParams
"""

from __future__ import annotations

from pydantic import Field

from ecozone.params import Params


class ConnectivityParams(Params):
    """``[connectivity]``: flow networks of upper units (METHODS §5.1)."""

    symmetric: bool = Field(
        False,
        description="Sum both directions of every pair into one undirected link (w_ij = w_ji = f_ij + f_ji); "
        "false: directed flows.",
    )
    reach_hours: float = Field(
        2.0,
        gt=0,
        allow_inf_nan=False,
        description="Travel time (h) within which two members, or a member and the core, count as within "
        "reach (reach_pairs_share, reach_population_share).",
    )
    core: dict[str, str] = Field(
        default_factory=dict,
        description="Core member of an upper unit, e.g. { YRD = \"310000\" }; units not named take the member "
        "with the largest GDP of the year.",
    )
    strongest_links: int = Field(
        200, ge=0, description="Links per year and kind in the map layer of the strongest links."
    )
