"""Parameters of the ``parks`` analysis (METHODS §3), as the study file sees them.

The study file's ``[parks]`` section maps onto :class:`ParksParams`. The GDI
indicator table is shipped as ``ecozone/params/parks_gdi.csv`` (columns
``indicator, direction, benchmark, weight, source, verified``); ``gdi_table``
names a CSV that replaces it, read by :func:`read_gdi_table`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pydantic import Field, field_validator

from ecozone.errors import ParameterError
from ecozone.params import Params, data_path
from ecozone.parks.gdi import check_gdi_table

GDI_TABLE = "parks_gdi.csv"


class ParksParams(Params):
    """``[parks]``: industrial parks (METHODS §3)."""

    shoreline_m: float = Field(
        1000.0,
        gt=0,
        description="Shoreline distance (m): a park within this distance of a river line has "
        "within_1km = true (seed 001: 1 km of the Yangtze shoreline).",
    )
    base_year: int | None = Field(
        None,
        description="Base year of cod_intensity_change; None = each park's first year with a COD "
        "intensity (seed 001 compares with 2015).",
    )
    capacity_bins_mw: list[float] = Field(
        default_factory=lambda: [30.0, 300.0],
        description="Edges (MW) of the capacity classes of energy units: small < first ≤ medium < "
        "second ≤ large (seed 001 §4.3: < 30 MW and ≥ 300 MW).",
    )
    reference_efficiency: float = Field(
        0.40,
        gt=0,
        le=1,
        description="Reference efficiency (0–1) of energy units; the share of capacity below it is "
        "reported (seed 001 §3.2.2: national average electricity supply efficiency ≈ 0.385–0.39).",
    )
    gdi_table: str | None = Field(
        None,
        description="Path to a CSV replacing the shipped GDI indicator table (columns indicator, "
        "direction, benchmark, weight, source, verified); None = parks_gdi.csv.",
    )

    @field_validator("capacity_bins_mw")
    @classmethod
    def _bins(cls, v: list[float]) -> list[float]:
        if len(v) != 2 or not (0 < v[0] < v[1]):
            raise ValueError("capacity_bins_mw must be two increasing positive edges in MW, e.g. [30, 300]")
        return v


def read_gdi_table(path: str | Path | None = None) -> pd.DataFrame:
    """The GDI indicator table, validated (see :func:`ecozone.parks.gdi.check_gdi_table`).

    Parameters
    ----------
    path : str or Path, optional
        A CSV replacing the shipped ``parks_gdi.csv``.

    Returns
    -------
    DataFrame
        ``indicator, direction ("+" | "-"), benchmark, weight`` (floats, NaN = none),
        ``source, verified``.
    """
    p = Path(path) if path is not None else data_path(GDI_TABLE)
    if not p.is_file():
        raise ParameterError(f"no such file: {p}", where="[parks] gdi_table",
                             fix="give the path of a CSV with columns indicator, direction, benchmark, "
                             "weight, source, verified")
    raw = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8")
    return check_gdi_table(raw, where=str(p.name) if path is None else str(path))
