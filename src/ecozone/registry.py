"""The analyses of ecozone, in the order they run: one line each.

Adding an analysis: write its package with a ``spec.py`` declaring
``SPEC = Analysis(...)`` (see :mod:`ecozone.analysis` and
``docs/adding-an-analysis.md``) and add its line here. An analysis that
reads another's results comes after it.
"""

from ecozone.analysis import Analysis
from ecozone.capacity.spec import SPEC as capacity
from ecozone.carbon.spec import SPEC as carbon
from ecozone.connectivity.spec import SPEC as connectivity
from ecozone.drivers.spec import SPEC as drivers
from ecozone.ecology.spec import SPEC as ecology
from ecozone.green.spec import SPEC as green
from ecozone.landuse.spec import SPEC as landuse
from ecozone.overview.spec import SPEC as overview
from ecozone.parks.spec import SPEC as parks

ANALYSES: dict[str, Analysis] = {a.name: a for a in (
    capacity,
    carbon,
    parks,
    green,
    drivers,
    overview,
    connectivity,
    landuse,
    ecology,
)}


def order(names: list[str]) -> list[str]:
    """``names`` plus every analysis they read (transitively), in registry order."""
    want: set[str] = set()

    def add(n: str) -> None:
        if n in want:
            return
        want.add(n)
        for r in ANALYSES[n].reads:
            add(r)

    for n in names:
        add(n)
    return [n for n in ANALYSES if n in want]


__all__ = ["ANALYSES", "order"]
