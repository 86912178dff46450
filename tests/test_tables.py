import pandas as pd
import pytest

from ecozone.errors import InputError
from ecozone.inputs.tables import C_PER_CO2, load_table, validate_table

from small_study import tables

IDS = {"101", "102", "103", "104", "105", "106", "C1", "C2", "AG"}


def v(name, df, **kw):
    return validate_table(name, df, where=f"{name}.csv", unit_ids=IDS, **kw)


def test_air_canonical_units_and_aliases():
    df = pd.DataFrame(
        {
            "unit_id": ["101", "101", "101"],
            "year": ["2020", "2020", "2020"],
            "pollutant": ["pm2.5", "CO", "O3-8h"],
            "value": ["0.035", "1200", "150"],
            "unit": ["mg/m3", "ug/m3", "µg/m³"],
        }
    )
    out = v("air", df)
    assert list(out["pollutant"]) == ["PM2.5", "CO", "O3"]
    assert out["value"].tolist() == pytest.approx([35.0, 1.2, 150.0])
    assert list(out["unit"]) == ["ug/m3", "mg/m3", "ug/m3"]


def test_co_in_ugm3_without_saying_so_is_flagged():
    df = pd.DataFrame({"unit_id": ["101"], "year": [2020], "pollutant": ["CO"], "value": [1100.0], "unit": ["mg/m3"]})
    with pytest.raises(InputError) as e:
        v("air", df)
    assert "row 2" in str(e.value) and "1000x" in str(e.value) and "ug/m3" in e.value.fix


def test_unknown_pollutant_names_row_and_allowed_values():
    df = tables()["air"].head(3).copy()
    df.loc[2, "pollutant"] = "PM1"
    with pytest.raises(InputError) as e:
        v("air", df)
    assert "row 4" in str(e.value) and "'PM1'" in str(e.value) and "PM2.5" in e.value.fix


def test_non_numeric_and_negative_values():
    df = tables()["air"].head(3).copy().astype(str)
    df.loc[1, "value"] = "35 ug"
    with pytest.raises(InputError, match="row 3, column 'value': value '35 ug' is not a number"):
        v("air", df)
    df = tables()["air"].head(3).copy()
    df.loc[0, "value"] = -3
    with pytest.raises(InputError, match="row 2, column 'value'.*must be >= 0"):
        v("air", df)


def test_empty_table_is_an_error():
    with pytest.raises(InputError, match="empty"):
        v("air", tables()["air"].head(0))


def test_missing_columns_are_listed():
    with pytest.raises(InputError) as e:
        v("air", tables()["air"].drop(columns=["unit"]))
    assert "'unit'" in str(e.value)


def test_water_section_without_target_class():
    df = tables()["water"].head(6).copy()
    df.loc[3, "target_class"] = None
    with pytest.raises(InputError) as e:
        v("water", df)
    assert "row 5, column 'target_class' is empty" in str(e.value) and "I-V" in e.value.fix


def test_water_unknown_class_and_aliases():
    df = tables()["water"].head(6).copy()
    df["target_class"] = "3"
    df.loc[0, "pollutant"] = "氨氮"
    df = df.drop_duplicates(subset=["pollutant"]).copy()
    out = v("water", df.iloc[[0, 2, 3, 4, 5]])
    assert set(out["target_class"]) == {"III"} and "NH3-N" in set(out["pollutant"])
    df2 = tables()["water"].head(6).copy()
    df2["target_class"] = "VI"
    with pytest.raises(InputError, match="'VI' is not one of the allowed values"):
        v("water", df2)


def test_water_section_with_two_classes():
    df = tables()["water"].head(6).copy()
    df.loc[5, "target_class"] = "II"
    with pytest.raises(InputError, match="section 'S1010' has 2 different values in column 'target_class'"):
        v("water", df)


def test_economy_declared_units_convert():
    df = pd.DataFrame({"unit_id": ["101"], "year": [2020], "gdp": [123.4], "population": [56.7]})
    out = v("economy", df, declared_units={"gdp": "1e4 CNY", "population": "万人"})
    assert out["gdp"].iloc[0] == pytest.approx(1.234e6)
    assert out["population"].iloc[0] == pytest.approx(567000)
    with pytest.raises(InputError, match="unknown unit 'dollars'"):
        v("economy", df, declared_units={"gdp": "dollars"})


def test_emissions_to_tonnes_carbon():
    df = pd.DataFrame(
        {"unit_id": ["101"] * 3, "year": [2015, 2016, 2017], "value": [44.0, 1.0, 5.0], "unit": ["t CO2", "Mt CO2", "t C"]}
    )
    out = v("emissions", df)
    assert out["value_tc"].tolist() == pytest.approx([12.0, 1e6 * C_PER_CO2, 5.0])
    df.loc[0, "unit"] = "kg CO2"
    with pytest.raises(InputError, match="unknown emission unit 'kg CO2'"):
        v("emissions", df)


def test_duplicate_keys_and_unknown_ids():
    df = tables()["economy"].head(2).copy()
    df.loc[1, "unit_id"] = "101"
    with pytest.raises(InputError, match="rows 2, 3 repeat the same key"):
        v("economy", df)
    df = tables()["economy"].head(2).copy()
    df.loc[1, "unit_id"] = "999"
    with pytest.raises(InputError, match="row 3: unit_id '999' is not a unit"):
        v("economy", df)


def test_csv_xlsx_parquet_read_the_same(tmp_path):
    df = tables()["economy"]
    df.to_csv(tmp_path / "e.csv", index=False)
    df.to_excel(tmp_path / "e.xlsx", index=False)
    df.to_parquet(tmp_path / "e.parquet")
    outs = [load_table("economy", tmp_path / f, unit_ids=IDS) for f in ("e.csv", "e.xlsx", "e.parquet")]
    for o in outs[1:]:
        pd.testing.assert_frame_equal(outs[0], o, check_dtype=False)
    with pytest.raises(InputError, match="unsupported table format"):
        (tmp_path / "e.json").write_text("{}")
        load_table("economy", tmp_path / "e.json")
