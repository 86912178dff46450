"""The catalogue of bad inputs: one case per row of the "Errors" table of README.md.

Every case breaks one input of a copy of the small study (tests/small_study.py)
whose output folder holds the results of one good run, then runs the real
command line (typer's runner on ``ecozone.cli.app``, in-process): exit code 1,
one message naming the file, row or key and saying how to fix it, no
traceback, and the previous output folder byte-identical. Most cases stop
while the inputs are read (``ecozone validate``); some run ``ecozone run``.
Beside them, inputs that are accepted with a note are run.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
from affine import Affine
from typer.testing import CliRunner

from ecozone.cli import app
from ecozone.inputs.tables import MISSING_MARKERS

from small_study import RES, X0, Y0

README = Path(__file__).resolve().parents[1] / "README.md"
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
def good_run(tmp_path_factory, small_study_template) -> tuple[Path, dict[str, str]]:
    """The small study with the outputs of one good capacity run, and their hashes."""
    root = tmp_path_factory.mktemp("good-run") / "study"
    shutil.copytree(small_study_template, root)
    res = invoke("run", root, "--only", "capacity")
    assert res.exit_code == 0, res.output
    return root, digest(root / "out")


@pytest.fixture
def study(tmp_path, good_run) -> Path:
    """A fresh copy of the study with its previous outputs."""
    dst = tmp_path / "study"
    shutil.copytree(good_run[0], dst)
    return dst


# ------------------------------------------------------------------ breaking inputs
# Every breaker removes a file before writing its replacement (never writes through it).


def edit_toml(old: str, new: str) -> Callable[[Path], None]:
    def f(root: Path) -> None:
        t = (root / "ecozone.toml").read_text(encoding="utf-8")
        assert old in t, old
        (root / "ecozone.toml").write_text(t.replace(old, new, 1), encoding="utf-8")

    return f


def write_bytes(rel: str, data: bytes) -> Callable[[Path], None]:
    def f(root: Path) -> None:
        (root / rel).unlink(missing_ok=True)
        (root / rel).write_bytes(data)

    return f


def write_text(rel: str, text: str) -> Callable[[Path], None]:
    return write_bytes(rel, text.encode("utf-8"))


def edit_csv(name: str, fn: Callable[[pd.DataFrame], pd.DataFrame | None]) -> Callable[[Path], None]:
    def f(root: Path) -> None:
        df = pd.read_csv(root / name, dtype=str, keep_default_na=False)
        out = fn(df)
        df = df if out is None else out
        (root / name).unlink()
        df.to_csv(root / name, index=False)

    return f


def set_cell(name: str, row: int, col: str, value: str) -> Callable[[Path], None]:
    """Set a cell; ``row`` counts data rows from 0 (spreadsheet row ``row + 2``)."""

    def fn(df):
        df.loc[row, col] = value

    return edit_csv(name, fn)


def edit_units(fn: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]) -> Callable[[Path], None]:
    def f(root: Path) -> None:
        g = gpd.read_file(root / "units.gpkg")
        g = fn(g)
        (root / "units.gpkg").unlink()
        g.to_file(root / "units.gpkg", layer="counties", driver="GPKG")

    return f


def units_as_table(name: str) -> Callable[[Path], None]:
    """The units written as a table without geometry (lon/lat of the centroids in a CSV)."""

    def f(root: Path) -> None:
        g = gpd.read_file(root / "units.gpkg")
        df = pd.DataFrame(g.drop(columns="geometry"))
        c = g.geometry.representative_point()
        df["lon"], df["lat"] = c.x.round(4), c.y.round(4)
        if name.endswith(".csv"):
            df.to_csv(root / name, index=False)
        else:
            df.to_excel(root / name, index=False)
        edit_toml('path = "units.gpkg"', f'path = "{name}"')(root)

    return f


def units_shapefile_without_prj(root: Path) -> None:
    g = gpd.read_file(root / "units.gpkg")
    g.to_file(root / "units.shp")
    (root / "units.prj").unlink()
    edit_toml('path = "units.gpkg"', 'path = "units.shp"')(root)


def rewrite_raster(rel: str, fn: Callable[[np.ndarray], np.ndarray] = lambda a: a, **profile):
    """Rewrite a raster with new values and/or profile entries (crs, transform, dtype, nodata)."""

    def f(root: Path) -> None:
        p = root / rel
        with rasterio.open(p) as ds:
            a, prof = ds.read(1), ds.profile
        prof.update(profile)
        a = fn(a)
        p.unlink()
        with rasterio.open(p, "w", **prof) as dst:
            dst.write(a.astype(prof["dtype"]), 1)

    return f


def rewrite_rasters(pattern: str, fn=lambda a: a, **profile):
    def f(root: Path) -> None:
        for p in sorted(root.glob(pattern)):
            rewrite_raster(str(p.relative_to(root)), fn, **profile)(root)

    return f


def truncate(rel: str, keep: float = 0.6) -> Callable[[Path], None]:
    def f(root: Path) -> None:
        data = (root / rel).read_bytes()
        write_bytes(rel, data[: int(len(data) * keep)])(root)

    return f


def unlink(rel: str) -> Callable[[Path], None]:
    return lambda root: (root / rel).unlink()


def both(*fns):
    def f(root: Path) -> None:
        for fn in fns:
            fn(root)

    return f


def economy_xlsx(root: Path) -> None:
    pd.read_csv(root / "economy.csv").to_excel(root / "economy.xlsx", index=False)
    edit_toml('economy = "economy.csv"', 'economy = { path = "economy.xlsx", sheet = "2020" }')(root)


SHIFTED = Affine(RES, 0, X0 + 5, 0, -RES, Y0)  # five degrees east: beside the units


@dataclass
class Case:
    """One row of README's Errors table: how to break the study and what the message says."""

    breaker: Callable[[Path], None]
    expect: tuple[str, ...]
    command: str = "validate"


