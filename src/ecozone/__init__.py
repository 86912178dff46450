"""ecozone: where a territory stands against its environment.

Environmental carrying capacity (air and water excess indices), carbon
budgets and carbon-balance zoning (improved CASA), industrial parks and
ecological networks, for counties, cities and urban agglomerations.

Public API::

    from ecozone import load_study, run_study, read_inputs
    result = run_study("study/ecozone.toml", out="study/out")
"""

from ecozone._version import __version__
from ecozone.errors import EcozoneError, InputError, StudyError


def __getattr__(name):  # lazy: importing ecozone stays cheap
    if name in ("run_study", "read_inputs", "plan", "ANALYSES"):
        from ecozone import run

        return getattr(run, name)
    if name in ("load_study", "Study"):
        from ecozone import study

        return getattr(study, name)
    if name == "build_demo_study":
        from ecozone.demo import build_demo_study

        return build_demo_study
    raise AttributeError(name)


__all__ = [
    "EcozoneError",
    "InputError",
    "StudyError",
    "__version__",
    "build_demo_study",
    "load_study",
    "plan",
    "read_inputs",
    "run_study",
]
