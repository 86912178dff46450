"""ecozone.drivers: drivers of carbon sources and sinks, the geographical detector (METHODS §7).

Pure API: the four detectors of :mod:`ecozone.drivers.geodetector`, the
discretisation of continuous factors of :mod:`ecozone.drivers.discretise`,
and :func:`detect`, which runs them all over a table of units. The factors
of a study (terrain, land use, economy, the user's table) are built by
:mod:`ecozone.drivers.factors`; :mod:`ecozone.drivers.run` wires it all to a
study (tables ``drivers``, ``drivers_interaction``, ``drivers_risk``,
``drivers_ecological``; ``docs/drivers.md``).

The names below are imported on first use (SciPy's statistics take a second
or two to import; reading a study file loads this package's declaration
only).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_EXPORTS = {
    "DEFAULT_CLASSES": "ecozone.drivers.discretise",
    "METHODS": "ecozone.drivers.discretise",
    "Strata": "ecozone.drivers.discretise",
    "class_breaks": "ecozone.drivers.discretise",
    "optimal_discretisation": "ecozone.drivers.discretise",
    "stratify": "ecozone.drivers.discretise",
    "INTERACTION_TYPES": "ecozone.drivers.geodetector",
    "EcologicalResult": "ecozone.drivers.geodetector",
    "FactorResult": "ecozone.drivers.geodetector",
    "InteractionResult": "ecozone.drivers.geodetector",
    "detect": "ecozone.drivers.geodetector",
    "ecological_detector": "ecozone.drivers.geodetector",
    "factor_detector": "ecozone.drivers.geodetector",
    "interaction_detector": "ecozone.drivers.geodetector",
    "interaction_type": "ecozone.drivers.geodetector",
    "risk_detector": "ecozone.drivers.geodetector",
}

if TYPE_CHECKING:  # for type checkers and IDEs; never executed
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


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ecozone.drivers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


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
