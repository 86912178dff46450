import dask.array as da
import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr
from affine import Affine
from pyproj import CRS

from ecozone import store
from ecozone.grid import Grid
from ecozone.inputs.units import build_units
from ecozone.study import DEFAULT_AREA_CRS

from small_study import counties


def test_atomic_output_replaces_only_on_success(tmp_path):
    out = tmp_path / "out"
    with store.atomic_output(out) as tmp:
        (tmp / "a.txt").write_text("first")
    assert (out / "a.txt").read_text() == "first"
    with pytest.raises(RuntimeError):
        with store.atomic_output(out) as tmp:
            (tmp / "a.txt").write_text("second")
            raise RuntimeError("boom")
    assert (out / "a.txt").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temp folders left
    with store.atomic_output(out) as tmp:
        (tmp / "b.txt").write_text("third")
    assert sorted(p.name for p in out.iterdir()) == ["b.txt"]


def test_gpkg_units_and_tables_roundtrip(tmp_path):
    u = build_units(
        counties(), levels={"county": "unit_id", "city": "city_id"}, area_crs=DEFAULT_AREA_CRS
    )
    t = pd.DataFrame(
        {"level": ["county", "city"], "unit_id": ["101", "C1"], "year": [2020, 2020], "r_air": [0.1, np.nan],
         "state": ["overload", None], "flag": [True, False]}
    )
    store.write_gpkg(tmp_path / "results.gpkg", u.frame, {"capacity": t})
    back = store.read_results(tmp_path)
    assert set(back) == {"units", "capacity"}
    assert len(back["units"]) == 8 and set(back["units"]["level"]) == {"county", "city"}
    c = back["capacity"]
    assert c["r_air"].iloc[0] == pytest.approx(0.1) and np.isnan(c["r_air"].iloc[1])
    assert c["state"].iloc[0] == "overload"


def test_cog_from_dask_blocks(tmp_path):
    g = Grid(CRS.from_epsg(4326), Affine(0.01, 0, 110, 0, -0.01, 31), 700, 900)
    arr = da.from_array(np.arange(700 * 900, dtype="float32").reshape(700, 900), chunks=(256, 300))
    x = xr.DataArray(arr, dims=("y", "x"), attrs={"grid": g, "units": "gC m-2 yr-1"})
    store.write_cog(tmp_path / "npp.tif", x)
    with rasterio.open(tmp_path / "npp.tif") as ds:
        assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert ds.overviews(1)
        assert ds.tags(1)["units"] == "gC m-2 yr-1"
        np.testing.assert_array_equal(ds.read(1), arr.compute())
        assert ds.transform == g.transform


def test_checksums_and_manifest(tmp_path):
    (tmp_path / "a.csv").write_text("x\n1\n")
    sums = store.checksums([tmp_path / "a.csv"], tmp_path)
    # sha256 of "x\n1\n"
    assert list(sums) == ["a.csv"]
    import hashlib

    assert sums["a.csv"] == hashlib.sha256(b"x\n1\n").hexdigest()
    store.write_manifest(tmp_path / "manifest.json", {"b": 1, "名": "中文"})
    assert store.read_manifest(tmp_path)["名"] == "中文"
