"""`ecozone demo` end to end: every level in the store, the numbers the issue names."""

import json

import pyogrio
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run


def test_demo_prints_where_results_are(demo):
    out, stdout = demo
    assert "synthetic demo data" in stdout
    for name in ("results.gpkg", "results.xlsx", "manifest.json", "report.html"):
        assert str(out / name) in stdout.replace("\n", "")
        assert (out / name).exists()


def test_demo_store_holds_every_level(demo):
    out, _ = demo
    units = pyogrio.read_dataframe(out / "results.gpkg", layer="units")
    # English names beside the Chinese ones; the English report shows them
    wuhan = units[(units["level"] == "city") & (units["unit_id"] == "420100")].iloc[0]
    assert (wuhan["name"], wuhan["name_en"]) == ("武汉市", "Wuhan")
    assert (units["name_en"] != "").all()
    assert "Wuhan" in (out / "report.html").read_text(encoding="utf-8")
    n = units.groupby("level").size().to_dict()
    assert n["county"] == 1068
    assert n["province"] == 11
    assert n["agglomeration"] == 5
    assert n["subgroup"] == 3
    assert 125 <= n["city"] <= 135
    a = units[units.level == "agglomeration"].set_index("unit_id")["area_km2"]
    # the 31 middle-reaches cities, whole: about 349,900 km2
    assert a["MRYR"] == pytest.approx(349_900, rel=0.015)
    layers = {name for name, _ in pyogrio.list_layers(out / "results.gpkg")}
    assert {"units", "capacity", "capacity_shares", "carbon", "carbon_zones", "about"} <= layers
    cap = pyogrio.read_dataframe(out / "results.gpkg", layer="capacity", columns=["level", "unit_id", "year"])
    assert set(cap["level"]) >= {"county", "city", "province", "agglomeration"}
    carbon = pyogrio.read_dataframe(out / "results.gpkg", layer="carbon")
    mryr = carbon[(carbon.level == "city")]
    assert mryr["year"].nunique() == 4
    # vegetated NPP lands in a plausible range (gC m-2 yr-1)
    county = carbon[carbon.level == "county"]
    assert 300 < county["npp_mean"].median() < 1400
    # the county series (real CEADs where matched, else synthetic) end in 2017: 2020 is filled and flagged
    filled = county[county["emissions_filled"].astype(bool)]
    assert set(filled["year"]) == {2020}
    assert len(filled) == county["unit_id"].nunique()
    fill = pyogrio.read_dataframe(out / "results.gpkg", layer="carbon_emissions_fill")
    assert set(fill["model"].str.split("(").str[0]) <= {"naive", "drift", "damped", "combination", "ARIMA", "interpolation"}
    assert fill["holdout_mape"].dropna().between(0, 100).all()


def test_demo_manifest_and_label(demo):
    out, _ = demo
    m = json.loads((out / "manifest.json").read_text())
    assert m["synthetic"] is True and m["label"] == "synthetic demo data"
    from ecozone.registry import ANALYSES

    assert set(m["analyses"]) == set(ANALYSES)  # the demo exercises every analysis
    assert any(k.endswith("units.gpkg") for k in m["inputs"])
    assert len(m["inputs"]) > 190  # units + 6 tables + 4 years x (48 monthly + 1 land cover)
    about = pyogrio.read_dataframe(out / "results.gpkg", layer="about").set_index("key")["value"]
    assert about["data"] == "synthetic demo data"
    assert m["timings_s"]["total"] < 120


def test_demo_parks(demo):
    """50 synthetic parks: 48 placed, one geocoder fallback outside its province, one without coordinates."""
    out, _ = demo
    parks = pyogrio.read_dataframe(out / "results.gpkg", layer="parks")
    assert len(parks) == 50
    assert parks["location_check"].value_counts().to_dict() == {"ok": 48, "outside_province": 1, "no_location": 1}
    assert ((parks["within_1km"] == 1) & (parks["is_chemical"] == 1)).sum() >= 5  # chemical parks by the rivers
    years = pyogrio.read_dataframe(out / "results.gpkg", layer="parks_year")
    assert sorted(years["year"].unique()) == list(range(2015, 2021)) and years["gdi"].between(0, 100).all()
    layers = dict(pyogrio.list_layers(out / "results.gpkg"))
    assert layers["parks_map"] == "Point" and layers["parks_rivers"] in ("LineString", "MultiLineString")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="sec-parks"' in html and (out / "figures" / "parks_map.png").is_file()
