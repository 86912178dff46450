"""Declared output schemas: every table written with its declared column types.

Runs every analysis with each subset of its optional inputs (on the small
study) and checks, in ``results.gpkg``, that every column is declared and
stored as its declared SQL type (REAL, INTEGER, TEXT, BOOLEAN) — whatever
pandas inferred. Also the real-data case that found the defect: CNEMC daily
air of 2016 for 28 cities given at city level, no water table.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecozone.registry import ANALYSES
from ecozone.run import run_study
from ecozone.schema import DTYPES, SQL_TYPES, Column, SchemaError, TableSchema, conform, read_schema

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SCHEMAS = {t: s for a in ANALYSES.values() for t, s in a.schema.items()}


def _gpkg_types(path: Path) -> dict[str, dict[str, str]]:
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'attributes'")]
        return {n: {r[1]: r[2] for r in con.execute(f'PRAGMA table_info("{n}")') if r[1] != "fid"} for n in names}
    finally:
        con.close()


def _check_types(out: Path, tables: dict[str, pd.DataFrame]) -> list[str]:
    types = _gpkg_types(out / "results.gpkg")
    checked = []
    for name, df in tables.items():
        schema = SCHEMAS[name]
        conform(df, schema, strict=True)  # every column declared, every value fits its type
        assert name in types, f"{name} not in results.gpkg"
        for col, sql in types[name].items():
            want = SQL_TYPES[schema[col].dtype][0]
            assert sql == want, f"{name}.{col} stored as {sql}, declared {schema[col].dtype} ({want})"
        checked.append(name)
    return checked


def test_every_schema_is_well_formed():
    for a in ANALYSES.values():
        for table, s in a.schema.items():
            assert s.columns, table
            for c in s.columns:
                assert c.dtype in DTYPES
                assert c.en and c.zh, f"{table}.{c.name} needs English and Chinese labels"
            # a table keyed by its own id (park_id, wwtp_id …) carries level and unit_id as attributes
            own_id = any(c.key and c.name.endswith("_id") and c.name != "unit_id" for c in s.columns)
            for k in ("year",) if own_id else ("level", "unit_id", "year"):
                if k in s:
                    assert s[k].key, f"{table}.{k} should be a key"
            if "year" in s:
                assert s["year"].dtype == "int"


def test_conform_casts_whatever_pandas_inferred():
    s = TableSchema("t", (Column("a", "float"), Column("b", "int"), Column("c", "str"), Column("d", "bool")))
    df = pd.DataFrame({
        "a": pd.Series([None, "1.5", 2], dtype=object),   # numbers held as objects, one missing
        "b": [1.0, np.nan, 3.0],                          # integers with a gap arrive as floats
        "c": [1, None, "x"],
        "d": pd.Series([True, None, False], dtype=object),
    })
    got = conform(df, s)
    assert got["a"].dtype == "float64" and np.isnan(got["a"][0]) and got["a"][1] == 1.5
    assert str(got["b"].dtype) == "Int64" and got["b"].isna().tolist() == [False, True, False]
    assert got["c"].tolist() == ["1", None, "x"]
    assert str(got["d"].dtype) == "boolean"
    all_empty = conform(pd.DataFrame({"a": [None, None]}), s)  # an all-empty column stays REAL
    assert all_empty["a"].dtype == "float64"
    with pytest.raises(SchemaError, match="t.a cannot be stored as float"):
        conform(pd.DataFrame({"a": ["high"]}), s)
    with pytest.raises(SchemaError, match="undeclared"):
        conform(pd.DataFrame({"zz": [1]}), s)
    assert list(conform(pd.DataFrame({"zz": [1]}), s, strict=False).columns) == ["zz"]
    with pytest.raises(SchemaError, match="non-integer"):
        conform(pd.DataFrame({"b": [1.5]}), s)


def test_read_schema_rejects_unknown_dtype_and_repeats(tmp_path):
    p = tmp_path / "schema.csv"
    p.write_text("table,column,dtype,unit,unit_zh,en,zh,codes,key\nt,a,real,,,A,甲,,\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="row 2"):
        read_schema(p)
    p.write_text("table,column,dtype,unit,unit_zh,en,zh,codes,key\nt,a,float,,,A,甲,,\nt,a,int,,,A,甲,,\n",
                 encoding="utf-8")
    with pytest.raises(SchemaError, match="declared twice"):
        read_schema(p)


# ---------------------------------------------------------------- every analysis x optional inputs

def _extra_tables(root: Path) -> dict[str, str]:
    """Tables the small study lacks, written for the subsets: daily air, development, key zones."""
    air = pd.read_csv(root / "air.csv")
    days = pd.date_range("2015-01-01", "2015-12-31", freq="D")
    rows = []
    for r in air[air["year"] == 2015].itertuples():
        v = r.value * (1.0 + 0.2 * np.sin(np.arange(len(days)) / 9.0))
        rows.append(pd.DataFrame({"unit_id": r.unit_id, "date": days.strftime("%Y-%m-%d"),
                                  "pollutant": r.pollutant, "value": np.round(v, 3)}))
    pd.concat(rows).to_csv(root / "air_daily.csv", index=False)
    pd.DataFrame({"unit_id": ["AG", "C2"], "year": 2020, "gdp": [3e11, 1e11]}).to_csv(
        root / "development.csv", index=False)
    pd.DataFrame({"unit_id": ["104"], "zone_type": ["water_conservation"]}).to_csv(
        root / "ecological_function.csv", index=False)
    return {"air_daily": "air_daily.csv", "development": "development.csv",
            "ecological_function": "ecological_function.csv"}


def _with_tables(study: Path, tables: dict[str, str]) -> None:
    toml = (study / "ecozone.toml").read_text(encoding="utf-8")
    block = "[tables]\n" + "".join(f'{k} = "{v}"\n' for k, v in tables.items()) + "\n"
    toml = re.sub(r"\[tables\]\n(?:[^\[]*\n)?(?=\[|\Z)", block, toml, count=1)
    (study / "ecozone.toml").write_text(toml, encoding="utf-8")


def _capacity_cases():
    media = [("air",), ("water",), ("air", "water"), ("air_daily",)]
    optional = ["economy", "development", "ecological_function"]
    for m in media:
        for k in range(len(optional) + 1):
            for opt in itertools.combinations(optional, k):
                if "development" in opt and "economy" not in opt:
                    continue  # agglomeration typing reads the economy too
                yield m + opt


@pytest.fixture(scope="module")
def capacity_study(tmp_path_factory, small_study_template):
    import shutil

    root = tmp_path_factory.mktemp("schema") / "study"
    shutil.copytree(small_study_template, root)
    return root, {"air": "air.csv", "water": "water.csv", "economy": "economy.csv",
                  "emissions": "emissions.csv", **_extra_tables(root)}


@pytest.mark.parametrize("given", list(_capacity_cases()), ids=lambda g: "+".join(g))
def test_capacity_tables_have_their_declared_types(capacity_study, tmp_path, given):
    root, files = capacity_study
    _with_tables(root, {k: files[k] for k in given})
    res = run_study(root, out=tmp_path / "out", only=["capacity"], report=False)
    checked = _check_types(tmp_path / "out", res.tables)
    assert "capacity" in checked and "capacity_pollutants" in checked


def test_carbon_tables_have_their_declared_types(small_study, tmp_path):
    res = run_study(small_study, out=tmp_path / "out", only=["carbon"], report=False)
    checked = _check_types(tmp_path / "out", res.tables)
    assert {"carbon", "carbon_zones", "carbon_extremes"} <= set(checked)


DRIVERS_OPTIONAL = ("dem", "landcover", "economy", "user factors")
DRIVERS_TABLES = {"drivers", "drivers_interaction", "drivers_risk", "drivers_ecological"}


@pytest.fixture(scope="module")
def drivers_inputs(tmp_path_factory, small_study_template):
    """The small study with a user factors table (target y, a category, a number), read once."""
    import shutil

    from ecozone.run import read_inputs
    from ecozone.study import load_study

    root = tmp_path_factory.mktemp("drivers-schema") / "study"
    shutil.copytree(small_study_template, root)
    ids = [str(101 + i) for i in range(6)]
    pd.DataFrame({"unit_id": ids * 2, "year": [2015] * 6 + [2020] * 6, "y": np.arange(12.0) % 7,
                  "soil": list("aabbcc") * 2, "organic_c": [1.5, 2, 2.5, 3, 1, 4] * 2}).to_csv(
        root / "factors.csv", index=False)
    _with_tables(root, {"economy": "economy.csv", "emissions": "emissions.csv", "factors": "factors.csv"})
    text = (root / "ecozone.toml").read_text(encoding="utf-8")
    (root / "ecozone.toml").write_text(text + '\n[drivers]\ntargets = ["y"]\n', encoding="utf-8")
    return read_inputs(load_study(root))


@pytest.mark.parametrize("given", [c for k in range(1, len(DRIVERS_OPTIONAL) + 1)
                                   for c in itertools.combinations(DRIVERS_OPTIONAL, k)],
                         ids=lambda g: "+".join(g).replace(" ", "-"))
def test_drivers_tables_conform_with_each_subset_of_optional_inputs(drivers_inputs, given):
    """Without carbon: the target is a column of the factors table; factors from each subset of the inputs."""
    import dataclasses

    from ecozone.inputs.rasters import RasterSet
    from ecozone.progress import SilentReporter

    inp = drivers_inputs
    rs = inp.rasters
    rasters = RasterSet(paths={k: v for k, v in rs.paths.items() if k in given or k not in ("dem", "landcover")},
                        missing=rs.missing, grid=rs.grid, reference=rs.reference)
    tables = {"factors": inp.tables["factors"] if "user factors" in given else inp.tables["factors"][
        ["unit_id", "year", "y"]]}
    if "economy" in given:
        tables["economy"] = inp.tables["economy"]
    run = dataclasses.replace(inp, tables=tables, rasters=rasters, results={}, notes=[])
    res = ANALYSES["drivers"].runner()(run, SilentReporter())
    assert {"drivers", "drivers_risk"} <= set(res.tables) <= DRIVERS_TABLES
    for name, df in res.tables.items():
        conform(df, SCHEMAS[name], strict=True)  # every column declared, every value fits its type
    factors = set(res.tables["drivers"]["factor"])
    assert ("elevation" in factors) == ("dem" in given) and ("soil" in factors) == ("user factors" in given)


GREEN_LAYERS = ("red_lines", "green_space", "greenways", "residential", "roads")


@pytest.fixture(scope="module")
def green_inputs(tmp_path_factory):
    """The green test study (all layers, one year, one land cover), read once."""
    from green_study import make_green_study

    from ecozone.run import read_inputs
    from ecozone.study import load_study

    study = make_green_study(tmp_path_factory.mktemp("green-schema") / "study", years=(2020,), fine=False)
    return read_inputs(load_study(study))


@pytest.mark.parametrize("given", [c for k in range(len(GREEN_LAYERS) + 1)
                                   for c in itertools.combinations(GREEN_LAYERS, k)],
                         ids=lambda g: "+".join(g) or "no-layers")
def test_green_tables_conform_with_each_subset_of_layers(green_inputs, given):
    import dataclasses

    from ecozone.progress import SilentReporter

    inp = dataclasses.replace(green_inputs, layers={k: v for k, v in green_inputs.layers.items() if k in given},
                              results={}, notes=[])
    res = ANALYSES["green"].runner()(inp, SilentReporter())
    assert set(res.tables) == {"landscape", "green_infrastructure", "green_standards"}
    for name, df in res.tables.items():
        conform(df, SCHEMAS[name], strict=True)  # every column declared, every value fits its type


@pytest.mark.parametrize("full", [True, False], ids=["all-layers+economy", "no-layers-no-economy"])
def test_green_tables_have_their_declared_types(tmp_path, full):
    from green_study import make_green_study

    study = make_green_study(tmp_path / "study", years=(2020,), layers_given=GREEN_LAYERS if full else (),
                             economy=full)
    res = run_study(study, out=tmp_path / "out", only=["green"], report=False)
    assert set(_check_types(tmp_path / "out", res.tables)) == {"landscape", "green_infrastructure", "green_standards"}


PARKS_OPTIONAL = ("energy_units", "wwtp", "layer parks")
PARKS_TABLES = {"parks", "parks_year", "parks_groups", "parks_industries", "parks_wwtp", "parks_map", "parks_rivers"}


def _conform_parks(tables: dict[str, pd.DataFrame]) -> None:
    for name, df in tables.items():
        geom = getattr(df, "_geometry_column_name", None)
        attrs = pd.DataFrame(df.drop(columns=geom)) if geom in df.columns else df
        conform(attrs, SCHEMAS[name], strict=True)  # every column declared, every value fits its type


@pytest.fixture(scope="module")
def parks_inputs(tmp_path_factory):
    """The small parks study with every input (point and polygon parks), read once."""
    from parks_study import write_parks_study

    from ecozone.run import read_inputs
    from ecozone.study import load_study

    root = tmp_path_factory.mktemp("parks-schema") / "study"
    return read_inputs(load_study(write_parks_study(root, polygons=True)))


@pytest.mark.parametrize("given", [c for k in range(len(PARKS_OPTIONAL) + 1)
                                   for c in itertools.combinations(PARKS_OPTIONAL, k)],
                         ids=lambda g: "+".join(g).replace(" ", "-") or "parks+park_year+rivers")
def test_parks_tables_conform_with_each_subset_of_optional_inputs(parks_inputs, given):
    import dataclasses

    from ecozone.progress import SilentReporter

    tables = {k: v for k, v in parks_inputs.tables.items() if k in ("parks", "park_year") or k in given}
    layers = {k: v for k, v in parks_inputs.layers.items() if k == "rivers" or f"layer {k}" in given}
    inp = dataclasses.replace(parks_inputs, tables=tables, layers=layers, results={}, notes=[])
    res = ANALYSES["parks"].runner()(inp, SilentReporter())
    assert set(res.tables) == PARKS_TABLES
    _conform_parks(res.tables)


def _feature_types(path: Path) -> dict[str, dict[str, str]]:
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'features'")]
        geom = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
        return {n: {r[1]: r[2] for r in con.execute(f'PRAGMA table_info("{n}")') if r[1] not in ("fid", geom[n])}
                for n in names}
    finally:
        con.close()


@pytest.mark.parametrize("full", [True, False], ids=["every-input", "parks-table-only"])
def test_parks_tables_have_their_declared_types(tmp_path, full):
    from parks_study import write_parks_study

    study = write_parks_study(tmp_path / "study", park_year_table=full, energy=full, wwtp_table=full,
                              rivers_layer=full, polygons=full, gdi_table=full)
    res = run_study(study, out=tmp_path / "out", only=["parks"], report=False)
    spatial = {"parks_map", "parks_rivers"} & set(res.tables)
    checked = _check_types(tmp_path / "out", {k: v for k, v in res.tables.items() if k not in spatial})
    assert set(checked) == {"parks", "parks_year", "parks_groups", "parks_industries", "parks_wwtp"}
    types = _feature_types(tmp_path / "out" / "results.gpkg")
    assert spatial == ({"parks_map", "parks_rivers"} if full else {"parks_map"})
    for name in spatial:
        for col, sql in types[name].items():
            want = SQL_TYPES[SCHEMAS[name][col].dtype][0]
            assert sql == want, f"{name}.{col} stored as {sql}, declared {SCHEMAS[name][col].dtype} ({want})"


CONNECTIVITY_OPTIONAL = ("travel_times", "economy")
CONNECTIVITY_TABLES = {"connectivity", "connectivity_nodes", "connectivity_links"}


def _attributes(df: pd.DataFrame) -> pd.DataFrame:
    """A table without its geometry column (a line or point layer's attributes)."""
    geom = getattr(df, "_geometry_column_name", None)
    return pd.DataFrame(df.drop(columns=geom)) if geom in df.columns else df


@pytest.fixture(scope="module")
def connectivity_inputs(tmp_path_factory):
    """The small study (no rasters) with flows and travel times among its counties, read once."""
    from connectivity_study import add_connectivity_tables

    from ecozone.run import read_inputs
    from ecozone.study import load_study

    from small_study import make_small_study

    root = make_small_study(tmp_path_factory.mktemp("connectivity-schema") / "study", rasters=False).parent
    return read_inputs(load_study(add_connectivity_tables(root)))


@pytest.mark.parametrize("given", [c for k in range(len(CONNECTIVITY_OPTIONAL) + 1)
                                   for c in itertools.combinations(CONNECTIVITY_OPTIONAL, k)],
                         ids=lambda g: "+".join(g) or "flows-only")
def test_connectivity_tables_conform_with_each_subset_of_optional_inputs(connectivity_inputs, given):
    import dataclasses

    from ecozone.progress import SilentReporter

    inp = connectivity_inputs
    tables = {k: v for k, v in inp.tables.items() if k == "flows" or k in given}
    run = dataclasses.replace(inp, tables=tables, results={}, notes=[])
    res = ANALYSES["connectivity"].runner()(run, SilentReporter())
    assert set(res.tables) == CONNECTIVITY_TABLES
    for name, df in res.tables.items():
        conform(_attributes(df), SCHEMAS[name], strict=True)  # every column declared, every value fits its type
    reach = res.tables["connectivity"]["reach_pairs_share"]
    assert reach.notna().any() == ("travel_times" in given)


def test_overview_and_connectivity_tables_have_their_declared_types(tmp_path):
    """Without travel times the reach columns are all empty: still REAL, TEXT and BOOLEAN."""
    from connectivity_study import add_connectivity_tables

    from small_study import make_small_study

    root = make_small_study(tmp_path / "study", rasters=False).parent
    add_connectivity_tables(root, travel=False)
    res = run_study(root, out=tmp_path / "out", only=["overview", "connectivity"], report=False)
    checked = _check_types(tmp_path / "out", {k: v for k, v in res.tables.items() if k != "connectivity_links"})
    assert set(checked) == {"overview", "connectivity", "connectivity_nodes"}
    con = sqlite3.connect(tmp_path / "out" / "results.gpkg")
    try:
        kind = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall())
        geom = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
        cols = {r[1]: r[2] for r in con.execute('PRAGMA table_info("connectivity_links")')}
    finally:
        con.close()
    assert kind["connectivity_links"] == "features" and cols.pop(geom["connectivity_links"]) == "LINESTRING"
    cols.pop("fid")
    conform(_attributes(res.tables["connectivity_links"]), SCHEMAS["connectivity_links"], strict=True)
    for col, sql in cols.items():
        want = SQL_TYPES[SCHEMAS["connectivity_links"][col].dtype][0]
        assert sql == want, f"connectivity_links.{col} stored as {sql}, declared {want}"


