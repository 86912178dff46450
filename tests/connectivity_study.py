"""Flows and travel times among the six counties of the small study (tests/small_study.py), hand-checkable.

Counties 101–103 form city C1 (also agglomeration AG), 104–106 city C2 (in no
agglomeration). Population flows of 2020: C1's members as the 3-city example
of METHODS §5.1's tests (101→102 10, 102→101 5, 101→103 2, 103→102 4,
103→101 0), C2's a directed cycle 104→105 6, 105→106 2, 106→104 1, and
101→104 3, 104→103 1 across; 2015 the same halved; transport 2020: 101↔102
20 trains each way. Travel times of 2020 (h): 101–102 rail 0.5 / 0.6,
101→103 road 1.5, 102→103 road 2.5, 103→102 rail 3.0, 104→105 road 1.0,
105→106 road 3.0, 104→106 rail 2.0.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

POPULATION_2020 = [
    ("101", "102", 10.0), ("102", "101", 5.0), ("101", "103", 2.0), ("103", "102", 4.0), ("103", "101", 0.0),
    ("104", "105", 6.0), ("105", "106", 2.0), ("106", "104", 1.0), ("101", "104", 3.0), ("104", "103", 1.0),
]
TRAVEL_2020 = [
    ("101", "102", "rail", 0.5), ("102", "101", "rail", 0.6), ("101", "103", "road", 1.5),
    ("102", "103", "road", 2.5), ("103", "102", "rail", 3.0), ("104", "105", "road", 1.0),
    ("105", "106", "road", 3.0), ("104", "106", "rail", 2.0),
]


def flows() -> pd.DataFrame:
    rows = [(o, d, 2020, "population", v) for o, d, v in POPULATION_2020]
    rows += [(o, d, 2015, "population", v / 2) for o, d, v in POPULATION_2020]
    rows += [("101", "102", 2020, "transport", 20.0), ("102", "101", 2020, "transport", 20.0)]
    return pd.DataFrame(rows, columns=["origin", "destination", "year", "kind", "value"])


def travel_times() -> pd.DataFrame:
    return pd.DataFrame([(o, d, 2020, m, h) for o, d, m, h in TRAVEL_2020],
                        columns=["origin", "destination", "year", "mode", "hours"])


def add_connectivity_tables(root: Path, *, travel: bool = True, economy: bool = True, extra: str = "") -> Path:
    """Write flows.csv (and travel_times.csv) into the small study at ``root`` and declare them in [tables].

    ``economy=False`` removes the economy table from [tables]; ``extra`` is appended to the study file
    (e.g. a ``[connectivity]`` section). Returns the study file.
    """
    flows().to_csv(root / "flows.csv", index=False)
    if travel:
        travel_times().to_csv(root / "travel_times.csv", index=False)
    toml_path = root / "ecozone.toml"
    toml = toml_path.read_text(encoding="utf-8")
    if not economy:
        toml = re.sub(r'^economy = "economy.csv"\n', "", toml, flags=re.M)
    add = 'flows = "flows.csv"\n' + ('travel_times = "travel_times.csv"\n' if travel else "")
    toml = toml.replace("[tables]\n", "[tables]\n" + add, 1)
    toml_path.write_text(toml + ("\n" + extra if extra else ""), encoding="utf-8")
    return toml_path
