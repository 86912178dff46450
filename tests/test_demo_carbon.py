"""The demo's CASA NPP is plausible: issue 4's "vegetated NPP of the demo lands in 400–1,300 gC m-2 yr-1".

Read straight from the rasters the run wrote (``rasters/npp_{year}.tif``) and the
demo study's own land cover (``rasters/lc_{year}.tif``, IGBP legend), on the same
equal-area grid (equal pixel areas, so the plain mean is the area-weighted one).
Vegetated = every land-cover code the shipped IGBP table maps to a vegetation
type (not ``non_vegetated`` or ``nodata``). The mean is derived here with NumPy,
not with the carbon module.
"""

import json
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecozone.params import data_path

pytestmark = pytest.mark.slow


def _demo_study(out: Path) -> Path:
    """The demo study folder the run read (the manifest names its study file)."""
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return Path(m["study_file"]).parent


def test_demo_vegetated_npp_is_plausible(demo_run):
    import rasterio

    out, _ = demo_run
    study = _demo_study(out)
    cfg = tomllib.loads((study / "ecozone.toml").read_text(encoding="utf-8"))
    assert cfg["carbon"]["landcover_classes"] == "igbp"
    legend = pd.read_csv(data_path("landcover_igbp.csv"))
    vegetated = legend.loc[~legend["vegetation_type"].isin(["non_vegetated", "nodata"]), "code"]
    years = cfg["study"]["years"]
    assert years == [2005, 2010, 2015, 2020]
    for year in years:
        with rasterio.open(out / "rasters" / f"npp_{year}.tif") as r:
            npp = r.read(1)
            grid = (r.crs, r.transform, r.shape)
        lc_path = study / cfg["rasters"]["landcover"].format(year=year)
        with rasterio.open(lc_path) as r:
            lc = r.read(1)
            assert (r.crs, r.transform, r.shape) == grid  # same grid: pixel for pixel
        veg = np.isin(lc, vegetated.to_numpy())
        assert veg.sum() > 50_000  # the demo is mostly vegetated (~87,000 pixels of 5 km)
        assert np.isfinite(npp[veg]).all()  # no silent NaN on vegetated land
        mean = float(npp[veg].mean())
        assert 400 < mean < 1300, f"{year}: vegetated NPP mean {mean:.0f} gC m-2 yr-1"
        # non-vegetated land has NPP 0 (nep_on = "vegetated", the default)
        nonveg = np.isin(lc, legend.loc[legend["vegetation_type"] == "non_vegetated", "code"].to_numpy())
        assert np.all(npp[nonveg] == 0)