@pytest.mark.parametrize("changed", [False, True], ids=["unchanged-land-cover", "built-up-growth+unknown-code"])
def test_landuse_tables_have_their_declared_types(small_study, tmp_path, changed):
    """Unchanged land cover (built_rate empty or 0, every gain 0), and 2020 with new built-up cells and a
    code the class table lacks (a transition without a class name): REAL, INTEGER and TEXT as declared."""
    if changed:
        import rasterio

        path = small_study / "rasters" / "lc_2020.tif"
        with rasterio.open(path) as src:
            lc, profile = src.read(1), src.profile
        lc[2:4, 3:9] = 13
        lc[8, 12] = 99
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(lc, 1)
    res = run_study(small_study, out=tmp_path / "out", only=["landuse"], report=False)
    assert set(_check_types(tmp_path / "out", res.tables)) == {"landuse_transitions", "landuse_change"}
    names = res.tables["landuse_transitions"]["class_name_to"]
    assert names.isna().any() == changed
    assert (res.tables["landuse_change"]["built_gain_km2"] > 0).any() == changed


ECOLOGY_LAYERS = ("roads", "railways", "red_lines", "sources", "reserves")
ECOLOGY_TABLES = {"ecology_sources", "ecology_corridors", "ecology_nodes", "ecology_network"}


