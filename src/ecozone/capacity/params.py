"""Parameters of the environmental carrying-capacity analysis (METHODS §1).

The study file sets them in ``[capacity.air]``, ``[capacity.water]``,
``[capacity.coupling]`` and ``[capacity.typing]``; every field has the
default METHODS gives, so an empty section reproduces the seed paper.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from ecozone.params import Params

AIR_POLLUTANTS = ("PM2.5", "PM10", "NO2", "SO2", "CO", "O3")
WATER_POLLUTANTS = ("COD", "NH3-N", "TN", "TP", "CODMn", "BOD5")


class AirParams(Params):
    """``[capacity.air]``: air standard, grade and aggregation (METHODS §1.1, §1.7)."""

    standard: Literal["GB3095-2012", "GB3095-2026"] = Field(
        "GB3095-2012",
        description="Ambient air quality standard whose limits S_i are used (default GB3095-2012).",
    )
    grade: Literal["I", "II"] = Field(
        "II", description="Grade of the standard (default II, the seed's 'secondary limit')."
    )
    phase: Literal["auto", "transition", "final"] = Field(
        "auto",
        description="Phase of GB3095-2026 (ignored for GB3095-2012). 'auto' (default): transition "
        "limits for years up to 2030, final limits from 2031.",
    )
    limits: dict[str, float] = Field(
        default_factory=dict,
        description='Override of single limits, e.g. { "PM2.5" = 10 } (µg/m³, CO in mg/m³); '
        "default none (all limits from the standard).",
    )
    aggregation: Literal["area", "population"] = Field(
        "area",
        description="Weights of member units when concentrations are averaged to upper levels: "
        "'area' (default) or 'population' (needs the economy table).",
    )
    critical_threshold: float = Field(
        -0.2,
        lt=0,
        description="R_air above this and ≤ 0 is critical overload, at or below it non-overload "
        "(default −0.2, seed 000 §3.1).",
    )
    co_max_mg_m3: float = Field(
        50.0,
        gt=0,
        description="CO statistics above this (mg/m³) are taken for values given in µg/m³ without "
        "saying so and rejected (default 50; usual annual values are 0.5–5 mg/m³).",
    )
    daily_min_days: int = Field(
        324, ge=1, le=366, description="HJ 663 / GB 3095: valid days a year needs (default 324)."
    )
    daily_min_days_month: int = Field(
        27, ge=1, le=31, description="Valid days every month needs (default 27)."
    )
    daily_min_days_february: int = Field(
        25, ge=1, le=29, description="Valid days February needs (default 25)."
    )
    daily_incomplete: Literal["skip", "error"] = Field(
        "skip",
        description="A unit-year-pollutant of daily data that fails the validity rules is left out "
        "with a note ('skip', default) or is an error ('error').",
    )

    @field_validator("limits")
    @classmethod
    def _known_pollutants(cls, v: dict[str, float]) -> dict[str, float]:
        for k, s in v.items():
            if k not in AIR_POLLUTANTS:
                raise ValueError(f"limits: unknown pollutant '{k}' (use {', '.join(AIR_POLLUTANTS)})")
            if not s > 0:
                raise ValueError(f"limits: the limit of {k} must be > 0")
        return v


class WaterParams(Params):
    """``[capacity.water]``: water standard and TN at river sections (METHODS §1.2, §1.7)."""

    standard: Literal["GB3838-2002"] = Field(
        "GB3838-2002", description="Surface water quality standard (default GB3838-2002)."
    )
    tn_rivers: Literal["lake_limits", "skip"] = Field(
        "lake_limits",
        description="TN at river sections (GB 3838 sets TN for lakes only): rate it against the "
        "lake TN limits ('lake_limits', default, as the seed rates TN everywhere) or leave it out ('skip').",
    )
    critical_threshold: float = Field(
        -0.3,
        lt=0,
        description="R_water above this and ≤ 0 is critical overload, at or below it non-overload "
        "(default −0.3, seed 000 §3.2).",
    )


class CouplingParams(Params):
    """``[capacity.coupling]``: four-quadrant coupling of cities (METHODS §1.5) and the
    normalisation of the coupling coordination degree's U1 and U2 (§1.6)."""

    level: str = Field(
        "city", description="Level whose units are typed by the four quadrants (default 'city')."
    )
    regional_gdp: Literal["total", "mean"] = Field(
        "total",
        description="Regional per-capita GDP: total GDP / total population of all units of the level "
        "('total', default) or the mean of their per-capita GDPs ('mean').",
    )
    critical_as: Literal["non-overload", "overload"] = Field(
        "non-overload",
        description="Whether critical overload counts as non-overload (default) or as overload, in the "
        "quadrants and in the majority verdict of upper units (§1.4).",
    )
    zone_share: float = Field(
        0.5,
        ge=0,
        lt=1,
        description="A unit is in a key ecological functional zone when more than this share of its "
        "area is (default 0.5: more than half).",
    )
    development_fallback: Literal["gdp_per_capita", "none"] = Field(
        "gdp_per_capita",
        description="Development level U1 of units of the coupling level that have no development "
        "indicators: per-capita GDP normalised as 'normalisation' says (default) or none (no "
        "coupling degree).",
    )
    normalisation: Literal["shifted", "minmax"] = Field(
        "shifted",
        description="Normalisation of U1's indicators and of U2 = −R across the units of a level and "
        "year (§1.6): 'shifted' (default) x' = 0.01 + 0.99·(x − min)/(max − min), so that no unit "
        "gets U1, U2 or D = 0 by construction; 'minmax' the plain (x − min)/(max − min). All values "
        "equal give 1.",
    )


