"""Parameters of the ``green`` analysis (METHODS §4.5–§4.7), as the study file's ``[green]`` sees them."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from ecozone.params import Params

#: the values of ``[green] extent`` that are not a path
EXTENT_KEYWORDS = ("layers", "hull", "study")


class GreenParams(Params):
    """``[green]``: landscape metrics and green-infrastructure indicators (METHODS §4.5, §4.6)."""

    standards: Path | None = Field(
        None,
        description="CSV replacing the shipped standards table params/green_standards.csv (columns "
        "indicator, comparison, threshold, unit, standard, clause, source, verified); relative to the "
        "study file.",
    )
    forest_groups: list[str] = Field(
        ["forest"],
        min_length=1,
        description="Land-cover class groups counted as forest in forest_coverage (METHODS §0.3.1 groups).",
    )
    service_distance_m: float = Field(
        500.0, gt=0, description="Service distance of a green space (m): buffer radius and walking distance."
    )
    park_node_distance_m: float = Field(
        50.0,
        ge=0,
        description="Road nodes within this distance (m) of a green space (or inside it) are its entrances.",
    )
    min_green_space_m2: float = Field(
        0.0,
        ge=0,
        description="Green-space polygons smaller than this (m²) do not serve residents (they still count "
        "in park_green_per_capita); 0 = every polygon serves.",
    )
    road_noding: Literal["intersections", "vertices"] = Field(
        "intersections",
        description='How roads join: "intersections" splits them where they cross (a road graph without '
        'grade separation); "vertices" joins them only at shared vertices (OpenStreetMap-like data).',
    )
    snap_m: float = Field(
        1.0, ge=0, description="Road vertices closer than this (m) are one node of the road graph."
    )
    residential_weight: str | None = Field(
        None,
        description="Column of the residential layer weighting its points (e.g. residents); default: each "
        "point counts once. Polygons are weighted by their area.",
    )
    landscape_levels: list[str] | None = Field(
        None, description="Levels whose units get landscape metrics (default: every level)."
    )
    fine_min_coverage: float = Field(
        0.95,
        gt=0,
        le=1,
        description="Share of a unit's area landcover_fine must cover (cells with data) for the unit's "
        "landscape metrics and forest coverage to come from it; other units use landcover.",
    )
    extent: str = Field(
        "layers",
        description='Where the vector layers ([layers] red_lines, green_space, greenways, residential, '
        'roads) are complete, i.e. the units that get layer-based indicators: "layers" (the union of the '
        "layers' bounding boxes, and only units some feature of a layer reaches), \"hull\" (the convex hull "
        'of all their features, same rule), "study" (every unit: the layers are complete over the whole '
        "study), or the path of a polygon layer (relative to the study file) of the area they cover. Units "
        "outside get empty layer-based indicators, not 0.",
    )
    extent_min_coverage: float = Field(
        0.95,
        gt=0,
        le=1,
        description="Share of a unit's area that must lie inside the extent for the unit to get "
        "layer-based indicators.",
    )
    stripe_cells: int = Field(
        1 << 20,
        ge=1024,
        description="Cells per row stripe of the landscape pass (memory ≈ 60 bytes per stripe cell and level).",
    )

    @field_validator("extent")
    @classmethod
    def _extent_given(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError('give "layers", "hull", "study" or the path of a polygon layer')
        return v.lower() if v.lower() in EXTENT_KEYWORDS else v

    @field_validator("forest_groups")
    @classmethod
    def _known_groups(cls, v: list[str]) -> list[str]:
        from ecozone.landcover import GROUPS

        bad = [g for g in v if g not in GROUPS]
        if bad:
            raise ValueError(f"unknown land-cover group(s) {bad}; groups are {', '.join(GROUPS)}")
        return v


__all__ = ["EXTENT_KEYWORDS", "GreenParams"]