@pytest.fixture(scope="module")
def ecology_inputs(tmp_path_factory):
    """The three-block ecology study with every layer, read once."""
    from ecology_study import make_ecology_study

    from ecozone.run import read_inputs
    from ecozone.study import load_study

    study = make_ecology_study(tmp_path_factory.mktemp("ecology-schema") / "study", given=ECOLOGY_LAYERS)
    return read_inputs(load_study(study))


@pytest.mark.parametrize("given", [(), *[(x,) for x in ECOLOGY_LAYERS], ECOLOGY_LAYERS],
                         ids=lambda g: "+".join(g) or "no-layers")
def test_ecology_tables_conform_with_each_layer(ecology_inputs, given):
    import dataclasses

    from ecozone.progress import SilentReporter

    inp = dataclasses.replace(ecology_inputs, layers={k: v for k, v in ecology_inputs.layers.items() if k in given},
                              results={}, notes=[])
    res = ANALYSES["ecology"].runner()(inp, SilentReporter())
    assert set(res.tables) == ECOLOGY_TABLES
    for name, df in res.tables.items():
        conform(_attributes(df), SCHEMAS[name], strict=True)  # every column declared, every value fits its type
    origins = set(res.tables["ecology_sources"]["origin"])
    assert ("sources" in origins) == ("sources" in given) and ("reserves" in origins) == ("reserves" in given)
    assert res.tables["ecology_sources"]["redline_share"].notna().any() == ("red_lines" in given)
    res.cleanup()


