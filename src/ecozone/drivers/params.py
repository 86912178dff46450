"""Parameters of the ``drivers`` analysis (METHODS §7), as the study file's ``[drivers]`` section sees them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from ecozone.params import Params

#: the discretisation methods of :mod:`ecozone.drivers.discretise` (kept here so that reading a
#: study file does not import the numerical code)
METHOD_NAMES = ("quantile", "equal", "natural", "geometric")
DEFAULT_TARGETS = ["cb_tc", "ce_tc", "cs_tc", "nep_mean"]


class DriversParams(Params):
    """``[drivers]``: the geographical detector of the drivers of carbon sources and sinks (METHODS §7)."""

    targets: list[str] = Field(
        default_factory=lambda: list(DEFAULT_TARGETS),
        min_length=1,
        description="Target columns: columns of the carbon results (default CB, CE, CS in t C and mean "
        "NEP in gC m-2 yr-1), of any other unit table of the results, or of [tables] factors (a study "
        "without carbon names its target columns of the factors table here).",
    )
    discretisation: Literal["optimal", "quantile", "equal", "natural", "geometric"] = Field(
        "optimal",
        description='How continuous factors become strata: "optimal" = per factor and target the method '
        "and number of classes (among `methods` x `classes`) with the largest q (the output says which); "
        "or one method with `n_classes` classes.",
    )
    classes: list[int] = Field(
        default_factory=lambda: list(range(3, 9)),
        min_length=1,
        description="Numbers of classes the optimal discretisation tries (METHODS §7: 3-8).",
    )
    methods: list[Literal["quantile", "equal", "natural", "geometric"]] = Field(
        default_factory=lambda: list(METHOD_NAMES),
        min_length=1,
        description="Methods the optimal discretisation tries (quantile, equal intervals, natural breaks "
        "(Jenks), geometric intervals).",
    )
    n_classes: int = Field(
        5, ge=2, le=20, description="Classes of a fixed discretisation method (not used by \"optimal\")."
    )
    level: str | None = Field(
        None,
        description="Level of the units analysed (a level name of [units] levels); default: the finest "
        "level at which a target has values.",
    )
    factors: list[str] | None = Field(
        None,
        description="Use only these factors (names as in the drivers table, e.g. elevation, slope, "
        "share_forest, gdp_density, or columns of [tables] factors); default: every factor available.",
    )
    exclude: list[str] = Field(
        default_factory=list, description="Factors to leave out (names as in the drivers table)."
    )
    categorical: list[str] = Field(
        default_factory=list,
        description="Columns of [tables] factors whose numbers are category codes (soil type, zone "
        "…), used as strata as they are; text columns are categories anyway.",
    )
    errors: Literal["note", "raise"] = Field(
        "note",
        description='A factor or target that cannot be analysed in a year (one stratum, no variance, too '
        'few units): "note" leaves it out and says why in the run notes; "raise" stops the run. A run '
        "in which nothing at all can be analysed always stops with the reason.",
    )

    @field_validator("classes")
    @classmethod
    def _classes_in_range(cls, v: list[int]) -> list[int]:
        bad = [k for k in v if not 2 <= k <= 20]
        if bad:
            raise ValueError(f"numbers of classes must lie in 2-20 (METHODS §7 uses 3-8), got {bad}")
        return sorted(set(v))

    @field_validator("targets", "exclude", "categorical")
    @classmethod
    def _no_repeats(cls, v: list[str]) -> list[str]:
        out = [s.strip() for s in v]
        if any(not s for s in out):
            raise ValueError("names cannot be empty")
        if len(set(out)) != len(out):
            raise ValueError(f"names repeat: {out}")
        return out

    @model_validator(mode="after")
    def _factors_not_empty(self) -> DriversParams:
        if self.factors is not None and not self.factors:
            raise ValueError("factors = [] leaves nothing to analyse; leave the key out to use every factor")
        return self


__all__ = ["DEFAULT_TARGETS", "METHOD_NAMES", "DriversParams"]
