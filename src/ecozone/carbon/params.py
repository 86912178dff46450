"""Parameters of the ``carbon`` analysis (METHODS §2), as the study file sees them.

The study file maps onto these models section by section::

    [carbon]                 -> CarbonParams
    [carbon.casa]            -> CasaParams        (§2.1)
    [carbon.respiration]     -> RespirationParams (§2.2)
    [carbon.coefficients]    -> CoefficientParams (§2.3)
    [carbon.zoning]          -> ZoningParams      (§2.4)
    [carbon.emissions]       -> EmissionsParams   (§2.5)
    [carbon.spatial]         -> SpatialParams     (§2.6)

Every field has the default of METHODS; tables (ε_max, NDVI extremes, land
cover → vegetation type, carbon coefficients) are shipped as CSV files in
``ecozone/params`` and can be replaced by a path to the user's own CSV.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ecozone.params import Params

LANDCOVER_PRODUCTS = ("igbp", "resdc", "clcd")


class CasaParams(Params):
    """``[carbon.casa]``: the improved CASA model of NPP (METHODS §2.1)."""

    ndvi_extremes: Literal["data", "table"] = Field(
        "data",
        description='Where NDVI_i,min / NDVI_i,max come from: "data" = the 5th/95th percentiles of '
        "the study's own NDVI over the pixels of each vegetation type and all months of the year; "
        '"table" = the shipped table (Zhu et al. 2006, 2007).',
    )
    ndvi_min_percentile: float = Field(
        5.0, ge=0, le=50, description="Percentile of NDVI taken as NDVI_i,min (data extremes)."
    )
    ndvi_max_percentile: float = Field(
        95.0, ge=50, le=100, description="Percentile of NDVI taken as NDVI_i,max (data extremes)."
    )
    ndvi_extremes_min_count: int = Field(
        100,
        ge=1,
        description="Fewest valid pixel-months of a vegetation type for data extremes; a type with "
        "fewer falls back to the table values (and the output says so).",
    )
    alpha: float = Field(0.5, ge=0, le=1, description="Weight α of FPAR_NDVI against FPAR_SR (−).")
    fpar_min: float = Field(0.001, ge=0, lt=1, description="FPAR_min (−).")
    fpar_max: float = Field(0.95, gt=0, le=1, description="FPAR_max (−).")
    par_share: float = Field(
        0.5, gt=0, le=1, description="Share of total solar radiation that is PAR (−)."
    )
    t2_constant: float = Field(
        1.1814,
        gt=0,
        description="Constant of Tε2 (Potter et al. 1993: 1.1814; much Chinese code uses 1.184).",
    )
    t2_upper_offset: float = Field(
        10.0,
        description="Tε2 edge rule: when T − Topt > this (°C, strict), Tε2 = Tε2(T = Topt) / 2.",
    )
    t2_lower_offset: float = Field(
        13.0,
        description="Tε2 edge rule: when Topt − T > this (°C, strict), Tε2 = Tε2(T = Topt) / 2.",
    )
    npp_zero_temperature: float = Field(
        -10.0, description="Monthly mean temperature (°C) at or below which NPP = 0."
    )
    epsilon_table: str | None = Field(
        None,
        description="Path to a CSV replacing the shipped table of ε_max and NDVI extremes per "
        "vegetation type (columns vegetation_type, epsilon_max, ndvi_min, ndvi_max, source).",
    )

    @model_validator(mode="after")
    def _check(self) -> CasaParams:
        if self.fpar_min >= self.fpar_max:
            raise ValueError(f"fpar_min ({self.fpar_min}) must be below fpar_max ({self.fpar_max})")
        if self.ndvi_min_percentile >= self.ndvi_max_percentile:
            raise ValueError("ndvi_min_percentile must be below ndvi_max_percentile")
        return self


class RespirationParams(Params):
    """``[carbon.respiration]``: heterotrophic respiration (METHODS §2.2).

    Rh = a · (exp(b·T) + ln(c·P + 1)) · days · heterotrophic_share  (gC m-2 month-1).
    """

    a: float = Field(0.22, description="Coefficient a of the soil respiration regression.")
    b: float = Field(0.0913, description="Temperature coefficient b (°C-1).")
    c: float = Field(0.3145, description="Precipitation coefficient c (mm-1).")
    days: float = Field(30.0, gt=0, description="Days per month the daily rate is multiplied by.")
    heterotrophic_share: float = Field(
        0.465,
        gt=0,
        le=1,
        description="Heterotrophic share of soil respiration (Pei et al. 2009).",
    )


class CoefficientParams(Params):
    """``[carbon.coefficients]``: the coefficient method of carbon sinks (METHODS §2.3)."""

    table: str | None = Field(
        None,
        description="Path to a CSV replacing the shipped coefficients (columns coefficient_class, "
        "delta_tc_per_ha_yr, source); negative δ = sink, positive = source.",
    )


class ZoningParams(Params):
    """``[carbon.zoning]``: thresholds of the carbon balance zones (METHODS §2.4, Table 3)."""

    threshold: float = Field(1.0, description="Threshold of ESC and ECC; ties count as above.")
    tie_rtol: float = Field(
        1e-9,
        ge=0,
        description="Relative tolerance within which ESC/ECC equal the threshold, and CS equals CE "
        "(floating-point ties).",
    )


class EmissionsParams(Params):
    """``[carbon.emissions]``: gap-filling of emission series (METHODS §2.5).

    Candidates naive, damped drift, drift, their equal-weight combination
    and ARIMA (d by a unit-root test, then p, q by AIC); each is scored by a
    rolling-origin hold-out over the last observed years at the horizon that
    has to be filled, and the candidate of least error fills — chosen per
    pool of series (default) or per series. Defaults were tuned on hold-outs
    of the years 2006–2014 of the CEADs county series (see docs/carbon.md).
    """

    min_observations: int = Field(
        8, ge=3, description="Never fill a unit's series from fewer observed years than this."
    )
    candidates: list[Literal["naive", "damped", "drift", "combination", "arima"]] = Field(
        ["naive", "drift", "arima"],
        min_length=1,
        description="Candidate models: naive (last value carried forward); damped (random walk "
        "whose drift decays by the factor damping each year ahead); drift (random walk with "
        "drift); combination (equal-weight mean of the other candidates listed, at least two); "
        "ARIMA(p, d, q). Ties go to the simpler, in this order. Default: the three of METHODS §2.5; "
        "damped and combination are extensions (see docs/carbon.md for their hold-out results).",
    )
    damping: float = Field(
        0.9,
        gt=0,
        lt=1,
        description="Damping factor φ of the damped candidate (−): the drift added k years ahead "
        "is φ^k times the estimated drift.",
    )
    max_p: int = Field(2, ge=0, le=5, description="Largest AR order p tried.")
    max_d: int = Field(2, ge=0, le=2, description="Largest differencing order d the unit-root test may choose.")
    max_q: int = Field(2, ge=0, le=5, description="Largest MA order q tried.")
    unit_root_test: Literal["kpss", "adf"] = Field(
        "kpss",
        description='Test choosing d: "kpss" differences while KPSS rejects level stationarity; '
        '"adf" differences while the augmented Dickey-Fuller test cannot reject a unit root.',
    )
    unit_root_alpha: float = Field(0.05, gt=0, lt=1, description="Significance level of the unit-root test.")
    holdout_origins: int = Field(
        8,
        ge=1,
        le=10,
        description="Rolling-origin hold-out: number of forecast origins among the last observed "
        "years (origin k forecasts from the series without its last k years).",
    )
    holdout_horizon: int | Literal["fill"] = Field(
        "fill",
        description='Rolling-origin hold-out: years ahead forecast from each origin; "fill" = as '
        "many years as the unit's series has to be filled ahead (at least 1). Only years that "
        "were observed are scored.",
    )
    holdout_error: Literal["mape", "mae", "rmse"] = Field(
        "mape",
        description="Error measure the selection minimises over the hold-out forecasts: mean "
        "absolute percentage error, mean absolute error or root mean squared error.",
    )
    arima_holdout: Literal["reidentify", "fixed"] = Field(
        "reidentify",
        description='ARIMA at each hold-out origin: "reidentify" chooses d, p, q again from the '
        'years before the origin only (an honest score); "fixed" refits the order chosen on the '
        "whole series (faster, but the order has seen the held-out years).",
    )
    selection: Literal["pooled", "series"] = Field(
        "series",
        description='"pooled": every series of a pool is filled by the candidate of least mean '
        "hold-out error over the pool's series (pools: the group column of the emissions table "
        'when given, else all series of the table); "series" (METHODS §2.5, default): each series by '
        "its own least error.",
    )
    tie_margin: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="The simplest candidate (order: naive, damped, drift, combination, ARIMA) "
        "whose hold-out error is at most (1 + tie_margin) times the least error is chosen (−); "
        "0: the least error, ties to the simpler.",
    )
    interval: float = Field(0.95, gt=0, lt=1, description="Coverage of the prediction interval.")

    @model_validator(mode="after")
    def _check_emissions(self) -> EmissionsParams:
        if isinstance(self.holdout_horizon, int) and not 1 <= self.holdout_horizon <= 10:
            raise ValueError(f'holdout_horizon must be 1-10 or "fill" (got {self.holdout_horizon})')
        if "combination" in self.candidates and len(set(self.candidates) - {"combination"}) < 2:
            raise ValueError("the combination candidate needs at least two other candidates")
        return self


class SpatialParams(Params):
    """``[carbon.spatial]``: spatial autocorrelation of sources and sinks (METHODS §2.6)."""

    contiguity: Literal["queen", "rook"] = Field("queen", description="Contiguity weights.")
    permutations: int = Field(999, ge=0, description="Conditional permutations for p-values.")
    seed: int = Field(12345, description="Seed of the permutations (reproducible p-values).")
    significance: float = Field(0.05, gt=0, lt=1, description="Significance level of clusters.")


class CarbonParams(Params):
    """``[carbon]``: carbon budget and carbon balance zoning (METHODS §2)."""

    landcover_classes: str = Field(
        "igbp",
        description='Land-cover legend of the landcover rasters: "igbp" (MODIS MCD12Q1 LC_Type1), '
        '"resdc" (RESDC/CNLUCC), "clcd" (CLCD), or a path to a CSV with columns code, '
        "vegetation_type (and optionally coefficient_class).",
    )
    nep_on: Literal["vegetated", "all"] = Field(
        "vegetated",
        description='"vegetated": NPP, Rh and NEP are 0 on non-vegetated classes (water, built-up, '
        'snow, barren); "all": computed everywhere, non-vegetated classes with the parameters of '
        "other_vegetation.",
    )
    casa: CasaParams = Field(default_factory=CasaParams)
    respiration: RespirationParams = Field(default_factory=RespirationParams)
    coefficients: CoefficientParams = Field(default_factory=CoefficientParams)
    zoning: ZoningParams = Field(default_factory=ZoningParams)
    emissions: EmissionsParams = Field(default_factory=EmissionsParams)
    spatial: SpatialParams = Field(default_factory=SpatialParams)
