"""ecozone.overview: the economic overview of units (METHODS §5.0; seed 000 §2.1).

Pure API: :func:`overview` computes, from the ``economy`` table and the
units, the table ``overview`` (``level, unit_id, year`` and the columns of
:data:`OVERVIEW_COLUMNS`: GDP, population, area, per-capita GDP, density,
shares of the study and of the top grouping level, members above 2 million
residents). :class:`OverviewParams` is the ``[overview]`` section.
"""

from ecozone.overview.indicators import OVERVIEW_COLUMNS, overview
from ecozone.overview.params import OverviewParams

__all__ = ["OVERVIEW_COLUMNS", "OverviewParams", "overview"]
