"""Parameters of the ``ecology`` analysis (METHODS §4 intro, §4.1–4.5), as the study file's ``[ecology]`` sees them."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ecozone.landcover import ECO_GROUPS
from ecozone.params import Params


class EcologyParams(Params):
    """``[ecology]``: the ecological network — sources, resistance, corridors, pinch points, barriers, break points."""

    # -- land cover and sources (§4.1)
    landcover: Literal["auto", "landcover", "landcover_fine"] = Field(
        "auto",
        description='Land cover the network is built on: "auto" = [rasters] landcover_fine when the study gives '
        'it, else landcover (METHODS §0.3.1); or name one of them.',
    )
    coarsen: int = Field(
        1,
        ge=1,
        description="Aggregate the land cover by this factor before the analysis (majority class of each "
        "coarsen × coarsen block; a block is nodata when less than half of it has data). 1 = the raster's own "
        "cells. A larger factor makes regional and national runs (and the demo) fast; cell size and km² "
        "thresholds follow the coarse cells.",
    )
    eco_groups: list[str] = Field(
        list(ECO_GROUPS),
        min_length=1,
        description="Land-cover class groups that are ecological land, the MSPA foreground (METHODS §0.3.1).",
    )
    edge_width: int = Field(1, ge=1, description="MSPA edge width, cells (GuidosToolbox EdgeWidth).")
    core_structure: Literal["square", "disk"] = Field(
        "square",
        description='MSPA core erosion: "square" = no background within chessboard distance edge_width '
        '(METHODS §4.1); "disk" = the digital disk i² + j² < (edge_width + 1)², what GuidosToolbox does; the '
        "two agree for edge_width 1 and 2.",
    )
    min_core_km2: float = Field(1.0, ge=0, description="Smallest MSPA core patch that is a source candidate, km².")
    dpc_top_share: float = Field(
        0.2,
        gt=0,
        le=1,
        description="Share of the candidates, ranked by dPC, that become sources (the top fifth by default).",
    )
    n_sources: int | None = Field(
        None, ge=1, description="Number of sources (the n highest dPC); when given it replaces dpc_top_share."
    )
    dpc_min: float | None = Field(
        None,
        ge=0,
        description="Candidates with dPC ≥ this (%) become sources; when given it replaces dpc_top_share "
        "(n_sources wins over both).",
    )
    distance: Literal["euclidean", "cost"] = Field(
        "euclidean",
        description='Distance d_ij of PC, IIC and dPC (METHODS §4.5): "euclidean" edge-to-edge, or "cost" = '
        "the least-cost distance between adjacent patches (resistance × m; others unlinked).",
    )
    distance_m: float = Field(
        5000.0, gt=0, description="Dispersal distance of PC and IIC, m (p_ij = p_at_distance at this distance)."
    )
    p_at_distance: float = Field(
        0.5, gt=0, lt=1, description="Dispersal probability at distance_m (PC: p_ij = exp(−k d_ij))."
    )
    connect: Literal[4, 8] = Field(
        8, description="Neighbourhood of patches, moves, corridors and circuits: 8 (default) or 4."
    )
    # -- resistance (§4.2)
    resistance: Path | None = Field(
        None,
        description="Resistance table (CSV, relative to the study file): columns code, resistance (one row per "
        "land-cover code) or group, resistance (one row per class group). Default: the shipped "
        "params/ecology_resistance_<scheme>.csv of [landcover] classes (a class table given as a path uses "
        "params/ecology_resistance_groups.csv by its groups).",
    )
    corrections: list[Literal["ndvi"]] = Field(
        [],
        description='Corrections multiplying the class resistance (METHODS §4.2): "ndvi" = r × (1 − ndvi_norm), '
        "ndvi_norm = the year's mean NDVI clipped to 0…1 (needs [rasters] ndvi), never below 1.",
    )
    # -- corridors, circuits, barriers (§4.3–4.4)
    corridor_cutoff: float | None = Field(
        None,
        ge=0,
        description="Corridor width: cells whose normalised least-cost corridor value exceeds this "
        "(resistance × m) lie outside the corridors; empty = no cutoff.",
    )
    circuit_domain: Literal["window", "corridor"] = Field(
        "window",
        description='Cells of each pair\'s circuit: "window" = every cell of the window (Circuitscape pairwise '
        'mode, METHODS §4.4); "corridor" = the pair\'s own corridor (CWD_a + CWD_b − LCD ≤ corridor_cutoff) and '
        "the two sources, as Linkage Mapper's Pinchpoint Mapper (much faster; needs corridor_cutoff).",
    )
    circuit_tol: float = Field(
        1e-6, gt=0, lt=1, description="Relative residual at which the circuit solves stop (Circuitscape: 1e-6)."
    )
    pinch_share: float = Field(
        0.1, gt=0, le=1, description="Share of corridor cells with the highest current that are pinch points."
    )
    barrier_radius_cells: list[int] = Field(
        [1, 3, 5], min_length=1, description="Barrier Mapper search radii, cells (METHODS §4.4)."
    )
    barrier_share: float = Field(
        0.1,
        gt=0,
        le=1,
        description="Share of the cells with a positive barrier score, the highest, that make barrier points.",
    )
    # -- scale
    window_cells: int = Field(
        2048,
        ge=16,
        description="Side of a processing window, cells: the grid is cut into windows of this size that run "
        "independently (memory ≈ 0.5–1 kB per cell of a window and its halo while it runs).",
    )
    halo_cells: int = Field(
        256,
        ge=0,
        description="Cells each window also reads around it, so that sources, corridors and circuits near its "
        "edge see their neighbours; patches and corridors longer than the halo are cut at it.",
    )
    years: list[int] | None = Field(
        None, description="Study years the network is built for (default: every year of [study] years)."
    )

    @field_validator("eco_groups")
    @classmethod
    def _known_groups(cls, v: list[str]) -> list[str]:
        from ecozone.landcover import GROUPS

        bad = [g for g in v if g not in GROUPS]
        if bad:
            raise ValueError(f"unknown land-cover group(s) {bad}; groups are {', '.join(GROUPS)}")
        return v

    @field_validator("barrier_radius_cells")
    @classmethod
    def _radii(cls, v: list[int]) -> list[int]:
        if any(r < 1 for r in v):
            raise ValueError(f"barrier radii must be whole numbers of cells ≥ 1, got {v}")
        return sorted(set(v))

    @model_validator(mode="after")
    def _corridor_domain(self):
        if self.circuit_domain == "corridor" and self.corridor_cutoff is None:
            raise ValueError('circuit_domain = "corridor" needs corridor_cutoff (the corridor width in resistance × m)')
        return self


__all__ = ["EcologyParams"]
