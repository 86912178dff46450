"""The study-wide land-cover class scheme (METHODS §0.3.1)."""

import pytest

from ecozone.errors import ParameterError, StudyError
from ecozone.landcover import ECO_GROUPS, GROUPS, codes_of, group_lut, load_classes
from ecozone.study import parse_study

BASE = {"study": {"years": [2020]}, "units": {"path": "u.gpkg", "levels": {"county": "unit_id"}}}


def test_igbp_groups_are_those_of_methods():
    t = load_classes("igbp")
    g = dict(zip(t["code"], t["group"], strict=True))
    want = {**dict.fromkeys(range(1, 6), "forest"), 6: "shrub", 7: "shrub", 8: "grassland", 9: "grassland",
            10: "grassland", 11: "wetland", 12: "cropland", 14: "cropland", 13: "built", 15: "barren",
            16: "barren", 17: "water"}
    assert {c: g[c] for c in want} == want
    assert codes_of(t, ECO_GROUPS) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 17]
    assert codes_of(t, "built") == [13]
    assert 255 not in codes_of(t, GROUPS)  # nodata is in no group


@pytest.mark.parametrize("scheme", ["igbp", "clcd", "resdc"])
def test_every_shipped_scheme_has_a_group_per_class(scheme):
    t = load_classes(scheme)
    assert t["group"].isin(GROUPS).all() and t["code"].is_unique
    assert set(codes_of(t, "built")) and set(codes_of(t, "cropland"))
    lut = group_lut(t)
    for code, grp, vt in zip(t["code"], t["group"], t["vegetation_type"], strict=True):
        assert lut[code] == (-1 if vt == "nodata" else GROUPS.index(grp))


def test_user_class_table_needs_known_groups(tmp_path):
    p = tmp_path / "classes.csv"
    p.write_text("code,name,group\n1,Forest,forest\n2,Town,urban\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="row 3") as e:
        load_classes(p)
    assert "built" in e.value.fix
    p.write_text("code,name\n1,Forest\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="group"):
        load_classes(p)
    with pytest.raises(ParameterError, match="unknown land-cover class scheme"):
        load_classes("modis")


def test_carbon_landcover_classes_is_an_alias(tmp_path):
    st = parse_study({**BASE, "carbon": {"landcover_classes": "clcd"}}, tmp_path)
    assert st.landcover.classes == "clcd" and st.carbon.landcover_classes == "clcd"
    st = parse_study({**BASE, "landcover": {"classes": "resdc"}}, tmp_path)
    assert st.carbon.landcover_classes == "resdc"
    st = parse_study(BASE, tmp_path)
    assert st.landcover.classes == "igbp"
    with pytest.raises(StudyError, match="disagree"):
        parse_study({**BASE, "landcover": {"classes": "resdc"}, "carbon": {"landcover_classes": "clcd"}}, tmp_path)


def test_class_table_path_is_relative_to_the_study_and_must_exist(tmp_path):
    (tmp_path / "my_classes.csv").write_text("code,name,group\n1,Forest,forest\n", encoding="utf-8")
    st = parse_study({**BASE, "landcover": {"classes": "my_classes.csv"}}, tmp_path)
    assert st.landcover.classes == str(tmp_path / "my_classes.csv") == st.carbon.landcover_classes
    assert load_classes(st.landcover.classes)["group"].tolist() == ["forest"]
    with pytest.raises(StudyError, match="neither a shipped scheme") as e:
        parse_study({**BASE, "carbon": {"landcover_classes": "modis"}}, tmp_path)
    assert "landcover.classes" in e.value.where and "igbp" in e.value.fix
