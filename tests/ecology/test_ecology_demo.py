"""The demo's ecology inputs: the synthetic railways and the [ecology] settings it runs with."""

from __future__ import annotations

import tomllib

import geopandas as gpd
import pytest
from shapely.geometry import box

from ecozone.demo import ecology as demo
from ecozone.ecology.params import EcologyParams


def test_railways_join_the_city_centres():
    # four cities of line 3 (Wuhan–Yueyang–Changsha) and of line 5, one county each (unit squares)
    ids = {"420100": (114, 30), "430600": (113, 29), "430100": (112, 28), "500000": (106, 29), "520300": (107, 27),
           "520100": (106, 26)}
    counties = gpd.GeoDataFrame({"city_id": list(ids)}, geometry=[box(x, y, x + 1, y + 1) for x, y in ids.values()],
                                crs=4326)
    g = demo.railways(counties).set_index("name")
    # a line needs two of its cities: line 4 (Nanjing–Nanchang) has none here; line 1 keeps Wuhan and Chongqing
    assert [n.split(" (")[0] for n in g.index] == ["synthetic line 1", "synthetic line 2", "synthetic line 3",
                                                   "synthetic line 5"]
    assert g["note"].str.contains("SYNTHETIC").all()
    # a line runs through the centres of its cities' counties, in order
    assert list(g.geometry["synthetic line 3 (Wuhan–Changsha)"].coords) == [(114.5, 30.5), (113.5, 29.5),
                                                                             (112.5, 28.5)]
    assert list(g.geometry["synthetic line 1 (Shanghai–Chengdu)"].coords) == [(114.5, 30.5), (106.5, 29.5)]


def test_demo_parameters_are_valid_and_fast():
    p = EcologyParams(**tomllib.loads(demo.PARAMS_TOML)["ecology"])
    assert (p.landcover, p.coarsen, p.circuit_domain) == ("landcover", 2, "corridor")
    assert p.corridor_cutoff == pytest.approx(100_000) and p.corrections == ["ndvi"]
    assert "railways" in demo.LAYERS_TOML and "SYNTHETIC DEMO DATA" in demo.SOURCES_MD
