"""Shipped carbon tables and their validation."""

from __future__ import annotations

import numpy as np
import pytest

from ecozone.carbon.params import CarbonParams
from ecozone.carbon.tables import (
    INDEX_NODATA,
    INDEX_NON_VEGETATED,
    INDEX_UNKNOWN,
    landcover_lut,
    load_coefficients,
    load_landcover_table,
    load_vegetation_table,
    vegetation_index,
)
from ecozone.errors import ParameterError


def test_vegetation_table_is_methods_table():
    v = load_vegetation_table().set_index("vegetation_type")
    assert len(v) == 9
    assert v.loc["evergreen_broadleaf_forest", "epsilon_max"] == 0.985
    assert v.loc["evergreen_broadleaf_forest", "ndvi_max"] == 0.676
    assert v.loc["deciduous_needleleaf_forest", "ndvi_max"] == 0.738
    assert (v["ndvi_min"] == 0.023).all()
    assert v.loc["cropland", "epsilon_max"] == 0.542
    assert v["source"].str.len().min() > 10


@pytest.mark.parametrize("legend", ["igbp", "resdc", "clcd"])
def test_landcover_tables_load_and_name_non_vegetated(legend):
    lc = load_landcover_table(legend)
    assert (lc["source"].str.len() > 5).all()
    assert (lc["vegetation_type"] == "non_vegetated").any()
    assert lc["code"].is_unique


def test_landcover_mappings_follow_methods():
    resdc = load_landcover_table("resdc").set_index("code")["vegetation_type"]
    assert resdc[11] == resdc[12] == "cropland"
    assert resdc[21] == "mixed_forest" and resdc[22] == "shrub"
    assert resdc[23] == resdc[24] == "other_vegetation"
    assert resdc[31] == resdc[32] == resdc[33] == "grassland"
    for code in (41, 42, 43, 44, 51, 52, 53, 61, 65, 66):
        assert resdc[code] == "non_vegetated"
    igbp = load_landcover_table("igbp").set_index("code")["vegetation_type"]
    assert list(igbp.index[igbp.index <= 17]) == list(range(1, 18))
    assert igbp[2] == "evergreen_broadleaf_forest" and igbp[13] == igbp[17] == "non_vegetated"


def test_lut_and_vegetation_index():
    types = load_vegetation_table()["vegetation_type"].tolist()
    lut = landcover_lut(load_landcover_table("clcd", types), types)
    lc = np.array([[1, 2, 5], [0, 10, 255]])
    vt = vegetation_index(lc, lut)
    assert vt[0, 0] == types.index("cropland")
    assert vt[0, 1] == types.index("mixed_forest")
    assert vt[0, 2] == INDEX_NON_VEGETATED
    assert vt[1, 0] == INDEX_NODATA  # 0 = CLCD no data
    assert vt[1, 1] == INDEX_UNKNOWN and vt[1, 2] == INDEX_UNKNOWN
    assert vegetation_index(lc, lut, nodata=10)[1, 1] == INDEX_NODATA


def test_user_landcover_table(tmp_path):
    f = tmp_path / "lc.csv"
    f.write_text("code,vegetation_type\n1,cropland\n2,mixed_forest\n3,non_vegetated\n")
    t = load_landcover_table(str(f))
    assert t["code"].tolist() == [1, 2, 3]
    bad = tmp_path / "bad.csv"
    bad.write_text("code,vegetation_type\n1,cropland\n7,jungle\n")
    with pytest.raises(ParameterError) as e:
        load_landcover_table(str(bad))
    assert "jungle" in e.value.what and "row 3" in e.value.where
    with pytest.raises(ParameterError, match="unknown land-cover class scheme"):
        load_landcover_table("modis")
    missing = tmp_path / "nocol.csv"
    missing.write_text("klass,vegetation_type\n1,cropland\n")
    with pytest.raises(ParameterError, match="code"):
        load_landcover_table(str(missing))


def test_user_vegetation_table_validated(tmp_path):
    f = tmp_path / "eps.csv"
    f.write_text("vegetation_type,epsilon_max,ndvi_min,ndvi_max\ncropland,0.6,0.7,0.2\n")
    with pytest.raises(ParameterError, match="ndvi_min < ndvi_max"):
        load_vegetation_table(f)


def test_coefficients_table():
    c = load_coefficients().set_index("coefficient_class")["delta_tc_per_ha_yr"]
    assert c["forest"] == -0.644 and c["grassland"] == -0.021 and c["water"] == -0.253
    assert c["unused"] == -0.005 and c["cropland"] == 0.422


def test_params_from_study_sections():
    p = CarbonParams.model_validate(
        {
            "landcover_classes": "resdc",
            "nep_on": "all",
            "casa": {"ndvi_extremes": "table", "t2_constant": 1.184},
        }
    )
    assert p.casa.t2_constant == 1.184 and p.nep_on == "all"
    with pytest.raises(ValueError):
        CarbonParams.model_validate({"casa": {"ndvi_extremes": "both"}})
    with pytest.raises(ValueError):
        CarbonParams.model_validate({"casa": {"alpha_typo": 1}})
    with pytest.raises(ValueError):
        CarbonParams.model_validate({"casa": {"fpar_min": 0.9, "fpar_max": 0.5}})
