"""The demo's synthetic 30 m land cover and green layers, on a made-up city and coarse land cover."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS
from shapely.geometry import box

from ecozone.demo import green as dg
from ecozone.demo import synthetic as syn
from ecozone.grid import Grid
from ecozone.inputs.layers import load_layer


def _coarse(folder, years):
    """A 5 km Albers land cover around 114.7°E 30.35°N: cropland, a 15 km built-up square growing by year."""
    g = Grid(CRS.from_proj4(syn.AEA), Affine(5000.0, 0, 880_000.0, 0, -5000.0, 3_300_000.0), 20, 20)
    (folder / "rasters").mkdir(parents=True)
    for k, y in enumerate(years):
        lc = np.full(g.shape, syn.CRO, np.uint8)
        lc[8:11, 9:12 + k] = syn.URB
        lc[:, :1] = syn.LC_NODATA
        with rasterio.open(folder / "rasters" / f"lc_{y}.tif", "w", driver="GTiff", width=20, height=20, count=1,
                           dtype="uint8", crs=g.crs.to_wkt(), transform=g.transform, nodata=255) as ds:
            ds.write(lc, 1)
    return g


def test_fine_land_cover_and_layers(tmp_path):
    years = (2015, 2020)
    cg = _coarse(tmp_path, years)
    city = gpd.GeoSeries([box(925_000.0, 3_235_000.0, 945_000.0, 3_262_000.0)], crs=syn.AEA).to_crs(4326)
    counties = gpd.GeoDataFrame({"unit_id": ["1"], "city_id": [dg.CITY_ID]}, geometry=city, crs=4326)
    dg.write_green(tmp_path, counties, years=years)
    built = {}
    for y in years:
        with rasterio.open(tmp_path / dg.RASTER_PATTERN.format(year=y)) as ds:
            a = ds.read(1)
            assert ds.res == (30.0, 30.0) and ds.tags()["SOURCE"].startswith("synthetic demo data")
            assert Grid.from_rasterio(ds).crs == cg.crs
        assert set(np.unique(a)) <= {1, 2, 4, 5, 7, 8, 10, 11, 12, 13, 14, 16, 17}
        built[y] = int((a == syn.URB).sum())
        assert 0.01 < (a == syn.URB).mean() < 0.5 and (a == syn.CRO).mean() > 0.3
    assert built[2020] > built[2015]  # the town grows with the coarse built-up land
    inner = city.to_crs(syn.AEA).iloc[0]
    for name, rel in dg.LAYER_FILES.items():
        kinds = {"greenways": ("line",), "roads": ("line",)}.get(name, ("polygon",))
        lay = load_layer(tmp_path / rel, name, kinds)
        assert len(lay) and lay["name"].str.contains("synthetic").all(), name
        assert lay.to_crs(syn.AEA).within(inner.buffer(1.0)).all(), name  # nothing crosses into a neighbour
    parks = load_layer(tmp_path / dg.LAYER_FILES["green_space"], "green_space", ("polygon",)).to_crs(syn.AEA)
    res = load_layer(tmp_path / dg.LAYER_FILES["residential"], "residential", ("polygon",)).to_crs(syn.AEA)
    assert parks.union_all().intersection(res.union_all()).area < 1.0  # parks and homes are different blocks