class TypingParams(Params):
    """``[capacity.typing]``: agglomeration development typing and coupling degree (METHODS §1.6)."""

    level: str = Field(
        "agglomeration",
        description="Level whose units are typed mature / fast-growing / incubating (default 'agglomeration').",
    )
    weights: Literal["entropy"] | dict[str, float] = Field(
        "entropy",
        description="Indicator weights: 'entropy' (default, entropy weight method) or a table "
        "{ indicator = weight } (normalised to sum 1).",
    )
    classes: Literal["jenks"] | list[float] = Field(
        "jenks",
        description="Development classes: 'jenks' (default, Fisher–Jenks natural breaks into three) or "
        "two ascending thresholds [t1, t2] of U1: U1 < t1 incubating, t1 ≤ U1 < t2 fast-growing, "
        "U1 ≥ t2 mature.",
    )
    directions: dict[str, Literal["+", "-"]] = Field(
        default_factory=dict,
        description="Direction per indicator: '+' more is more developed (default for every "
        "indicator not listed), '-' less is more developed.",
    )
    state_from: Literal["majority", "index"] = Field(
        "majority",
        description="Environmental state combined with the development class: the majority verdict of "
        "member units (default, the seed's rule §1.4) or the state from the unit's own indices.",
    )
    a: float = Field(0.5, ge=0, le=1, description="Weight of development U1 in T = a·U1 + b·U2 (default 0.5).")
    b: float = Field(0.5, ge=0, le=1, description="Weight of environment U2 in T (default 0.5).")

    @field_validator("classes")
    @classmethod
    def _two_thresholds(cls, v):
        if isinstance(v, list):
            if len(v) != 2 or not v[0] < v[1]:
                raise ValueError("classes: give 'jenks' or two ascending thresholds [t1, t2]")
        return v

    @field_validator("weights")
    @classmethod
    def _positive_weights(cls, v):
        if isinstance(v, dict):
            if not v:
                raise ValueError("weights: give 'entropy' or at least one { indicator = weight }")
            if any(w < 0 for w in v.values()) or sum(v.values()) <= 0:
                raise ValueError("weights: weights must be ≥ 0 and not all 0")
        return v

    @model_validator(mode="after")
    def _a_plus_b(self) -> TypingParams:
        if abs(self.a + self.b - 1.0) > 1e-9:
            raise ValueError(f"a + b must be 1 (got a = {self.a}, b = {self.b})")
        return self


class CapacityParams(Params):
    """``[capacity]``: all parameters of the carrying-capacity analysis (METHODS §1)."""

    air: AirParams = Field(default_factory=AirParams, description="Air index (§1.1).")
    water: WaterParams = Field(default_factory=WaterParams, description="Water index (§1.2).")
    coupling: CouplingParams = Field(
        default_factory=CouplingParams, description="Four-quadrant coupling (§1.5)."
    )
    typing: TypingParams = Field(
        default_factory=TypingParams, description="Agglomeration typing and coupling degree (§1.6)."
    )
