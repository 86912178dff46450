"""The command line end to end on the small study, and the bad-input suite.

Every bad-input case runs ``ecozone run`` on a study whose previous outputs
exist, breaks one input, and asserts the message (file, row/key/pixel, fix),
a non-zero exit code, no traceback, and that the previous outputs are
byte-for-byte intact.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import rasterio
from typer.testing import CliRunner

from ecozone.cli import app

from small_study import _write_raster

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def ran_template(tmp_path_factory, small_study_template) -> Path:
    """The small study with the outputs of a successful capacity run."""
    root = tmp_path_factory.mktemp("ran") / "study"
    shutil.copytree(small_study_template, root)
    res = invoke("run", root, "--only", "capacity")
    assert res.exit_code == 0, res.output
    return root


@pytest.fixture
def ran(tmp_path, ran_template) -> Path:
    dst = tmp_path / "study"
    shutil.copytree(ran_template, dst)
    return dst


def test_run_capacity_end_to_end(ran):
    out = ran / "out"
    names = {p.name for p in out.iterdir()}
    assert {"results.gpkg", "results.xlsx", "manifest.json"} <= names
    import json

    m = json.loads((out / "manifest.json").read_text())
    assert m["analyses"] == ["capacity"]
    assert "units.gpkg" in m["inputs"] and "air.csv" in m["inputs"]
    assert m["parameters"]["capacity"]["air"]["grade"] == "II"
    import pyogrio

    layers = {name for name, _ in pyogrio.list_layers(out / "results.gpkg")}
    assert {"units", "capacity", "capacity_shares", "about"} <= layers
    cap = pyogrio.read_dataframe(out / "results.gpkg", layer="capacity")
    assert set(cap["level"]) == {"county", "city", "agglomeration"}


def test_validate_and_init(tmp_path, small_study):
    res = invoke("validate", small_study)
    assert res.exit_code == 0 and "inputs are valid" in res.output
    res = invoke("init", tmp_path / "new")
    assert res.exit_code == 0 and (tmp_path / "new/ecozone.toml").exists()
    res = invoke("init", tmp_path / "new")
    assert res.exit_code == 1 and "exists already" in res.output
    res = invoke("validate", tmp_path / "new")
    assert res.exit_code == 1 and "units file not found" in res.output and "Traceback" not in res.output


def test_validate_says_what_each_analysis_lacks(small_study):
    toml = (small_study / "ecozone.toml").read_text().replace('emissions = "emissions.csv"\n', "")
    (small_study / "ecozone.toml").write_text(toml)
    res = invoke("validate", small_study)
    assert res.exit_code == 0
    assert "table 'emissions'" in res.output


def test_real_process_exit_code_and_no_traceback(tmp_path):
    (tmp_path / "ecozone.toml").write_text('[study]\nyears = [2020]\n[units]\npath = "u.gpkg"\nlevels = { county = "id" }\nfoo = 1\n')
    p = subprocess.run(
        [sys.executable, "-m", "ecozone.cli", "validate", str(tmp_path)], capture_output=True, text=True
    )
    assert p.returncode == 1
    assert "unknown key 'units.foo'" in p.stderr
    assert "Traceback" not in p.stderr + p.stdout


# ---------------------------------------------------------------- bad inputs


def edit_toml(root: Path, old: str, new: str) -> None:
    t = (root / "ecozone.toml").read_text()
    assert old in t, old
    (root / "ecozone.toml").write_text(t.replace(old, new))


def edit_csv(root: Path, name: str, fn) -> None:
    df = pd.read_csv(root / name, dtype=str)
    fn(df)
    df.to_csv(root / name, index=False)


def edit_units(root: Path, fn) -> None:
    g = gpd.read_file(root / "units.gpkg")
    g = fn(g)
    (root / "units.gpkg").unlink()
    g.to_file(root / "units.gpkg", driver="GPKG")


def edit_raster(root: Path, rel: str, fn) -> None:
    with rasterio.open(root / rel) as ds:
        a = ds.read(1)
    _write_raster(root / rel, fn(a))


def set_cell(name, row, col, value):
    def f(df):
        df.loc[row, col] = value

    return lambda root: edit_csv(root, name, f)


CASES = {
    "missing CRS": (
        lambda r: edit_units(r, lambda g: g.set_crs(None, allow_override=True)),
        ["units.gpkg", "no coordinate reference system"],
    ),
    "duplicate ids": (
        lambda r: edit_units(r, lambda g: g.assign(unit_id=["101", "101", "103", "104", "105", "106"])),
        ["units.gpkg", "duplicate id '101'", "Fix:"],
    ),
    "inconsistent hierarchy": (
        lambda r: edit_units(r, lambda g: g.assign(agglo_id=["AG", "XX", "AG", "", "", ""])),
        ["inconsistent hierarchy", "city 'C1'"],
    ),
    "empty geometry": (
        lambda r: edit_units(r, lambda g: g.assign(geometry=[g.geometry[0].buffer(-1)] + list(g.geometry[1:]))),
        ["unit(s) 101 have no geometry"],
    ),
    "unknown pollutant": (set_cell("air.csv", 4, "pollutant", "PM1"), ["air.csv", "row 6", "'PM1'", "PM2.5"]),
    "non-numeric concentration": (set_cell("air.csv", 2, "value", "high"), ["air.csv", "row 4", "high"]),
    "negative concentration": (set_cell("air.csv", 0, "value", "-5"), ["air.csv", "row 2", ">= 0"]),
    "mixed units (CO in ug/m3 labelled mg/m3)": (set_cell("air.csv", 4, "value", "1100"), ["air.csv", "row 6", "1000x"]),
    "unknown emission unit": (set_cell("emissions.csv", 0, "unit", "kg CO2"), ["emissions.csv", "row 2", "kg CO2"]),
    "section without target class": (set_cell("water.csv", 3, "target_class", ""), ["water.csv", "row 5", "target_class", "I-V"]),
    "unknown unit id in a table": (set_cell("economy.csv", 1, "unit_id", "999999"), ["economy.csv", "row 3", "999999"]),
    "empty table": (
        lambda r: (r / "economy.csv").write_text("unit_id,year,gdp,population\n"),
        ["economy.csv", "empty"],
    ),
    "missing column": (
        lambda r: edit_csv(r, "air.csv", lambda df: df.pop("unit")),
        ["air.csv", "missing column", "'unit'"],
    ),
    "NDVI 2.0": (
        lambda r: edit_raster(r, "rasters/ndvi_2020_06.tif", lambda a: (a.__setitem__((3, 5), 2.0), a)[1]),
        ["ndvi_2020_06.tif", "pixel row 3, col 5", "ndvi = 2"],
    ),
    "temperature in Kelvin": (
        lambda r: edit_raster(r, "rasters/tmp_2015_01.tif", lambda a: a + 273.15),
        ["tmp_2015_01.tif", "Kelvin"],
    ),
    "missing month": (
        lambda r: (r / "rasters/sol_2020_09.tif").unlink(),
        ["radiation file(s) missing", "rasters/sol_2020_09.tif"],
    ),
    "unknown key in the study file": (
        lambda r: edit_toml(r, "[carbon]\n", "[carbon]\nlandcover_clases = 1\n"),
        ["ecozone.toml", "unknown key 'carbon.landcover_clases'"],
    ),
    "wrong type in the study file": (
        lambda r: edit_toml(r, "years = [2015, 2020]", 'years = "2015"'),
        ["ecozone.toml", "study.years"],
    ),
    "TOML syntax error": (
        lambda r: edit_toml(r, "[tables]", "[tables"),
        ["ecozone.toml", "not valid TOML"],
    ),
    "units file missing": (
        lambda r: (r / "units.gpkg").unlink(),
        ["units.gpkg", "units file not found"],
    ),
    "level column missing": (
        lambda r: edit_toml(r, 'city = "city_id"', 'city = "prefecture"'),
        ["no column 'prefecture'", "city_id"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_leaves_outputs_intact(ran, case):
    before = digest(ran / "out")
    breaker, expected = CASES[case]
    breaker(ran)
    res = invoke("run", ran, "--only", "capacity")
    text = res.output
    assert res.exit_code == 1, text
    assert "Error:" in text and "Traceback" not in text
    for e in expected:
        assert e in text, f"{e!r} not in {text!r}"
    assert digest(ran / "out") == before
    # no temporary folder left behind
    assert [p.name for p in ran.iterdir() if p.name.startswith(".out")] == []


def test_only_unknown_and_lacking_analysis(ran):
    res = invoke("run", ran, "--only", "nosuch")
    assert res.exit_code == 1 and "unknown analysis nosuch" in res.output
    res = invoke("run", ran, "--only", "parks")
    assert res.exit_code == 1 and "'parks' cannot run: it lacks table 'parks'" in res.output
    edit_toml(ran, 'air = "air.csv"\nwater = "water.csv"\n', "")
    res = invoke("run", ran, "--only", "capacity")
    assert res.exit_code == 1 and "capacity' cannot run" in res.output and "air" in res.output


def test_scheduler_hands_raster_work_to_a_dask_cluster(small_study, tmp_path):
    """`--scheduler` runs the raster work on a real dask.distributed cluster (tcp on loopback)
    and gives the same results as local threads."""
    import pyogrio
    from distributed import LocalCluster

    res = invoke("run", small_study, "--only", "carbon", "--out", tmp_path / "threads")
    assert res.exit_code == 0, res.output
    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        res = invoke("run", small_study, "--only", "carbon", "--out", tmp_path / "cluster", "--scheduler", cluster.scheduler_address)
        assert res.exit_code == 0, res.output
        assert cluster.scheduler.transition_counter > 0  # the cluster did the work
    a = pyogrio.read_dataframe(tmp_path / "threads/results.gpkg", layer="carbon")
    b = pyogrio.read_dataframe(tmp_path / "cluster/results.gpkg", layer="carbon")
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-6)


def test_scheduler_unreachable_is_a_clear_error(small_study):
    res = invoke("run", small_study, "--only", "carbon", "--scheduler", "tcp://127.0.0.1:1")
    assert res.exit_code == 1
    assert "cannot connect to the dask scheduler" in res.output and "Traceback" not in res.output


def test_ecological_function_as_polygon_layer(small_study, tmp_path):
    """A polygon layer of key ecological functional zones: a city more than half inside
    is the fifth coupling type."""
    import pyogrio
    from shapely.geometry import box

    zone = gpd.GeoDataFrame({"zone_type": ["water_conservation"]}, geometry=[box(112.9, 30.09, 113.35, 30.25)], crs=4326)
    zone.to_file(small_study / "eco_zones.gpkg", driver="GPKG")
    edit_toml(small_study, 'emissions = "emissions.csv"\n', 'emissions = "emissions.csv"\necological_function = "eco_zones.gpkg"\n')
    res = invoke("run", small_study, "--only", "capacity")
    assert res.exit_code == 0, res.output
    cap = pyogrio.read_dataframe(small_study / "out/results.gpkg", layer="capacity")
    city = cap[(cap.level == "city")].set_index(["unit_id", "year"])
    assert (city.loc["C1", "zone_share"] > 0.9).all()  # C1 (y 30.1-30.2) lies inside the zone
    assert (city.loc["C2", "zone_share"] < 0.1).all()
    assert set(city.loc["C1", "type"]) == {"key-ecological-zone"}
    assert "key-ecological-zone" not in set(city.loc["C2", "type"])


def test_invalid_geometry_is_repaired_and_reported(ran):
    """A self-intersecting county is repaired; the run says so and records it in the manifest."""
    import json

    from shapely.geometry import Polygon

    bowtie = Polygon([(113.0, 30.1), (113.1, 30.2), (113.1, 30.1), (113.0, 30.2)])
    edit_units(ran, lambda g: g.assign(geometry=[bowtie] + list(g.geometry[1:])))
    res = invoke("run", ran, "--only", "capacity")
    assert res.exit_code == 0, res.output
    m = json.loads((ran / "out/manifest.json").read_text())
    assert any("repaired invalid geometry of unit 101" in n for n in m["notes"])