@pytest.mark.parametrize("given", [(), ECOLOGY_LAYERS], ids=["no-layers", "every-layer"])
def test_ecology_tables_have_their_declared_types(tmp_path, given):
    from ecology_study import make_ecology_study

    study = make_ecology_study(tmp_path / "study", given=given)
    res = run_study(study, out=tmp_path / "out", only=["ecology"], report=False)
    spatial = {"ecology_corridors", "ecology_nodes"}
    assert set(_check_types(tmp_path / "out", {k: v for k, v in res.tables.items() if k not in spatial})) == {
        "ecology_sources", "ecology_network"}
    types = _feature_types(tmp_path / "out" / "results.gpkg")
    assert spatial <= set(types)
    for name in spatial:
        for col, sql in types[name].items():
            want = SQL_TYPES[SCHEMAS[name][col].dtype][0]
            assert sql == want, f"{name}.{col} stored as {sql}, declared {SCHEMAS[name][col].dtype} ({want})"


# ---------------------------------------------------------------- the real-data case

MID28 = ["武汉", "黄石", "鄂州", "黄冈", "孝感", "咸宁", "襄阳", "宜昌", "荆州", "荆门", "长沙", "株洲", "湘潭", "岳阳",
         "益阳", "常德", "衡阳", "娄底", "南昌", "九江", "景德镇", "鹰潭", "新余", "宜春", "萍乡", "上饶", "抚州", "吉安"]


