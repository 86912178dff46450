"""Industrial parks (seed 001; METHODS §3): the pure formula layer.

Modules: :mod:`~ecozone.parks.indicators` (§3.0 region and level, §3.2
indicators per park and year), :mod:`~ecozone.parks.infrastructure` (§3.3
energy units and wastewater plants), :mod:`~ecozone.parks.gdi` (§3.4 scores,
entropy weights, GDI, TOPSIS, group summaries), :mod:`~ecozone.parks.location`
(§3.1 location checks and shoreline distance) and
:mod:`~ecozone.parks.params` (``[parks]`` parameters, the GDI table).
"""

from ecozone.parks.gdi import (
    check_gdi_table,
    entropy_weights,
    gdi,
    gdi_groups,
    gdi_weights,
    green_development,
    score,
    scores,
    topsis,
    topsis_rank,
    year_weights,
)
from ecozone.parks.indicators import (
    INTAKE_SOURCES,
    LEVELS,
    REGIONS,
    co2_intensity,
    cod_intensity,
    cod_intensity_change,
    energy_productivity,
    intake_shares,
    park_level,
    park_year_indicators,
    province_key,
    province_keys,
    region_from_province,
    water_productivity,
)
from ecozone.parks.infrastructure import (
    CAPACITY_CLASSES,
    FUELS,
    capacity_class,
    capacity_structure,
    cod_removal,
    efficiency_stats,
    energy_summary,
    fuel_shares,
    load_rate,
    nh3n_removal,
    removal_rate,
    wwtp_completion,
    wwtp_performance,
)
from ecozone.parks.location import AREA_CRS, CHECKS, location_check, river_distance
from ecozone.parks.params import ParksParams, read_gdi_table

__all__ = [
    "AREA_CRS",
    "CAPACITY_CLASSES",
    "CHECKS",
    "FUELS",
    "INTAKE_SOURCES",
    "LEVELS",
    "REGIONS",
    "ParksParams",
    "capacity_class",
    "capacity_structure",
    "check_gdi_table",
    "co2_intensity",
    "cod_intensity",
    "cod_intensity_change",
    "cod_removal",
    "efficiency_stats",
    "energy_productivity",
    "energy_summary",
    "entropy_weights",
    "fuel_shares",
    "gdi",
    "gdi_groups",
    "gdi_weights",
    "green_development",
    "intake_shares",
    "load_rate",
    "location_check",
    "nh3n_removal",
    "park_level",
    "park_year_indicators",
    "province_key",
    "province_keys",
    "read_gdi_table",
    "region_from_province",
    "removal_rate",
    "river_distance",
    "score",
    "scores",
    "topsis",
    "topsis_rank",
    "water_productivity",
    "wwtp_completion",
    "wwtp_performance",
    "year_weights",
]
