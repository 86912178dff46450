"""The overview analysis end to end (METHODS §5.0): `ecozone run --only overview` on the small study.

Hand-derived from tests/small_study.py: county k (k = 0…5, ids 101…106) has GDP 5e10 (1 + k) CNY in 2015
(× 1.3 in 2020) and 4e5 + 1e5 k persons; city C1 = 101–103 (= agglomeration AG), C2 = 104–106.
"""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ecozone.cli import app
from ecozone.run import run_study
from ecozone.store import read_results

from small_study import make_small_study

runner = CliRunner()


@pytest.fixture
def study(tmp_path):
    """The small study without rasters (the overview reads none)."""
    return make_small_study(tmp_path / "study", rasters=False).parent


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """The small study, [overview] large_population = 1 million, run once through the CLI (report included)."""
    root = make_small_study(tmp_path_factory.mktemp("overview") / "study", rasters=False).parent
    toml = (root / "ecozone.toml").read_text(encoding="utf-8")
    (root / "ecozone.toml").write_text(toml + "\n[overview]\nlarge_population = 1000000\n", encoding="utf-8")
    out = root / "out"
    res = runner.invoke(app, ["run", str(root), "--only", "overview", "--out", str(out)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return root, out, read_results(out)["overview"]


def _row(t: pd.DataFrame, level: str, uid: str, year: int) -> pd.Series:
    r = t[(t["level"] == level) & (t["unit_id"] == uid) & (t["year"] == year)]
    assert len(r) == 1
    return r.iloc[0]


def test_hand_derived_values(ran):
    root, _out, t = ran
    assert len(t) == (6 + 2 + 1) * 2  # every unit of every level, both years
    total_gdp = 1.3 * 5e10 * 21  # 2020: 5e10 × (1 + … + 6) × 1.3
    c101 = _row(t, "county", "101", 2020)
    assert c101["gdp"] == pytest.approx(6.5e10) and c101["population"] == 4e5
    assert c101["gdp_per_capita"] == pytest.approx(162_500.0)
    # areas: the county boxes in the study's equal-area CRS, computed here independently
    units = gpd.read_file(root / "units.gpkg").to_crs("+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84")
    area = dict(zip(units["unit_id"], units.area / 1e6, strict=True))
    assert c101["area_km2"] == pytest.approx(area["101"], rel=1e-6)
    assert c101["population_density"] == pytest.approx(4e5 / area["101"], rel=1e-6)
    c1 = _row(t, "city", "C1", 2020)
    assert c1["gdp"] == pytest.approx(1.3 * 5e10 * 6) and c1["population"] == 1.5e6
    assert c1["gdp_share"] == pytest.approx(1.3 * 5e10 * 6 / total_gdp)  # 2/7
    assert c1["population_share"] == pytest.approx(1.5 / 3.9)  # 5/13
    study_area = sum(area.values())
    assert c1["area_share"] == pytest.approx((area["101"] + area["102"] + area["103"]) / study_area, rel=1e-6)
    assert np.isnan(c1["gdp_share_of_level"])  # only the top grouping level has shares of its level
    # C1's members (counties of 0.4–0.6 million) are all below 1 million; C2's too (0.7–0.9 million)
    assert c1["n_members_over_2m"] == 0 and _row(t, "city", "C2", 2020)["n_members_over_2m"] == 0
    ag = _row(t, "agglomeration", "AG", 2020)
    assert ag["gdp_share_of_level"] == 1.0 and ag["area_share_of_level"] == 1.0  # the only agglomeration
    assert ag["n_members_over_2m"] == 1 and ag["share_members_over_2m"] == 1.0  # C1: 1.5 million > 1 million
    assert np.isnan(c101["share_members_over_2m"])  # the finest level has no members


def test_stored_types_report_and_figures(ran):
    _root, out, _t = ran
    con = sqlite3.connect(out / "results.gpkg")
    try:
        types = {r[1]: r[2] for r in con.execute('PRAGMA table_info("overview")')}
    finally:
        con.close()
    assert types["gdp"] == "REAL" and types["n_members_over_2m"] == "INTEGER" and types["unit_id"] == "TEXT"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="sec-overview"' in html and 'id="fig-overview_shares"' in html and 'id="fig-overview_map"' in html
    assert {p.name for p in (out / "figures").glob("*.png")} == {"overview_shares_2020.png", "overview_map_2020.png"}


def test_economy_missing_for_a_county_leaves_upper_values_empty(study, tmp_path):
    """No partial sums: without 106's 2020 values, C2 2020 is empty (noted), C1 and AG are not."""
    econ = pd.read_csv(study / "economy.csv", dtype={"unit_id": str})
    econ = econ[~((econ["unit_id"] == "106") & (econ["year"] == 2020))]
    econ.to_csv(study / "economy.csv", index=False)
    res = run_study(study, out=tmp_path / "out", only=["overview"], report=False)
    t = res.tables["overview"]
    assert np.isnan(_row(t, "city", "C2", 2020)["gdp"]) and np.isnan(_row(t, "city", "C2", 2020)["gdp_share"])
    assert _row(t, "city", "C1", 2020)["gdp"] == pytest.approx(3.9e11)
    assert np.isnan(_row(t, "city", "C1", 2020)["gdp_share"])  # the study total of 2020 is not known
    assert any("no gdp" in n and "C2" in n for n in res.manifest["notes"])


def test_overview_needs_the_economy_table(study):
    toml = (study / "ecozone.toml").read_text(encoding="utf-8")
    (study / "ecozone.toml").write_text(toml.replace('economy = "economy.csv"\n', ""), encoding="utf-8")
    res = runner.invoke(app, ["run", str(study), "--only", "overview"], catch_exceptions=False)
    assert res.exit_code != 0
    assert "overview" in res.output and "table 'economy'" in res.output
