import tomllib
from pathlib import Path

import pytest

from ecozone.errors import StudyError
from ecozone.study import load_study, parse_study
from ecozone.template import study_template

BASE = {
    "study": {"name": "t", "years": [2020]},
    "units": {"path": "u.gpkg", "levels": {"county": "unit_id", "city": "city_id"}},
}


def test_minimal_study_gets_every_default():
    st = parse_study(BASE, Path("/x"))
    assert st.capacity.air.grade == "II"
    assert st.capacity.air.standard == "GB3095-2012"
    assert st.carbon.casa.t2_constant == pytest.approx(1.1814)
    assert st.carbon.casa.ndvi_extremes == "data"
    assert st.resolve("u.gpkg") == Path("/x/u.gpkg")
    assert st.units.parent_of("city") == "county"


def test_unknown_key_is_named():
    bad = {**BASE, "capacity": {"air": {"grade": "II", "gradee": "I"}}}
    with pytest.raises(StudyError) as e:
        parse_study(bad, Path("/x"))
    assert "capacity.air.gradee" in str(e.value)
    assert "unknown key" in str(e.value)


def test_unknown_top_level_section_is_named():
    with pytest.raises(StudyError, match="unknown key 'tabels'"):
        parse_study({**BASE, "tabels": {}}, Path("/x"))


def test_wrong_type_is_named():
    bad = {**BASE, "study": {"name": "t", "years": "2020"}}
    with pytest.raises(StudyError) as e:
        parse_study(bad, Path("/x"))
    assert "study.years" in str(e.value)


def test_wrong_literal_names_key_and_value():
    bad = {**BASE, "capacity": {"air": {"grade": "III"}}}
    with pytest.raises(StudyError) as e:
        parse_study(bad, Path("/x"))
    assert "capacity.air.grade" in str(e.value) and "'III'" in str(e.value)


def test_unknown_key_inside_inline_table_spec():
    bad = {**BASE, "tables": {"economy": {"path": "e.csv", "unitz": {}}}}
    with pytest.raises(StudyError, match="tables.economy.unitz"):
        parse_study(bad, Path("/x"))


def test_missing_required_key():
    with pytest.raises(StudyError, match="'units' is missing"):
        parse_study({"study": {"years": [2020]}}, Path("/x"))


def test_parents_must_name_finer_levels():
    bad = {**BASE, "units": {**BASE["units"], "parents": {"county": "city"}}}
    with pytest.raises(StudyError, match="finer level"):
        parse_study(bad, Path("/x"))


def test_bad_toml_and_missing_file(tmp_path):
    p = tmp_path / "ecozone.toml"
    p.write_text("[study\nname=1")
    with pytest.raises(StudyError, match="not valid TOML"):
        load_study(p)
    with pytest.raises(StudyError, match="not found"):
        load_study(tmp_path / "nope.toml")


def test_template_is_valid_toml_and_a_valid_study():
    text = study_template()
    data = tomllib.loads(text)
    st = parse_study(data, Path("/x"))
    assert st.study.years == [2015, 2020]
    # every parameter of the models appears in the template with its default
    for key in ("grade", "t2_constant", "ndvi_extremes", "tn_rivers", "min_observations"):
        assert f"# {key} = " in text


# ---------------------------------------------------------------- messages that say what to write


@pytest.mark.parametrize("years", [["2015", "2020"], [2015.0], [True], ["2015年"]])
def test_years_must_be_whole_numbers_without_quotes(years):
    bad = {**BASE, "study": {"name": "t", "years": years}}
    with pytest.raises(StudyError) as e:
        parse_study(bad, Path("/x"))
    assert "study.years" in e.value.where and "without quotes" in str(e.value)
    assert "years = [2015, 2020]" in e.value.fix
    assert "Value error" not in str(e.value)


@pytest.mark.parametrize(
    "crs, msg", [("EPSG:99999", "not a CRS that PROJ knows (crs not found: EPSG:99999)"), ("EPSG:4326", "not longitudes")]
)
def test_area_crs_must_be_projected_and_known(crs, msg):
    bad = {**BASE, "study": {"name": "t", "years": [2020], "area_crs": crs}}
    with pytest.raises(StudyError) as e:
        parse_study(bad, Path("/x"))
    assert msg in str(e.value) and "study.area_crs" in e.value.where and "equal-area" in e.value.fix
    ok = {**BASE, "study": {"name": "t", "years": [2020], "area_crs": "EPSG:6933"}}
    assert parse_study(ok, Path("/x")).study.area_crs == "EPSG:6933"


def test_unknown_key_suggests_the_closest_and_lists_the_section():
    with pytest.raises(StudyError) as e:
        parse_study({**BASE, "units": {**BASE["units"], "levles": {}}}, Path("/x"))
    assert "unknown key 'units.levles'" in str(e.value)
    assert "did you mean 'levels'?" in e.value.fix and "[units] takes: path, layer, name, levels" in e.value.fix
    with pytest.raises(StudyError) as e:
        parse_study({**BASE, "zzz": 1}, Path("/x"))
    assert "did you mean" not in e.value.fix and "study, units, tables" in e.value.fix


def test_type_errors_say_what_to_write():
    cases = [
        ({"study": {"name": 5, "years": [2020]}}, "study.name", "double quotes"),
        ({"compute": {"chunk_size": "big"}}, "compute.chunk_size", "whole number"),
        ({"units": {**BASE["units"], "levels": ["unit_id"]}}, "units.levels", "give a table"),
        ({"tables": {"economy": 5}}, "tables.economy", "give a path in double quotes"),
    ]
    for extra, key, fix in cases:
        with pytest.raises(StudyError) as e:
            parse_study({**BASE, **extra}, Path("/x"))
        assert key in e.value.where and fix in e.value.fix, (key, str(e.value))
        assert "<class" not in str(e.value)


def test_byte_order_mark_is_read_and_other_encodings_are_named(tmp_path):
    text = '[study]\nname = "小研究"\nyears = [2020]\n[units]\npath = "u.gpkg"\nlevels = { county = "id" }\n'
    p = tmp_path / "ecozone.toml"
    p.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_study(p).study.name == "小研究"
    p.write_bytes(text.encode("gbk"))
    with pytest.raises(StudyError) as e:
        load_study(p)
    assert "not UTF-8" in str(e.value) and "UTF-8" in e.value.fix
