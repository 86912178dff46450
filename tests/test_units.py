import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import Polygon, box

from ecozone.errors import InputError
from ecozone.inputs.units import build_units, load_units
from ecozone.study import DEFAULT_AREA_CRS

from small_study import counties

LEVELS = {"county": "unit_id", "city": "city_id", "agglomeration": "agglo_id"}


def build(gdf, **kw):
    return build_units(gdf, levels=LEVELS, area_crs=DEFAULT_AREA_CRS, **kw)


def test_levels_by_dissolve_and_areas():
    u = build(counties(), level_names={"city": "city_name"})
    assert u.levels == ["county", "city", "agglomeration"]
    assert len(u.of_level("county")) == 6
    assert sorted(u.ids("city")) == ["C1", "C2"]
    assert u.ids("agglomeration") == ["AG"]  # C2 belongs to none
    assert u.of_level("city").set_index("unit_id").loc["C1", "name"] == "City One"
    # a city's area is the sum of its counties'
    a = u.frame.set_index(["level", "unit_id"])["area_km2"]
    assert a[("city", "C1")] == pytest.approx(a[("county", "101")] + a[("county", "102")] + a[("county", "103")], rel=1e-9)
    # equal-area km² agree with the geodesic area of a 0.1° cell at 30°N
    g = Geod(ellps="WGS84")
    lons, lats = [113.0, 113.1, 113.1, 113.0], [30.1, 30.1, 30.2, 30.2]
    geod_area = abs(g.polygon_area_perimeter(lons, lats)[0]) / 1e6
    assert a[("county", "101")] == pytest.approx(geod_area, rel=1e-3)
    assert u.membership("agglomeration")["104"] == ""
    assert u.members("city", "agglomeration").to_dict() == {"C1": "AG", "C2": ""}


def test_missing_crs_is_an_error():
    g = counties()
    g = g.set_crs(None, allow_override=True)
    with pytest.raises(InputError, match="no coordinate reference system"):
        build(g)


def test_duplicate_ids_are_named():
    g = counties()
    g.loc[3, "unit_id"] = "101"
    with pytest.raises(InputError) as e:
        build(g)
    assert "duplicate id '101'" in str(e.value) and "features 1, 4" in str(e.value)


def test_inconsistent_hierarchy_is_named():
    g = counties()
    g.loc[1, "agglo_id"] = "OTHER"
    with pytest.raises(InputError) as e:
        build(g)
    msg = str(e.value)
    assert "inconsistent hierarchy" in msg and "city 'C1'" in msg and "'OTHER'" in msg


def test_invalid_geometry_is_repaired_and_reported():
    g = counties()
    # a bow-tie (self-intersecting) polygon over county 101's square
    g.loc[0, "geometry"] = Polygon([(113.0, 30.1), (113.1, 30.2), (113.1, 30.1), (113.0, 30.2)])
    u = build(g)
    assert any("repaired invalid geometry of unit 101" in r for r in u.repairs)
    assert u.finest.geometry.is_valid.all()
    assert u.frame.set_index(["level", "unit_id"]).loc[("county", "101"), "area_km2"] > 0


def test_missing_column_lists_available_columns():
    g = counties().rename(columns={"city_id": "CITY"})
    with pytest.raises(InputError) as e:
        build(g)
    assert "no column 'city_id'" in str(e.value) and "CITY" in str(e.value)


def test_repeated_id_allowed_only_for_same_territory():
    g = counties()
    # county-level city directly under the province: county 106 is its own city 106
    g.loc[5, "city_id"] = "106"
    u = build(g)
    assert "106" in u.ids("city") and "106" in u.ids("county")
    g2 = counties()
    g2["city_id"] = g2["city_id"].replace({"C1": "101"})  # city 101 holds 101..103: not the same territory
    with pytest.raises(InputError, match="different unit"):
        build(g2)