CASES: dict[str, Case] = {
    # ---------------------------------------------------------------- units
    "units file is a CSV table": Case(
        units_as_table("units.csv"),
        ("units.csv", "has no geometry", "lon, lat look like point coordinates", "polygon layer",
         "lon/lat points are not units"),
    ),
    "units file is an Excel sheet": Case(units_as_table("units.xlsx"), ("units.xlsx", "has no geometry", "polygon layer")),
    "units are points": Case(
        edit_units(lambda g: g.set_geometry(g.geometry.representative_point())),
        ("units.gpkg", "6 of 6 unit(s) are Point geometries, not polygons", "polygon layer"),
        "run",
    ),
    "units are lines": Case(
        edit_units(lambda g: g.set_geometry(g.geometry.boundary)),
        ("units.gpkg", "LineString geometries, not polygons", "polygon layer"),
    ),
    "units without CRS": Case(
        units_shapefile_without_prj, ("units.shp", "no coordinate reference system", "-a_srs EPSG:4326")
    ),
    "units with a wrong CRS": Case(
        edit_units(lambda g: g.set_crs(3857, allow_override=True)),
        ("units.gpkg", "look like longitudes and latitudes", "assign EPSG:4326"),
    ),
    "units with repeated ids": Case(
        edit_units(lambda g: g.assign(unit_id=["101", "101", "103", "104", "105", "106"])),
        ("units.gpkg", "duplicate id '101'", "features 1, 2", "make the finest ids unique"),
        "run",
    ),
    "units layer empty": Case(edit_units(lambda g: g.iloc[:0]), ("units.gpkg", "empty (no features)", "one row per finest unit")),
    "unit without id": Case(
        edit_units(lambda g: g.assign(unit_id=["101", "102", None, "104", "105", "106"])),
        ("units.gpkg", "column 'unit_id' is empty in feature(s) 3", "give every finest unit an id"),
    ),
    "unit without geometry": Case(
        edit_units(lambda g: g.assign(geometry=[g.geometry[0].buffer(-1), *g.geometry[1:]])),
        ("units.gpkg", "unit(s) 101 have no geometry", "give them their boundary"),
    ),
    "city in two agglomerations": Case(
        edit_units(lambda g: g.assign(agglo_id=["AG", "XX", "AG", "", "", ""])),
        ("units.gpkg", "inconsistent hierarchy", "city 'C1'", "give every unit of city 'C1' the same agglomeration id"),
    ),
    "level column not in the layer": Case(
        edit_toml('city = "city_id"', 'city = "prefecture"'),
        ("units.gpkg", "no column 'prefecture'", "city_id", "[units] levels.city"),
    ),
    "units file not found": Case(unlink("units.gpkg"), ("units.gpkg", "units file not found", "[units] path")),
    "units file not a vector file": Case(
        edit_toml('path = "units.gpkg"', 'path = "rasters/lc_2015.tif"'),
        ("lc_2015.tif", "cannot be read as a vector layer", "GeoPackage, Shapefile, GeoJSON"),
    ),
    "units layer not in the file": Case(
        edit_toml('path = "units.gpkg"', 'path = "units.gpkg"\nlayer = "provinces"'),
        ("units.gpkg", "has no layer 'provinces' (layers: counties)", "[units] layer"),
    ),
    # ---------------------------------------------------------------- tables
    "table with Chinese headers": Case(
        edit_csv("air.csv", lambda df: df.rename(columns={"unit_id": "行政区划代码", "year": "年份", "pollutant": "污染物",
                                                          "value": "浓度", "unit": "单位"})),
        ("air.csv", "missing column(s) 'unit_id'", "年份", "rename the header(s)", "年份 → year", "浓度 → value"),
        "run",
    ),
    "unknown concentration unit": Case(set_cell("air.csv", 3, "unit", "ppm"), ("air.csv", "row 5", "'ppm'", "ug/m3")),
    "unknown declared unit": Case(
        edit_toml('economy = "economy.csv"', 'economy = { path = "economy.csv", units = { gdp = "USD" } }'),
        ("economy.csv", "unknown unit 'USD' declared for column 'gdp'", "1e4 cny"),
    ),
    "CO in µg/m³ labelled mg/m³": Case(set_cell("air.csv", 4, "value", "1100"), ("air.csv", "row 6", "1000x", "ug/m3")),
    "unknown emission unit": Case(set_cell("emissions.csv", 0, "unit", "kg CO2"), ("emissions.csv", "row 2", "'kg CO2'", "t CO2")),
    "repeated key": Case(
        set_cell("economy.csv", 1, "unit_id", "101"),
        ("economy.csv", "rows 2, 3 repeat the same key (unit_id=101, year=2015)", "keep one row per unit_id, year"),
    ),
    "id of no unit": Case(
        set_cell("water.csv", 7, "unit_id", "420999"),
        ("water.csv", "row 9", "'420999' is not a unit of the study", "correct the id"),
    ),
    "negative concentration": Case(
        set_cell("air.csv", 0, "value", "-5"), ("air.csv", "row 2, column 'value'", "must be >= 0", "cannot be negative"), "run"
    ),
    "negative GDP": Case(set_cell("economy.csv", 2, "gdp", "-1"), ("economy.csv", "row 4, column 'gdp'", "must be > 0", "must be positive")),
    "text in a number column": Case(
        set_cell("air.csv", 2, "value", "35 ug"), ("air.csv", "row 4, column 'value'", "'35 ug' is not a number", "write the number only")
    ),
    "thousands separators": Case(
        set_cell("economy.csv", 2, "population", "1,234,567"),
        ("economy.csv", "row 4, column 'population'", "'1,234,567'", "remove the thousands separators"),
    ),
    "value below a detection limit": Case(
        set_cell("water.csv", 2, "value", "<0.01"), ("water.csv", "row 4", "'<0.01'", "below a detection limit", "half the limit")
    ),
    "year with text": Case(
        set_cell("economy.csv", 2, "year", "2015年"), ("economy.csv", "row 4, column 'year'", "'2015年'", "write years as numbers")
    ),
    "year out of range": Case(set_cell("economy.csv", 2, "year", "1800"), ("economy.csv", "row 4", "1800", "between 1900 and 2100")),
    "year marked missing": Case(
        set_cell("economy.csv", 2, "year", "—"), ("economy.csv", "row 4, column 'year' is empty", "'—'", "fill column 'year'")
    ),
    "table with a header only": Case(
        write_text("economy.csv", "unit_id,year,gdp,population\n"), ("economy.csv", "empty (no data rows)", "remove 'economy' from [tables]")
    ),
    "every value missing": Case(
        edit_csv("air.csv", lambda df: df.assign(value="—")),
        ("air.csv", "every row of the air table is missing its value", "fill in the values"),
    ),
    "required column missing": Case(
        edit_csv("air.csv", lambda df: df.drop(columns="unit")), ("air.csv", "missing column(s) 'unit'", "unit_id, year, pollutant, value, unit")
    ),
    "unknown pollutant": Case(set_cell("air.csv", 4, "pollutant", "PM1"), ("air.csv", "row 6", "'PM1'", "PM2.5, PM10")),
    "section without target class": Case(
        set_cell("water.csv", 3, "target_class", ""), ("water.csv", "row 5, column 'target_class' is empty", "I-V")
    ),
    "target class VI": Case(set_cell("water.csv", 2, "target_class", "VI"), ("water.csv", "row 4", "'VI'", "I, II, III, IV, V")),
    "table file not found": Case(
        edit_toml('economy = "economy.csv"', 'economy = "econ.csv"'), ("econ.csv", "table file not found", "[tables]")
    ),
    "unsupported table format": Case(
        both(write_text("economy.json", "{}"), edit_toml('economy = "economy.csv"', 'economy = "economy.json"')),
        ("economy.json", "unsupported table format '.json'", ".csv, .xlsx or .parquet"),
    ),
    "empty table file": Case(write_bytes("economy.csv", b""), ("economy.csv", "the file is empty (0 bytes)", "header row")),
    "row with extra cells": Case(
        lambda r: (r / "economy.csv").write_text((r / "economy.csv").read_text() + "101,2016,1,2,3,4\n"),
        ("economy.csv", "row 14 has 6 cells where the header has 4", "quote cells that contain commas"),
    ),
    "repeated column": Case(
        write_text("economy.csv", "unit_id,year,gdp,gdp,population\n101,2015,1,1,1\n"),
        ("economy.csv", "column 'gdp' appears more than once", "keep one column of each name"),
    ),
    "semicolon-separated CSV": Case(
        lambda r: write_text("economy.csv", pd.read_csv(r / "economy.csv").to_csv(index=False, sep=";"))(r),
        ("economy.csv", "missing column(s)", "separated by semicolons", "comma-separated"),
    ),
    "sheet not in the workbook": Case(economy_xlsx, ("economy.xlsx", "has no sheet '2020' (sheets: Sheet1)", "[tables]")),
    "CSV named .xlsx": Case(
        both(lambda r: shutil.copy(r / "economy.csv", r / "economy.xlsx"), edit_toml('economy = "economy.csv"', 'economy = "economy.xlsx"')),
        ("economy.xlsx", "is not an Excel workbook", "a CSV must end in .csv"),
    ),
    "table neither UTF-8 nor GBK": Case(
        write_bytes("economy.csv", b"unit_id,year,gdp,population\n101,2015,\x80\xff,1\n"),
        ("economy.csv", "neither UTF-8 nor GBK/GB18030", "CSV UTF-8"),
    ),
    # ---------------------------------------------------------------- rasters
    "raster month missing": Case(
        unlink("rasters/sol_2020_09.tif"),
        ("ecozone.toml, key 'rasters.radiation'", "1 radiation file(s) missing: rasters/sol_2020_09.tif", "add the files"),
        "run",
    ),
    "raster without CRS": Case(
        rewrite_raster("rasters/tmp_2015_03.tif", crs=None), ("tmp_2015_03.tif", "no coordinate reference system", "gdal_edit.py -a_srs")
    ),
    "rasters not covering the units": Case(
        rewrite_rasters("rasters/*.tif", transform=SHIFTED),
        ("lc_2015.tif", "the rasters do not cover the units", "covers 0% of the units' extent", "check their georeferencing"),
    ),
    "raster all nodata": Case(
        rewrite_raster("rasters/pre_2020_05.tif", lambda a: np.full_like(a, -9999)),
        ("pre_2020_05.tif", "no valid pixel (all nodata)", "check the nodata value"),
    ),
    "land cover all nodata": Case(
        rewrite_raster("rasters/lc_2020.tif", np.zeros_like), ("lc_2020.tif", "no valid pixel (all nodata)", "check the nodata value")
    ),
    "NDVI scaled without scale factor": Case(
        rewrite_rasters("rasters/ndvi_*.tif", lambda a: np.round(a * 10000), dtype="int16", nodata=-32768),
        ("ndvi_2015_01.tif", "outside -1...1", "scale_factor = 0.0001"),
    ),
    "raster truncated": Case(
        truncate("rasters/pre_2015_04.tif"), ("pre_2015_04.tif", "damaged or incomplete", "copy or download the file again"), "run"
    ),
    "land cover truncated": Case(
        truncate("rasters/lc_2020.tif", 0.9), ("lc_2020.tif", "damaged or incomplete", "copy or download the file again")
    ),
    "raster file empty": Case(write_bytes("rasters/sol_2015_04.tif", b""), ("sol_2015_04.tif", "the file is empty (0 bytes)", "GeoTIFF")),
    "raster not a raster": Case(
        write_text("rasters/sol_2015_04.tif", "not a raster"), ("sol_2015_04.tif", "cannot be read as a raster", "GeoTIFF")
    ),
    "temperature in Kelvin": Case(
        rewrite_raster("rasters/tmp_2015_01.tif", lambda a: a + 273.15), ("tmp_2015_01.tif", "looks like Kelvin", 'unit = "K"')
    ),
    "radiation in W m-2": Case(
        rewrite_rasters("rasters/sol_2020_*.tif", lambda a: a / 2.6),
        ("key 'rasters.radiation'", "radiation of 2020 averages", 'unit = "W m-2"'),
    ),
    "raster on another grid": Case(
        rewrite_raster("rasters/pre_2015_05.tif", transform=SHIFTED), ("pre_2015_05.tif", "grid mismatch", "covers only 0%")
    ),
    "unknown field in a pattern": Case(
        edit_toml("ndvi_{year}_{month:02d}", "ndvi_{yr}_{month:02d}"),
        ("ecozone.toml, key 'rasters.ndvi'", "unknown field {yr}", "{year} and {month:02d}"),
    ),
    "monthly pattern without month": Case(
        edit_toml("ndvi_{year}_{month:02d}", "ndvi_{year}"), ("key 'rasters.ndvi'", "has no {month} field", "add {month:02d}")
    ),
    "reference raster not found": Case(
        edit_toml("[rasters]\n", '[rasters]\nreference = "rasters/ref.tif"\n'), ("ref.tif", "reference raster not found", "[rasters] reference")
    ),
    "unknown raster unit": Case(
        edit_toml('temperature = "rasters/tmp_{year}_{month:02d}.tif"',
                  'temperature = { pattern = "rasters/tmp_{year}_{month:02d}.tif", unit = "F" }'),
        ("key 'rasters.temperature.unit'", "unknown unit 'F'", "use 'C' or 'K'"),
    ),
    # ---------------------------------------------------------------- the study file
    "unknown key": Case(edit_toml('path = "units.gpkg"', 'pth = "units.gpkg"'), ("ecozone.toml", "unknown key 'units.pth'", "did you mean 'path'")),
    "unknown section": Case(edit_toml("[tables]", "[tabels]"), ("ecozone.toml", "unknown key 'tabels'", "did you mean 'tables'")),
    "unknown key in an inline table": Case(
        edit_toml('economy = "economy.csv"', 'economy = { pat = "economy.csv" }'),
        ("ecozone.toml", "unknown key 'tables.economy.pat'", "did you mean 'path'", "path, sheet, units"),
    ),
    "wrong type": Case(
        edit_toml("years = [2015, 2020]", 'years = "2015, 2020"'), ("ecozone.toml, key 'study.years'", "valid list", "years = [2015, 2020]")
    ),
    "year list of strings": Case(
        edit_toml("years = [2015, 2020]", 'years = ["2015", "2020"]'),
        ("ecozone.toml, key 'study.years'", "'2015' is not", "without quotes, each once"),
        "run",
    ),
    "years repeat": Case(edit_toml("years = [2015, 2020]", "years = [2015, 2015]"), ("key 'study.years'", "years repeat", "each once")),
    "value out of range": Case(
        edit_toml("[carbon]\n", "[compute]\nchunk_size = 10\n\n[carbon]\n"),
        ("key 'compute.chunk_size'", "greater than or equal to 64", "give a larger value"),
    ),
    "value not among the choices": Case(
        edit_toml("[carbon]\n", '[capacity.air]\ngrade = "III"\n\n[carbon]\n'),
        ("key 'capacity.air.grade'", "'III'", "use one of the values listed"),
    ),
    "TOML syntax error": Case(edit_toml("[tables]", "[tables"), ("ecozone.toml", "not valid TOML", "correct the TOML syntax")),
    "study file not UTF-8": Case(
        lambda r: write_bytes("ecozone.toml", (r / "ecozone.toml").read_text().replace("Small test study", "小研究").encode("gbk"))(r),
        ("ecozone.toml", "not UTF-8 text", "save it with the encoding UTF-8"),
    ),
    "area CRS unknown": Case(
        edit_toml("years = [2015, 2020]", 'years = [2015, 2020]\narea_crs = "EPSG:99999"'),
        ("key 'study.area_crs'", "not a CRS that PROJ knows", "projected equal-area CRS"),
    ),
    "area CRS in degrees": Case(
        edit_toml("years = [2015, 2020]", 'years = [2015, 2020]\narea_crs = "EPSG:4326"'),
        ("key 'study.area_crs'", "not longitudes and latitudes", "projected equal-area CRS"),
    ),
    "study file not found": Case(unlink("ecozone.toml"), ("ecozone.toml", "study file not found", "ecozone init DIR")),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(study, good_run, name):
    case = CASES[name]
    case.breaker(study)
    args = ["run", study, "--only", "capacity"] if case.command == "run" else ["validate", study]
    res = invoke(*args)
    text = res.output
    assert res.exit_code == 1, text
    assert len(re.findall(r"^Error: ", text, flags=re.M)) == 1 and len(re.findall(r"^Fix: ", text, flags=re.M)) == 1, text
    assert "Traceback" not in text and "bug in ecozone" not in text
    flat = " ".join(text.split())  # the message is printed unwrapped; this only guards against a stray line break
    for e in case.expect:
        assert " ".join(e.split()) in flat, f"{e!r} not in {text!r}"
    assert digest(study / "out") == good_run[1]
    assert [p.name for p in study.iterdir() if p.name.startswith(".out")] == []


def test_real_process_prints_one_message_and_exits_1(study, good_run):
    """The installed entry point, not only the in-process runner: exit code 1, message on stderr."""
    import subprocess
    import sys

    units_as_table("units.csv")(study)
    p = subprocess.run([sys.executable, "-m", "ecozone", "validate", str(study)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 1
    assert "units.csv" in p.stderr and "has no geometry" in p.stderr and "Fix:" in p.stderr
    assert "Traceback" not in p.stderr + p.stdout
    assert digest(study / "out") == good_run[1]


def _readme_errors_rows() -> list[str]:
    text = README.read_text(encoding="utf-8")
    m = re.search(r"^## Errors\n(.*?)(?=^## )", text, flags=re.S | re.M)
    assert m, "README.md has no '## Errors' section"
    rows = [ln for ln in m.group(1).splitlines() if ln.startswith("| ") and not ln.startswith("| case")]
    return [ln.split("|")[1].strip() for ln in rows]


def test_readme_errors_table_is_the_catalogue():
    """Every case has its README row (case, what you see, fix) and every row its case."""
    if not README.exists():
        pytest.skip("README.md is not beside the tests")
    assert _readme_errors_rows() == list(CASES)


def test_readme_lists_the_missing_value_markers():
    if not README.exists():
        pytest.skip("README.md is not beside the tests")
    text = README.read_text(encoding="utf-8")
    for m in MISSING_MARKERS:
        if m:
            assert f"`{m}`" in text, m


# ------------------------------------------------------------------ accepted, with a note


def _capacity(root: Path) -> pd.DataFrame:
    return pyogrio.read_dataframe(root / "out" / "results.gpkg", layer="capacity")


def test_bom_in_study_file_and_tables_runs_like_without(study):
    """A UTF-8 byte-order mark (Notepad, Excel 'CSV UTF-8') changes nothing."""
    before = _capacity(study)
    for name in ("ecozone.toml", "air.csv", "water.csv", "economy.csv"):
        data = (study / name).read_bytes()
        write_bytes(name, b"\xef\xbb\xbf" + data)(study)
    res = invoke("run", study, "--only", "capacity")
    assert res.exit_code == 0, res.output
    pd.testing.assert_frame_equal(_capacity(study), before)


def test_rasters_in_another_crs_run_with_a_note(study):
    """Temperature rasters in Web Mercator are resampled on the fly to the reference grid, and the run says so."""
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    for p in sorted(study.glob("rasters/tmp_*.tif")):
        with rasterio.open(p) as src:
            a, prof = src.read(1), src.profile
            tr, w, h = calculate_default_transform(src.crs, "EPSG:3857", src.width, src.height, *src.bounds)
            out = np.full((h, w), -9999, "float32")
            reproject(a, out, src_transform=src.transform, src_crs=src.crs, dst_transform=tr, dst_crs="EPSG:3857",
                      resampling=Resampling.bilinear, src_nodata=-9999, dst_nodata=-9999)
        prof.update(crs="EPSG:3857", transform=tr, width=w, height=h)
        p.unlink()
        with rasterio.open(p, "w", **prof) as dst:
            dst.write(out, 1)
    res = invoke("validate", study)
    assert res.exit_code == 0, res.output
    assert "temperature: resampled on the fly to the reference grid of lc_2015.tif" in " ".join(res.output.split())


def test_table_years_outside_the_study_run(study):
    """Air rows of 2010 (not a study year) and emissions back to 2005 are read; the run succeeds."""
    air = pd.read_csv(study / "air.csv", dtype=str)
    extra = air[air["year"] == "2015"].assign(year="2010")
    pd.concat([air, extra]).to_csv(study / "air.csv", index=False)
    res = invoke("run", study, "--only", "capacity")
    assert res.exit_code == 0, res.output
    cap = _capacity(study)
    assert {2015, 2020} <= set(cap["year"])


def _with_markers(root: Path) -> None:
    """PM2.5 of county 101 in 2015 '—', its NO2 'ＮＡ' (full width); a water value '/'; the GDP of 102 in 2020 '无'."""

    def air(df):
        df.loc[(df.unit_id == "101") & (df.year == "2015") & (df.pollutant == "PM2.5"), "value"] = "—"
        df.loc[(df.unit_id == "101") & (df.year == "2015") & (df.pollutant == "NO2"), "value"] = "ＮＡ"

    edit_csv("air.csv", air)(root)
    set_cell("water.csv", 0, "value", "/")(root)
    edit_csv("economy.csv", lambda df: df.assign(gdp=df.gdp.where(~((df.unit_id == "102") & (df.year == "2020")), "无")))(root)


def test_missing_value_markers_run(study):
    """Cells marked missing are read as missing: the run succeeds; county 101 in 2015 is rated on four
    pollutants, county 102 in 2020 has no GDP (and so no per-capita GDP), the others are unchanged."""
    before = _capacity(study).set_index(["level", "unit_id", "year"])
    _with_markers(study)
    res = invoke("run", study, "--only", "capacity")
    assert res.exit_code == 0, res.output
    after = _capacity(study).set_index(["level", "unit_id", "year"])
    assert after.loc[("county", "101", 2015), "n_pollutants"] == before.loc[("county", "101", 2015), "n_pollutants"] - 2
    assert np.isnan(after.loc[("county", "102", 2020), "gdp"])
    assert not np.isnan(before.loc[("county", "102", 2020), "gdp"])
    assert after.loc[("county", "104", 2020), "r_air"] == pytest.approx(before.loc[("county", "104", 2020), "r_air"])


def test_missing_value_markers_are_noted(study):
    """The run says, per file and column, how many cells it read as missing."""
    _with_markers(study)
    res = invoke("validate", study)
    assert res.exit_code == 0, res.output
    # the console wraps long paths anywhere (also before a comma): compare without whitespace
    flat = "".join(res.output.split())

    def squash(t: str) -> str:
        return "".join(t.split())

    assert squash("air.csv, column 'value': 2 cell(s) read as missing ('—' ×1, 'ＮＡ' ×1)") in flat
    assert squash("economy.csv, column 'gdp': 1 cell(s) read as missing ('无' ×1)") in flat
