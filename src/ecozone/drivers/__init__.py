"""ecozone.drivers: drivers of carbon sources and sinks, the geographical detector (METHODS §7).

Pure API: the four detectors of :mod:`ecozone.drivers.geodetector`, the
discretisation of continuous factors of :mod:`ecozone.drivers.discretise`,
and :func:`detect`, which runs them all over a table of units.
"""

from ecozone.drivers.discretise import (
    DEFAULT_CLASSES,
    METHODS,
    Strata,
    class_breaks,
    optimal_discretisation,
    stratify,
)
from ecozone.drivers.geodetector import (
    INTERACTION_TYPES,
    EcologicalResult,
    FactorResult,
    InteractionResult,
    detect,
    ecological_detector,
    factor_detector,
    interaction_detector,
    interaction_type,
    risk_detector,
)

__all__ = [
    "DEFAULT_CLASSES",
    "INTERACTION_TYPES",
    "METHODS",
    "EcologicalResult",
    "FactorResult",
    "InteractionResult",
    "Strata",
    "class_breaks",
    "detect",
    "stratify",
    "ecological_detector",
    "factor_detector",
    "interaction_detector",
    "interaction_type",
    "optimal_discretisation",
    "risk_detector",
]