def test_parents_allow_two_hierarchies_over_one_level():
    g = counties()
    g["province_id"] = ["P1", "P1", "P1", "P1", "P1", "P1"]
    lv = {"county": "unit_id", "city": "city_id", "province": "province_id", "agglomeration": "agglo_id"}
    u = build_units(g, levels=lv, parents={"agglomeration": "city"}, area_crs=DEFAULT_AREA_CRS)
    assert u.parents == {"city": "county", "province": "city", "agglomeration": "city"}
    assert u.ids("province") == ["P1"]


def test_any_ogr_format_and_layer_errors(tmp_path):
    g = counties()
    g.to_file(tmp_path / "u.shp")
    g.to_file(tmp_path / "u.geojson", driver="GeoJSON")
    for f in ("u.shp", "u.geojson"):
        u = load_units(tmp_path / f, levels=LEVELS, area_crs=DEFAULT_AREA_CRS)
        assert len(u.of_level("county")) == 6
    with pytest.raises(InputError, match="has no layer 'nope'"):
        load_units(tmp_path / "u.geojson", levels=LEVELS, layer="nope", area_crs=DEFAULT_AREA_CRS)
    with pytest.raises(InputError, match="not found"):
        load_units(tmp_path / "none.gpkg", levels=LEVELS, area_crs=DEFAULT_AREA_CRS)
    (tmp_path / "junk.gpkg").write_text("not a geopackage")
    with pytest.raises(InputError, match="cannot be read"):
        load_units(tmp_path / "junk.gpkg", levels=LEVELS, area_crs=DEFAULT_AREA_CRS)


def test_numeric_ids_keep_their_digits():
    g = counties()
    g["unit_id"] = [420101.0, 420102.0, 420103.0, 420104.0, 420105.0, 420106.0]
    u = build(gpd.GeoDataFrame(g, crs=4326))
    assert u.ids("county")[0] == "420101"


def test_empty_geometry_is_an_error():
    g = counties()
    g.loc[2, "geometry"] = box(0, 0, 0, 0).buffer(0)  # empty polygon
    with pytest.raises(InputError, match="unit\\(s\\) 103 have no geometry"):
        build(g)


def test_english_names_per_level_with_blanks():
    g = counties()
    g["name_en"] = [f"County {i}" for i in range(len(g))]
    g.loc[2, "name_en"] = None
    g["city_en"] = g["city_id"].map({"C1": "First City", "C2": " "})
    u = build(g, level_names={"city": "city_name"}, name_en="name_en", level_names_en={"city": "city_en"})
    f = u.frame.set_index(["level", "unit_id"])
    assert list(u.frame.columns[:4]) == ["level", "unit_id", "name", "name_en"]
    ids = g["unit_id"].astype(str).tolist()
    assert f.loc[("county", ids[0]), "name_en"] == "County 0"
    assert f.loc[("county", ids[2]), "name_en"] == ""  # missing stays empty, the report falls back to `name`
    assert f.loc[("city", "C1"), "name_en"] == "First City"
    assert f.loc[("city", "C2"), "name_en"] == ""
    assert f.loc[("agglomeration", "AG"), "name_en"] == ""  # no English column given for that level
    assert "name_en" not in build(counties()).frame.columns
    with pytest.raises(InputError, match=r"\[units\] level_names_en.city"):
        build(counties(), level_names_en={"city": "nope"})


# ---------------------------------------------------------------- what is not a units layer


def test_table_without_geometry_is_named_with_what_to_give(tmp_path):
    g = counties()
    df = g.drop(columns="geometry")
    df["lon"], df["lat"] = g.geometry.representative_point().x, g.geometry.representative_point().y
    df.to_csv(tmp_path / "units.csv", index=False)
    with pytest.raises(InputError) as e:
        load_units(tmp_path / "units.csv", levels=LEVELS, area_crs=DEFAULT_AREA_CRS)
    msg = str(e.value)
    assert "units.csv" in msg and "has no geometry" in msg and "columns lon, lat look like point coordinates" in msg
    assert "polygon layer" in e.value.fix and "lon/lat points are not units" in e.value.fix
    # a GeoPackage holding an attribute table next to the polygons: the polygons are named
    import pyogrio

    pyogrio.write_dataframe(df, tmp_path / "two.gpkg", layer="attributes")
    pyogrio.write_dataframe(g, tmp_path / "two.gpkg", layer="counties")
    u = load_units(tmp_path / "two.gpkg", levels=LEVELS, area_crs=DEFAULT_AREA_CRS)  # the one polygon layer
    assert len(u.of_level("county")) == 6
    with pytest.raises(InputError) as e:
        load_units(tmp_path / "two.gpkg", levels=LEVELS, layer="attributes", area_crs=DEFAULT_AREA_CRS)
    assert "layer 'attributes'" in str(e.value) and "no geometry" in str(e.value) and "counties" in e.value.fix
    with pytest.raises(InputError, match="has no geometry"):
        build(pd.DataFrame(df))


