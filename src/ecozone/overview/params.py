"""Parameters of the ``overview`` analysis (METHODS §5.0), as the study file sees them::

    [overview]   -> OverviewParams
"""

from __future__ import annotations

from pydantic import Field

from ecozone.params import Params


class OverviewParams(Params):
    """``[overview]``: the economic overview of every unit (METHODS §5.0)."""

    large_population: float = Field(
        2_000_000,
        ge=0,
        allow_inf_nan=False,
        description="Resident population (persons) above which a member counts in n_members_over_2m "
        "and share_members_over_2m (seed 000 §2.1: 'more than 2 million').",
    )
