"""§3.0 region and level, §3.2 indicators: hand-derived values and the 2018 catalogue."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecozone.errors import InputError
from ecozone.parks import (
    co2_intensity,
    cod_intensity,
    cod_intensity_change,
    energy_productivity,
    intake_shares,
    park_level,
    park_year_indicators,
    province_key,
    region_from_province,
    water_productivity,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CATALOGUE = SHARED / "realdata" / "parks" / "yreb_national_zones_2018.csv"


# --------------------------------------------------------------------------- formulas


def test_formulas_by_hand():
    # 2e8 CNY value added, 4,000 tce, 1e6 m3 fresh water, 30,000 kg COD, 1.6e5 t CO2e
    assert energy_productivity([2e8], [4000.0])[0] == pytest.approx(50_000.0)  # CNY/tce
    assert water_productivity([2e8], [1e6])[0] == pytest.approx(200.0)  # CNY/m3
    assert cod_intensity([30_000.0], [2e8])[0] == pytest.approx(150.0)  # kg / 1e6 CNY = 30000/200
    assert co2_intensity([1.6e5], [2e8])[0] == pytest.approx(8.0)  # t / 1e4 CNY = 1.6e5/2e4
    # 150 against a base of 375: 150/375 − 1 = −0.6 (the seed's "60 % decline")
    assert cod_intensity_change([150.0], [375.0])[0] == pytest.approx(-0.6)


def test_zero_or_missing_denominator_is_nan_never_inf():
    out = energy_productivity([1e6, 1e6, np.nan, 0.0], [0.0, np.nan, 10.0, 10.0])
    assert np.isnan(out[0]) and np.isnan(out[1]) and np.isnan(out[2])
    assert out[3] == 0.0
    assert np.isnan(cod_intensity([5.0], [0.0])[0])
    assert np.isnan(cod_intensity_change([5.0], [0.0])[0])
    assert not np.isinf(co2_intensity([1.0, 2.0], [0.0, -0.0])).any()


def test_intake_shares_by_hand():
    df = pd.DataFrame({
        "intake_surface_m3": [675.0, 0.0, np.nan],
        "intake_tap_m3": [250.0, 0.0, np.nan],
        "intake_reclaimed_m3": [75.0, 0.0, 10.0],
    })
    sh = intake_shares(df)
    assert list(sh.columns) == ["intake_share_surface", "intake_share_tap", "intake_share_reclaimed"]
    # 675 / 1000 = 0.675 (the seed's 67.5 % surface water), 250/1000, 75/1000
    assert sh.iloc[0].tolist() == pytest.approx([0.675, 0.25, 0.075])
    assert sh.iloc[1].isna().all()  # total 0
    assert np.isnan(sh.iloc[2, 0]) and sh.iloc[2, 2] == 1.0  # only reclaimed given


def _park_year():
    return pd.DataFrame({
        "park_id": ["P1", "P1", "P1", "P2", "P2"],
        "year": [2015, 2017, 2020, 2015, 2020],
        "value_added": [1e8, 2e8, 4e8, 5e7, 0.0],
        "energy_tce": [2000.0, 2500.0, 4000.0, 0.0, 100.0],
        "fresh_water_m3": [1e6, 1e6, 2e6, np.nan, 1.0],
        "cod_kg": [20_000.0, 20_000.0, 16_000.0, 10_000.0, 5.0],
        "co2e_t": [5e4, 6e4, 8e4, 1e4, 1.0],
        "intake_surface_m3": [3.0, 1.0, 1.0, 0.0, np.nan],
        "intake_ground_m3": [1.0, 1.0, 3.0, 0.0, np.nan],
    })


def test_park_year_indicators_by_hand():
    out = park_year_indicators(_park_year())
    p1 = out[out.park_id == "P1"].set_index("year")
    assert p1["energy_productivity"].tolist() == pytest.approx([5e4, 8e4, 1e5])  # 1e8/2000 …
    assert p1["water_productivity"].tolist() == pytest.approx([100.0, 200.0, 200.0])
    # cod: 20000/100 = 200, 20000/200 = 100, 16000/400 = 40 kg per million CNY
    assert p1["cod_intensity"].tolist() == pytest.approx([200.0, 100.0, 40.0])
    # change against the first year (2015): 0, 100/200 − 1 = −0.5, 40/200 − 1 = −0.8
    assert p1["cod_intensity_change"].tolist() == pytest.approx([0.0, -0.5, -0.8])
    # co2: 5e4 / 1e4 = 5, 6e4 / 2e4 = 3, 8e4 / 4e4 = 2 t per 1e4 CNY
    assert p1["co2_intensity"].tolist() == pytest.approx([5.0, 3.0, 2.0])
    assert p1["intake_share_surface"].tolist() == pytest.approx([0.75, 0.5, 0.25])
    assert (p1["note"] == "").all()

    p2 = out[out.park_id == "P2"].set_index("year")
    assert np.isnan(p2.loc[2015, "energy_productivity"])
    assert "energy_productivity empty: energy_tce is 0" in p2.loc[2015, "note"]
    assert "water_productivity empty: no fresh_water_m3" in p2.loc[2015, "note"]
    assert "intake shares empty: total intake is 0" in p2.loc[2015, "note"]
    # value added 0 in 2020: productivities are 0 (0/100, 0/1), intensities empty with a note
    assert p2.loc[2020, ["energy_productivity", "water_productivity"]].tolist() == [0.0, 0.0]
    assert p2.loc[2020, ["cod_intensity", "co2_intensity"]].isna().all()
    assert "cod_intensity empty: value_added is 0" in p2.loc[2020, "note"]
    assert "intake shares empty: no intake" in p2.loc[2020, "note"]
    assert not np.isinf(out.select_dtypes("number").to_numpy(dtype=float)).any()


def test_park_year_base_year():
    out = park_year_indicators(_park_year(), base_year=2017)
    p1 = out[out.park_id == "P1"].set_index("year")["cod_intensity_change"]
    # base 100 (2017): 200/100 − 1 = 1, 0, 40/100 − 1 = −0.6
    assert p1.tolist() == pytest.approx([1.0, 0.0, -0.6])
    p2 = out[out.park_id == "P2"]
    assert p2["cod_intensity_change"].isna().all()
    notes = p2.set_index("year")["note"]
    assert "cod_intensity_change empty: no COD intensity in the base year 2017" in notes[2015]
    assert "cod_intensity_change empty: no cod_intensity" in notes[2020]


def test_park_year_errors():
    df = _park_year()
    with pytest.raises(InputError, match="value_added"):
        park_year_indicators(df.drop(columns="value_added"))
    bad = df.copy()
    bad.loc[2, "energy_tce"] = -5
    with pytest.raises(InputError, match="negative") as e:
        park_year_indicators(bad)
    assert "row 4" in str(e.value) and "energy_tce" in str(e.value)
    no_year = df.astype({"year": float})
    no_year.loc[1, "year"] = np.nan
    with pytest.raises(InputError, match="year is empty"):
        park_year_indicators(no_year)
    with pytest.raises(InputError, match="repeat"):
        park_year_indicators(pd.concat([df, df.iloc[[0]]], ignore_index=True))


@given(
    st.lists(st.floats(0, 1e12, allow_nan=False), min_size=1, max_size=20),
    st.lists(st.floats(0, 1e9, allow_nan=False), min_size=1, max_size=20),
)
def test_ratios_never_inf(num, den):
    n = min(len(num), len(den))
    for f in (energy_productivity, water_productivity, cod_intensity, co2_intensity):
        out = f(num[:n], den[:n])
        assert not np.isinf(out).any()


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("湖北省", "湖北"), ("湖北", "湖北"), ("上海市", "上海"), ("重庆", "重庆"),
        ("广西壮族自治区", "广西"), ("新疆维吾尔自治区", "新疆"), ("内蒙古自治区", "内蒙古"),
        ("Hubei", "湖北"), ("hubei province", "湖北"), ("Shanghai Municipality", "上海"),
        ("Chongqing Shi", "重庆"), ("Inner Mongolia", "内蒙古"), ("Shaanxi", "陕西"),
        ("Shanxi", "山西"), (" Jiangxi ", "江西"),
        ("湖北武汉", None), ("Atlantis", None), ("", None), (None, None),
    ],
)
def test_province_key(name, key):
    assert province_key(name) == key


def test_region_from_province():
    prov = pd.Series(["四川省", "Hunan", "安徽", "上海市", "Chongqing Municipality", "江西省"])
    assert region_from_province(prov).tolist() == [
        "upstream", "midstream", "downstream", "downstream", "upstream", "midstream"]
    # a given region wins; empties are derived; a province outside the eleven needs one
    out = region_from_province(pd.Series(["山东省", "湖北省"]), pd.Series(["downstream", ""]))
    assert out.tolist() == ["downstream", "midstream"]
    with pytest.raises(InputError, match="山东省") as e:
        region_from_province(pd.Series(["湖北省", "山东省"]))
    assert "row 3" in str(e.value) and "region" in e.value.fix
    with pytest.raises(InputError, match="unknown region"):
        region_from_province(pd.Series(["湖北省"]), pd.Series(["middle"]))


def test_park_level():
    kinds = pd.Series([
        "国家级经济技术开发区", "国家级高新技术产业开发区", "边境经济合作区", "跨境经济合作区",
        "省级经济开发区", "省级高新技术产业园区", "national_etdz", "Provincial", "ETDZ",
        "工业园区", "", None, "经济技术开发区",
    ])
    assert park_level(kinds).tolist() == [
        "national_etdz", "national_htz", "national_border", "national_border",
        "provincial", "provincial", "national_etdz", "provincial", "national_etdz",
        "other", "other", "other", "national_etdz",
    ]
    # the approval level decides for the catalogue's bare types
    out = park_level(["经济技术开发区", "高新技术产业开发区", "经济开发区"],
                     ["国务院", "国务院", "江苏省人民政府"])
    assert out.tolist() == ["national_etdz", "national_htz", "provincial"]


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def catalogue() -> pd.DataFrame:
    if not CATALOGUE.is_file():
        pytest.skip(f"the shared real data are absent ({CATALOGUE.name} not found beside the project)")
    return pd.read_csv(CATALOGUE, dtype={"code": str})


def test_catalogue_region_and_level(catalogue):
    assert len(catalogue) == 182
    region = region_from_province(catalogue["province"])
    assert (region == catalogue["region"]).all()
    # ETDZ down 65 / mid 25 / up 18; HTZ down 32 / mid 23 / up 14; border zones 5 upstream (README)
    level = park_level(catalogue["zone_type"], catalogue["approval_level"])
    assert (level == catalogue["level"]).all()
    assert (park_level(catalogue["zone_type"]) == catalogue["level"]).all()
    counts = pd.crosstab(level, region)
    assert counts.loc["national_etdz"].to_dict() == {"downstream": 65, "midstream": 25, "upstream": 18}
    assert counts.loc["national_htz"].to_dict() == {"downstream": 32, "midstream": 23, "upstream": 14}
    assert counts.loc["national_border"].to_dict() == {"downstream": 0, "midstream": 0, "upstream": 5}
    # the same with the suffix stripped and with English names
    short = catalogue["province"].str.replace(r"(省|市)$", "", regex=True)
    assert (region_from_province(short) == catalogue["region"]).all()
    english = catalogue["province"].map({
        "上海市": "Shanghai", "江苏省": "Jiangsu Province", "浙江省": "Zhejiang", "安徽省": "Anhui",
        "江西省": "Jiangxi", "湖北省": "Hubei", "湖南省": "Hunan", "重庆市": "Chongqing",
        "四川省": "Sichuan", "贵州省": "Guizhou", "云南省": "Yunnan Province",
    })
    assert (region_from_province(english) == catalogue["region"]).all()