@pytest.mark.parametrize("make, kind", [(lambda g: g.geometry.representative_point(), "Point"), (lambda g: g.geometry.boundary, "LineString")])
def test_points_or_lines_are_not_units(make, kind):
    g = counties()
    g = g.set_geometry(make(g))
    with pytest.raises(InputError) as e:
        build(g)
    assert f"6 of 6 unit(s) are {kind} geometries, not polygons (units 101, 102, 103, 104, 105, 106)" in str(e.value)
    g = counties()
    g.loc[4, "geometry"] = g.geometry[4].representative_point()
    with pytest.raises(InputError, match="1 of 6 unit\\(s\\) are Point geometries, not polygons \\(units 105\\)"):
        build(g)


def test_polygons_of_a_geometry_collection_are_kept_and_noted():
    from shapely.geometry import GeometryCollection, LineString

    g = counties()
    square = g.geometry[0]
    g.loc[0, "geometry"] = GeometryCollection([square, LineString([(113.0, 30.0), (114.0, 31.0)])])
    u = build(g)
    assert any("unit 101: kept the polygons of a geometry collection" in r for r in u.repairs)
    assert u.finest.geometry[0].equals(square)


def test_empty_layer_is_an_error_even_without_crs(tmp_path):
    g = counties().iloc[:0]
    g.to_file(tmp_path / "empty.gpkg", driver="GPKG")
    with pytest.raises(InputError, match="the units layer is empty"):
        load_units(tmp_path / "empty.gpkg", levels=LEVELS, area_crs=DEFAULT_AREA_CRS)
    with pytest.raises(InputError, match="the units layer is empty"):
        build(gpd.GeoDataFrame(counties().iloc[:0]).set_crs(None, allow_override=True))


def test_coordinates_that_contradict_the_crs():
    g = counties().set_crs(3857, allow_override=True)  # lon/lat numbers declared as metres
    with pytest.raises(InputError) as e:
        build(g)
    assert "look like longitudes and latitudes" in str(e.value) and "EPSG:4326" in e.value.fix
    g = counties().to_crs(3857).set_crs(4326, allow_override=True)  # metres declared as lon/lat
    with pytest.raises(InputError) as e:
        build(g)
    assert "are not longitudes and latitudes" in str(e.value) and "do not reproject" in e.value.fix
    # correctly declared projected coordinates are fine; areas agree with the lon/lat layer
    a = build(counties().to_crs(3857)).frame["area_km2"].to_numpy()
    b = build(counties()).frame["area_km2"].to_numpy()
    assert a == pytest.approx(b, rel=1e-6)


def test_missing_names_stay_empty():
    g = counties()
    g.loc[1, "name"] = None
    u = build(g)
    assert u.of_level("county")["name"].tolist()[:3] == ["County 101", "", "County 103"]


def test_folder_and_shapefile_without_dbf(tmp_path):
    with pytest.raises(InputError, match="is a folder, not a units file"):
        load_units(tmp_path, levels=LEVELS, area_crs=DEFAULT_AREA_CRS)
    counties().to_file(tmp_path / "u.shp")
    (tmp_path / "u.dbf").unlink()
    with pytest.raises(InputError) as e:
        load_units(tmp_path / "u.shp", levels=LEVELS, area_crs=DEFAULT_AREA_CRS)
    assert "has no attribute columns at all" in str(e.value) and ".dbf" in e.value.fix