def test_real_cnemc_city_air_is_stored_as_numbers(tmp_path):
    """28 cities' daily air of 2016 at city level, no water table: r_air, concentration … are REAL."""
    src = SHARED / "realdata" / "air" / "mid28_2016_daily.csv"
    if not src.exists():
        pytest.skip(f"real CNEMC air data not here ({src}); it lives in the project's shared folder")
    from ecozone.demo.boundaries import read_counties

    cols = ["city", "date", "AQI", "AQI_range", "level", "PM2.5", "PM10", "SO2", "CO", "NO2", "O3", "rank"]
    d = pd.read_csv(src, header=None, names=cols, encoding="utf-8")
    counties = read_counties()
    counties = counties[counties["province_name"].str[:2].isin(["湖北", "湖南", "江西"])].copy()
    short = counties["city_name"].str.replace(r"(市|地区|土家族苗族自治州)$", "", regex=True)
    city_of = dict(zip(short, counties["city_id"], strict=False))
    assert set(MID28) <= set(city_of), sorted(set(MID28) - set(city_of))
    d["unit_id"] = d["city"].map(city_of)
    daily = d.melt(id_vars=["unit_id", "date"], value_vars=["PM2.5", "PM10", "SO2", "CO", "NO2", "O3"],
                   var_name="pollutant", value_name="value")
    root = tmp_path / "study"
    root.mkdir()
    counties[["unit_id", "name", "city_id", "city_name", "geometry"]].to_file(root / "units.gpkg", driver="GPKG")
    daily.to_csv(root / "air_daily.csv", index=False)
    (root / "ecozone.toml").write_text(
        '[study]\nname = "CNEMC 2016, 28 cities"\nyears = [2016]\n\n'
        '[units]\npath = "units.gpkg"\nname = "name"\nlevels = { county = "unit_id", city = "city_id" }\n'
        'level_names = { city = "city_name" }\n\n[tables]\nair_daily = "air_daily.csv"\n',
        encoding="utf-8",
    )
    res = run_study(root, out=tmp_path / "out", report=False)
    types = _gpkg_types(tmp_path / "out" / "results.gpkg")
    for table, col in (("capacity_pollutants", "concentration"), ("capacity_pollutants", "r"),
                       ("capacity_pollutants", "coverage"), ("capacity", "r_air")):
        assert types[table][col] == "REAL", f"{table}.{col} stored as {types[table][col]}"
    _check_types(tmp_path / "out", res.tables)
    cap = res.tables["capacity"]
    cities = cap[(cap["level"] == "city") & cap["r_air"].notna()]
    assert len(cities) == 28
    # Wuhan 2016: PM2.5 annual mean of the real daily values over the GB 3095-2012 grade II limit 35 µg/m³
    wuhan = city_of["武汉"]
    pm = d.loc[d["city"] == "武汉", "PM2.5"].mean()
    pol = res.tables["capacity_pollutants"]
    got = pol[(pol["unit_id"] == wuhan) & (pol["pollutant"] == "PM2.5") & (pol["level"] == "city")]
    assert got["concentration"].iloc[0] == pytest.approx(pm, rel=1e-9)
    assert got["r"].iloc[0] == pytest.approx(pm / 35 - 1, rel=1e-9)
