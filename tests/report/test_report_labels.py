"""The label table: one row per key, both languages complete, every code the analyses write covered."""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from ecozone.capacity.run import CAPACITY_COLUMNS
from ecozone.carbon.budget import BUDGET_STATES
from ecozone.carbon.spatial import QUADRANTS
from ecozone.carbon.zoning import ZONES
from ecozone.errors import ParameterError
from ecozone.labels import Labels, column_header, label_table
from ecozone.params import data_path

CJK = re.compile(r"[\u4e00-\u9fff]")


def rows():
    with open(data_path("labels.csv"), encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_key_once_with_both_languages_and_a_source():
    rs = rows()
    keys = [r["key"] for r in rs]
    assert len(keys) == len(set(keys))
    for r in rs:
        assert r["en"].strip() and r["zh"].strip(), r["key"]
        assert r["source"].strip(), r["key"]
        if r["color"]:
            assert re.fullmatch(r"#[0-9a-f]{6}", r["color"]), r["key"]


def test_chinese_labels_are_chinese():
    # every label a reader sees in prose (not a formula symbol or abbreviation) is written in Chinese
    for r in rows():
        if r["key"].split(".")[0] in ("level", "state", "zone", "quadrant", "grade", "devclass", "type", "lisa",
                                      "budget", "sec", "fig", "method", "table", "medium"):
            assert CJK.search(r["zh"]), r["key"]


CODES = {
    "state": ["overload", "critical", "non-overload", "tied"],
    "zone": list(ZONES),
    "budget": list(BUDGET_STATES),
    "lisa": list(QUADRANTS.values()) + ["not_significant", "island"],
    "quadrant": ["high–overload", "high–non-overload", "low–overload", "low–non-overload", "key-ecological-zone"],
    "devclass": ["mature", "fast-growing", "incubating"],
    "medium": ["air", "water", "total"],
}


@pytest.mark.parametrize("category", sorted(CODES))
def test_every_code_has_labels_and_a_colour(category):
    t = label_table()
    for code in CODES[category]:
        key = f"{category}.{code}"
        assert key in t, key
        if category != "medium" and category != "devclass":
            assert t[key].color, key
        assert Labels("en").code(category, code) != Labels("zh").code(category, code)


def test_coupling_grades_match_the_shipped_grade_table():
    g = pd.read_csv(data_path("coupling_grades.csv"))
    zh = Labels("zh")
    for code, name_zh in zip(g["code"], g["name_zh"], strict=True):
        assert zh.code("grade", code) == name_zh
        assert Labels("en").color(f"grade.{code}") != "#bdbdbd"


CARBON_COLUMNS = [
    "ce_tc", "cs_tc", "cs_coeff_tc", "cb_tc", "cbi", "ecc", "esc", "zone", "zone_note", "budget_state",
    "net_source_ecosystem", "emissions_filled", "ce_lower_tc", "ce_upper_tc", "gdp_cny", "npp_mean", "rh_mean",
    "nep_mean", "area_km2",
]
SHARES_COLUMNS = ["member_level", "medium", "n_members", "n_assessed", "n_overload", "n_critical",
                  "n_non_overload", "share_overload", "share_critical", "share_non_overload", "state_majority"]


@pytest.mark.parametrize("column", CAPACITY_COLUMNS + CARBON_COLUMNS + SHARES_COLUMNS)
def test_every_result_column_has_bilingual_header(column):
    en, zh, _unit = column_header(column, None)
    assert en != column or column in ("level",), column
    assert CJK.search(zh) or zh in ("GDP",), column


def test_units_of_some_columns():
    assert column_header("ce_tc")[2] == "t C"
    assert column_header("r_total")[2] == "–"
    assert column_header("population")[2] == "persons / 人"
    assert column_header("share_overload")[2] == "%"
    assert column_header("gdp_per_capita")[2] == "CNY/person / 元/人"


def test_derived_change_columns_are_labelled_from_their_base():
    en = Labels("en")
    assert en.column("ce_pct") == "Carbon emissions CE (Change)"
    assert en.column_unit("ce_pct") == "%"
    assert en.column_unit("cbi_from") == "–"


def test_unknown_key_falls_back_to_the_code_and_unknown_language_is_an_error():
    assert Labels("en")("zone.some_new_zone") == "some new zone"
    assert Labels("en").code("state", None) == ""
    assert Labels("en").code("type", "mature–tied") == "Mature – tied"
    with pytest.raises(ParameterError) as e:
        Labels("fr")
    assert "en or zh" in e.value.message


def test_method_notes_fill_their_placeholders():
    for lang in ("en", "zh"):
        text = Labels(lang)("method.capacity", air_standard="S", water_standard="W", air_crit=-0.2, water_crit=-0.3,
                            aggregation="a", regional_gdp="r", critical_as="c", zone_share=0.5)
        assert "{" not in text and "-0.3" in text


def test_every_value_of_the_type_column_has_its_own_colour():
    # the capacity `type` column holds a four-quadrant type for cities and a development
    # class – state for agglomerations; the maps colour both through the `type` category
    grey = "#bdbdbd"
    values = CODES["quadrant"] + [f"{c}–{s}" for c in CODES["devclass"] for s in ("overload", "non-overload", "tied")]
    for lang in ("en", "zh"):
        L = Labels(lang)
        colours = [L.color(f"type.{v}") for v in values]
        assert grey not in colours, dict(zip(values, colours, strict=True))
    q = label_table()
    assert [Labels("en").color(f"type.{v}") for v in CODES["quadrant"]] == [q[f"quadrant.{v}"].color for v in CODES["quadrant"]]
