"""The drivers analysis end to end: ``ecozone run STUDY --only drivers``, a factors-only study, bad inputs.

The small study's DEM rises 30 m per column eastwards, so the counties'
mean elevations are 100 + 30 × (3, 8, 13) = 190, 340, 490 m (one value per
column of counties) and their slopes arctan(30 m / cell width); the q of
elevation is then the q of the three columns of counties, computed here by
hand from carbon's table.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

from ecozone.drivers.factors import terrain_factors
from ecozone.drivers.run import run as run_drivers
from ecozone.drivers.spec import SPEC
from ecozone.errors import InputError, ParameterError
from ecozone.inputs import rasters as rinputs
from ecozone.progress import SilentReporter
from ecozone.run import read_inputs, run_study
from ecozone.schema import SQL_TYPES
from ecozone.study import load_study

from small_study import DEM_BASE, DEM_STEP, RES, Y0, counties

A, F = 6378137.0, 1 / 298.257223563
E2 = F * (2 - F)
TABLES = ("drivers", "drivers_interaction", "drivers_risk", "drivers_ecological")


def _q(y: np.ndarray, groups: np.ndarray) -> float:
    """q = 1 − Σ N_h σ_h² / (N σ²) (population variances), by hand."""
    ssw = sum(((y[groups == g] - y[groups == g].mean()) ** 2).sum() for g in np.unique(groups))
    return 1.0 - ssw / ((y - y.mean()) ** 2).sum()


@pytest.fixture(scope="module")
def ran(tmp_path_factory, small_study_template) -> tuple[Path, str]:
    """``ecozone run STUDY --only drivers`` on the small study (with its DEM), once (the CLI's API call,
    without the report: the report section is tested on its own below)."""
    root = tmp_path_factory.mktemp("drivers") / "study"
    shutil.copytree(small_study_template, root)
    rep = SilentReporter()
    run_study(root, only=["drivers"], reporter=rep, report=False)
    return root, "\n".join(rep.messages)


def test_only_drivers_runs_carbon_first_and_writes_the_four_tables(ran):
    root, output = ran
    assert "running carbon first: drivers reads its results" in " ".join(output.split())
    gpkg = root / "out" / "results.gpkg"
    layers = {str(n) for n, _ in pyogrio.list_layers(gpkg)}
    assert {"carbon", *TABLES} <= layers
    con = sqlite3.connect(gpkg)
    try:  # every column stored as its declared type (schema.csv)
        for name in TABLES:
            schema = SPEC.schema[name]
            types = {r[1]: r[2] for r in con.execute(f'PRAGMA table_info("{name}")') if r[1] != "fid"}
            assert list(types) == schema.names, name
            for col, sql in types.items():
                assert sql == SQL_TYPES[schema[col].dtype][0], (name, col, sql)
    finally:
        con.close()
    d = pyogrio.read_dataframe(gpkg, layer="drivers", read_geometry=False)
    assert list(d.columns) == ["level", "year", "target", "factor", "q", "p", "n_strata", "method"]
    assert set(d["target"]) == {"cb_tc", "ce_tc", "cs_tc", "nep_mean"} and set(d["year"]) == {2015, 2020}
    assert set(d["level"]) == {"county"}  # the finest level with data
    assert {"elevation", "slope", "share_forest", "share_cropland", "gdp_density", "population_density"} <= set(
        d["factor"])
    assert ((d["q"] >= 0) & (d["q"] <= 1) & (d["p"] >= 0) & (d["p"] <= 1)).all()
    assert (d["n_strata"] >= 2).all()


def test_q_of_elevation_and_slope_by_hand(ran):
    root, _ = ran
    gpkg = root / "out" / "results.gpkg"
    c = pyogrio.read_dataframe(gpkg, layer="carbon", read_geometry=False)
    d = pyogrio.read_dataframe(gpkg, layer="drivers", read_geometry=False)
    column = np.array([0, 1, 2, 0, 1, 2])  # counties 101-106: three columns ...
    row = np.array([0, 0, 0, 1, 1, 1])  # ... of two rows
    for year in (2015, 2020):
        cy = c[(c["level"] == "county") & (c["year"] == year)].sort_values("unit_id")
        for target in ("cb_tc", "cs_tc", "nep_mean"):
            y = cy[target].to_numpy(dtype=float)
            got = d[(d["year"] == year) & (d["target"] == target)].set_index("factor")
            assert got.loc["elevation", "q"] == pytest.approx(_q(y, column), rel=1e-9, abs=1e-12)
            assert got.loc["elevation", "n_strata"] == 3
            assert got.loc["slope", "q"] == pytest.approx(_q(y, row), rel=1e-9, abs=1e-12)
    risk = pyogrio.read_dataframe(gpkg, layer="drivers_risk", read_geometry=False)
    r = risk[(risk["year"] == 2020) & (risk["target"] == "cb_tc") & (risk["factor"] == "elevation")]
    cy = c[(c["level"] == "county") & (c["year"] == 2020)].sort_values("unit_id")
    west = cy["cb_tc"].to_numpy()[column == 0].mean()
    assert len(r) == 3 and r["mean_a"].iloc[0] == pytest.approx(west, rel=1e-9)  # strata in elevation order


def test_terrain_factors_of_the_small_study_by_hand(small_study):
    st = load_study(small_study)
    inp = read_inputs(st)
    dem = rinputs.open_dem(st, inp.rasters)
    slope = rinputs.slope_degrees(dem, inp.rasters.grid)
    t = terrain_factors(inp.zonal_weights("county"), dem, slope).set_index("unit_id")
    cols = np.array([3, 8, 13, 3, 8, 13])  # mean raster column of each county
    np.testing.assert_allclose(t["elevation"].to_numpy(), DEM_BASE + DEM_STEP * cols, rtol=1e-9)
    # slope arctan(30 m / cell width) per row; rows 1-5 and 6-10 (cells of equal area within 0.1 %)
    phi = np.radians(Y0 - RES * (np.arange(13) + 0.5))
    width = A / np.sqrt(1 - E2 * np.sin(phi) ** 2) * np.cos(phi) * np.radians(RES)
    per_row = np.degrees(np.arctan(DEM_STEP / width))
    want = [per_row[1:6].mean()] * 3 + [per_row[6:11].mean()] * 3
    np.testing.assert_allclose(t["slope"].to_numpy(), want, rtol=1e-6)
    # city level: the area-weighted means of the members
    city = terrain_factors(inp.zonal_weights("county"), dem, slope, inp.units.membership("city")).set_index("unit_id")
    assert city.loc["C1", "elevation"] == pytest.approx(340.0, rel=1e-9)


# --------------------------------------------------------------------------- a study without carbon


def _factors_study(root: Path, factors: pd.DataFrame, drivers: str = 'targets = ["y"]\n') -> Path:
    root.mkdir(parents=True, exist_ok=True)
    counties().to_file(root / "units.gpkg", driver="GPKG")
    factors.to_csv(root / "factors.csv", index=False)
    (root / "ecozone.toml").write_text(
        '[study]\nname = "factors only"\nyears = [2020]\n\n[units]\npath = "units.gpkg"\n'
        'levels = { county = "unit_id", city = "city_id" }\n\n[tables]\nfactors = "factors.csv"\n\n'
        f"[drivers]\n{drivers}",
        encoding="utf-8",
    )
    return root


IDS = [str(101 + i) for i in range(6)]


def _table(**cols) -> pd.DataFrame:
    return pd.DataFrame({"unit_id": IDS, "year": 2020, **cols})


def _run(root: Path):
    st = load_study(root)
    return run_drivers(read_inputs(st), SilentReporter())


def test_a_factors_table_with_its_target_is_enough(tmp_path):
    root = _factors_study(tmp_path / "s", _table(y=[1, 2, 3, 4, 5, 6], zone=list("aaabbb"),
                                                 soil=[3.0, 1.0, 2.0, 6.0, 4.0, 5.0]))
    res = _run(root)
    d = res.tables["drivers"].set_index("factor")
    assert d.loc["zone", "q"] == pytest.approx(27 / 35)  # means 2 and 5 of 1..6: 1 − 4/17.5
    assert d.loc["zone", "method"] == "categorical" and d.loc["zone", "n_strata"] == 2
    assert set(d.index) == {"zone", "soil"} and (res.tables["drivers"]["target"] == "y").all()
    inter = res.tables["drivers_interaction"]
    assert len(inter) == 1 and inter["type"].iloc[0] in ("weaken_uni", "enhance_bi", "enhance_nonlinear",
                                                         "independent", "weaken_nonlinear")
    risk = res.tables["drivers_risk"].set_index("factor").loc["zone"]
    assert (risk["stratum_a"], risk["stratum_b"], risk["mean_a"], risk["mean_b"]) == ("a", "b", 2.0, 5.0)
    assert risk["df"] == 4 and bool(risk["significant"])  # t = −3/√(2/3) = −3.674 > t(0.975, 4) = 2.776
    assert risk["t"] == pytest.approx(-3 / np.sqrt(2 / 3))


def test_without_carbon_the_default_targets_say_what_to_write(tmp_path):
    root = _factors_study(tmp_path / "s", _table(y=[1, 2, 3, 4, 5, 6], soil=[1, 2, 3, 4, 5, 6]), drivers="")
    with pytest.raises(InputError) as e:
        _run(root)
    assert "'cb_tc'" in str(e.value) and e.value.where == "[drivers] targets"
    assert "carbon analysis did not run" in e.value.fix and 'targets = ["y"]' in e.value.fix


def test_a_study_without_carbon_through_run_study(tmp_path):
    """``ecozone run --only drivers`` on a factors-only study: the factors table stands in for carbon."""
    from ecozone.progress import SilentReporter

    root = _factors_study(tmp_path / "s", _table(y=[1, 2, 3, 4, 5, 6], zone=list("aaabbb")))
    rep = SilentReporter()
    res = run_study(root, out=tmp_path / "out", only=["drivers"], report=False, reporter=rep)
    assert res.tables["drivers"]["q"].iloc[0] == pytest.approx(27 / 35)
    assert "carbon" not in res.manifest["analyses"]
    assert any("drivers runs without its results" in m for m in rep.messages)
    # and the whole run (no --only) skips carbon but runs drivers
    res = run_study(root, out=tmp_path / "out2", report=False)
    assert "drivers" in res.manifest["analyses"] and "carbon" in res.skipped


# --------------------------------------------------------------------------- bad inputs


def test_a_factor_with_one_stratum_is_left_out_with_a_note_or_stops_the_run(tmp_path):
    t = _table(y=[1, 2, 3, 4, 5, 6], zone=list("aaabbb"), flat=["x"] * 6)
    res = _run(_factors_study(tmp_path / "a", t))
    assert set(res.tables["drivers"]["factor"]) == {"zone"}
    assert any("factor 'flat' has one value only ('x') in every unit: left out" in n for n in res.notes)
    only = _table(y=[1, 2, 3, 4, 5, 6], flat=["x"] * 6)
    with pytest.raises(InputError) as e:
        _run(_factors_study(tmp_path / "b", only))
    assert "nothing could be analysed" in str(e.value) and "'flat'" in str(e.value)
    assert "vary between the units" in e.value.fix
    # a numeric factor whose discretisation leaves one stratum (errors = "raise")
    few = _table(y=[1, 2, 3, 4, 5, 6], zone=list("aaabbb"), soil=[1.0, 1.0, 1.0, 1.0, 1.0, np.nan])
    with pytest.raises(InputError) as e:
        _run(_factors_study(tmp_path / "c", few, 'targets = ["y"]\nerrors = "raise"\n'))
    assert "soil" in str(e.value)


def test_a_target_with_no_variance_names_the_target(tmp_path):
    root = _factors_study(tmp_path / "s", _table(y=[5.0] * 6, zone=list("aaabbb")))
    with pytest.raises(InputError) as e:
        _run(root)
    assert "target 'y'" in e.value.where and "no variance" in str(e.value)
    assert "varies between units" in e.value.fix and "year 2020" in e.value.where


def test_too_few_units_says_how_many_are_needed(tmp_path):
    t = _table(y=[1.0, 2.0, 3.0, np.nan, np.nan, np.nan], zone=list("aabbcc"))
    with pytest.raises(InputError) as e:
        _run(_factors_study(tmp_path / "s", t))
    assert "too few units: 3 with data, the detector needs at least 4" in str(e.value)
    assert "target 'y'" in e.value.where and "more units" in e.value.fix


@pytest.mark.parametrize("drivers, where, words", [
    ('targets = ["y"]\nfactors = ["slope"]\n', "[drivers] factors", "slope: it needs [rasters] dem"),
    ('targets = ["y"]\nexclude = ["zonez"]\n', "[drivers] exclude", "'zonez'"),
    ('targets = ["y"]\nlevel = "province"\n', "[drivers] level", "unknown level 'province'"),
    ('targets = ["zone"]\n', "[drivers] targets", "target 'zone' is not numeric"),
    ('targets = ["y", "yy"]\n', "[drivers] targets", "target(s) 'yy' not found"),
])
def test_bad_parameters_name_the_key(tmp_path, drivers, where, words):
    root = _factors_study(tmp_path / "s", _table(y=[1, 2, 3, 4, 5, 6], zone=list("aaabbb")), drivers)
    with pytest.raises((InputError, ParameterError)) as e:
        _run(root)
    assert e.value.where == where and words in str(e.value) and e.value.fix


def test_factors_at_another_level_are_noted(tmp_path):
    t = pd.concat([_table(y=[1, 2, 3, 4, 5, 6], zone=list("aaabbb")),
                   pd.DataFrame({"unit_id": ["C1", "C2"], "year": 2020, "y": [np.nan] * 2, "zone": ["a", "b"]})])
    t["gdp_share"] = [np.nan] * 6 + [0.3, 0.6]
    res = _run(_factors_study(tmp_path / "s", t))
    assert set(res.tables["drivers"]["factor"]) == {"zone"}  # gdp_share has values at city level only
    assert any("factor 'gdp_share' has no value for any unit" in n for n in res.notes)


def test_a_dem_pattern_with_a_year_and_a_dem_in_feet(small_study):
    toml = small_study / "ecozone.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('dem = "rasters/dem.tif"', 'dem = "rasters/dem_{year}.tif"'), encoding="utf-8")
    with pytest.raises(InputError) as e:
        rinputs.discover(load_study(small_study))
    assert "rasters.dem" in e.value.where and "one file for all years" in e.value.fix
    toml.write_text(text.replace('dem = "rasters/dem.tif"', 'dem = { pattern = "rasters/dem.tif", unit = "ft" }'),
                    encoding="utf-8")
    st = load_study(small_study)
    rs = rinputs.discover(st)
    assert rinputs.open_dem(st, rs).values[0, 0] == pytest.approx(DEM_BASE * 0.3048, rel=1e-6)


# --------------------------------------------------------------------------- the report section


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_section_in_both_languages(ran, tmp_path, lang):
    from ecozone.labels import Labels
    from ecozone.report.context import Context
    from ecozone.report.data import DisplayGeometry, read_report_data
    from ecozone.report.drivers import drivers_section
    from ecozone.report.figures import StaticFigures
    from ecozone.report.page import Page

    out = tmp_path / "out"
    shutil.copytree(ran[0] / "out", out)
    L = Labels(lang)
    data = read_report_data(out)
    geo = DisplayGeometry(data.units, data.area_crs, data.levels)
    # the static figures once (in English): 300 dpi PNGs take seconds
    static = StaticFigures(out, lang, data.synthetic, L("ui.synthetic"), extent=geo.extent) if lang == "en" else None
    ctx = Context(L=L, data=data, geo=geo, page=Page(L, geo, data.tables), static=static)
    sec = drivers_section(ctx)
    assert sec.title == L("sec.drivers") and "geodetector 1.0-5" in sec.method
    assert [f.id for f in sec.figures] == ["drivers_q", "drivers_interaction", "drivers_risk"]
    q = ctx.page.figs["drivers_q"]
    assert q["keys"] == ["target", "year"] and "cb_tc|2020" in q["variants"]
    bars = q["variants"]["cs_tc|2020"]["data"][0]
    d = data.tables["drivers"]
    want = d[(d["target"] == "cs_tc") & (d["year"] == 2020)].sort_values("q")["q"].round(4).tolist()
    assert bars["x"] == pytest.approx(want)  # the bars are the stored q, smallest first
    if static is not None:
        names = {p.name for p in static.written}
        assert {"drivers_q_2020.png", "drivers_interaction_cb_tc_2020.png", "drivers_risk_2020.png"} <= names
    else:
        assert "地理探测器" in sec.title and "平均高程" in bars["y"]
