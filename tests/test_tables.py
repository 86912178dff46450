import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecozone.errors import InputError
from ecozone.inputs.tables import C_PER_CO2, MISSING_MARKERS, load_table, read_frame, validate_table

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


# ---------------------------------------------------------------- missing-value markers and reading

_AIR_HEADER = "unit_id,year,pollutant,value,unit\n"


def test_every_marker_is_read_as_missing_and_counted(tmp_path):
    """One air row per marker (and full-width / other-case forms) plus two measured rows: the marked rows
    are left out, the note counts them per marker."""
    markers = [m for m in MISSING_MARKERS if m] + ["ＮＡ", "Ｎ／Ａ", "na", " — "]
    lines = [f"101,2015,PM2.5,{m},ug/m3" for m in markers] + ["102,2015,PM2.5,35,ug/m3", "102,2015,PM10,１２０,ug/m3"]
    # distinct keys: one unit per marker row
    lines = [ln.replace("101,", f"{200 + k},", 1) if ln.startswith("101,") else ln for k, ln in enumerate(lines)]
    p = tmp_path / "air.csv"
    p.write_text(_AIR_HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    out = load_table("air", p)
    assert out[["unit_id", "pollutant"]].values.tolist() == [["102", "PM2.5"], ["102", "PM10"]]
    assert out["value"].tolist() == [35.0, 120.0]  # full-width digits are digits
    notes = out.attrs["notes"]
    n = len(markers)
    assert any(f"column 'value': {n} cell(s) read as missing" in x for x in notes), notes
    assert any(f"{n} row(s) without a value in 'value' left out" in x for x in notes), notes
    assert "'—' ×2" in notes[0] and "'ＮＡ' ×1" in notes[0]  # ' — ' is '—' without its spaces


def test_economy_keeps_a_missing_value_and_drops_an_empty_row(tmp_path):
    p = tmp_path / "economy.csv"
    p.write_text("unit_id,year,gdp,population\n101,2015,/,300\n102,2015,无,－\n103,2015,5e9,1\n", encoding="utf-8")
    out = load_table("economy", p, unit_ids=IDS)
    assert out["unit_id"].tolist() == ["101", "103"]
    assert np.isnan(out["gdp"].iloc[0]) and out["population"].iloc[0] == 300.0
    assert out["gdp"].iloc[1] == 5e9
    assert out["gdp"].dtype == np.float64 and out["year"].dtype.kind == "i"
    notes = " | ".join(out.attrs["notes"])
    assert "column 'gdp': 2 cell(s) read as missing ('/' ×1, '无' ×1)" in notes
    assert "column 'population': 1 cell(s) read as missing ('－' ×1)" in notes
    assert "1 row(s) without a value in 'gdp' or 'population' left out" in notes


def test_blank_lines_keep_row_numbers_and_are_noted(tmp_path):
    p = tmp_path / "air.csv"
    p.write_text(_AIR_HEADER + "101,2015,PM2.5,35,ug/m3\n\n,,,,\n101,2015,PM10,7 ug,ug/m3\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_table("air", p)
    assert "row 5, column 'value': value '7 ug' is not a number" in str(e.value)
    p.write_text(_AIR_HEADER + "101,2015,PM2.5,35,ug/m3\n\n,,,,\n", encoding="utf-8")
    out = load_table("air", p)
    assert len(out) == 1 and any("2 empty row(s) skipped" in x for x in out.attrs["notes"])


@pytest.mark.parametrize(
    "cell, fix",
    [
        ("35 ug", "write the number only"),
        ("1,234", "remove the thousands separators ('1,234' → '1234')"),
        ("<0.01", "below a detection limit"),
        ("＜0.01", "below a detection limit"),
        ("inf", "numbers only"),
        ("nan%", "numbers only"),
        ("未检出", "numbers only"),
    ],
)
def test_other_text_in_numbers_is_an_error_with_its_fix(cell, fix):
    df = tables()["air"].head(3).astype(str)
    df.loc[1, "value"] = cell
    with pytest.raises(InputError) as e:
        v("air", df)
    assert f"row 3, column 'value': value {cell!r} is not a number" in str(e.value)
    assert fix in e.value.fix
    if fix == "numbers only":
        assert "—" in e.value.fix and "无" in e.value.fix  # the markers are listed


def test_marker_in_a_key_column_is_an_empty_cell():
    df = tables()["economy"].head(3).astype(str)
    df.loc[2, "year"] = "—"
    with pytest.raises(InputError, match=r"row 4, column 'year' is empty \(it holds '—', read as missing\)"):
        v("economy", df)
    df = tables()["economy"].head(3).astype(str)
    df.loc[1, "unit_id"] = "NA"
    with pytest.raises(InputError, match=r"row 3, column 'unit_id' is empty \(it holds 'NA'"):
        v("economy", df)


def test_whole_years_only():
    df = tables()["economy"].head(2).astype(str)
    df.loc[0, "year"] = "2015.5"
    with pytest.raises(InputError, match="row 2, column 'year': 2015.5 is not a whole number"):
        v("economy", df)
    df.loc[0, "year"] = "2015.0"
    assert v("economy", df)["year"].tolist() == [2015, 2015]


def test_negative_emissions_are_an_error():
    df = pd.DataFrame({"unit_id": ["101"], "year": [2015], "value": [-1.0], "unit": ["t CO2"]})
    with pytest.raises(InputError, match="row 2, column 'value': value -1 must be >= 0"):
        v("emissions", df)


def test_reading_errors_name_the_problem(tmp_path):
    cases = {
        "empty.csv": (b"", "the file is empty (0 bytes)"),
        "ragged.csv": (b"a,b\n1,2\n1,2,3\n", "row 3 has 3 cells where the header has 2"),
        "dup.csv": (b"unit_id,gdp,gdp\n1,2,3\n", "column 'gdp' appears more than once"),
        "noname.csv": (b"unit_id,,gdp\n1,2,3\n", "column 2 has data but no name"),
        "binary.csv": (b"a,b\n\x80\xff,1\n", "neither UTF-8 nor GBK/GB18030"),
        "t.xlsx": (b"unit_id,year\n", "is not an Excel workbook"),
        "t.xls": (b"unit_id,year\n", "save the workbook as .xlsx"),
    }
    for name, (data, msg) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(InputError) as e:
            read_frame(tmp_path / name)
        assert msg in str(e.value) + (e.value.fix or ""), (name, str(e.value))
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(InputError, match="is a folder"):
        read_frame(tmp_path / "folder.csv")


def test_gbk_csv_is_read_with_a_note_and_empty_unnamed_columns_dropped(tmp_path):
    p = tmp_path / "economy.csv"
    p.write_bytes("unit_id,year,gdp,population,\n101,2015,5e9,1000,\n".encode("gb18030") + "102,2015,无,1000,\n".encode("gb18030"))
    df = read_frame(p)
    assert list(df.columns) == ["unit_id", "year", "gdp", "population"]
    assert any("read as GB18030" in n for n in df.attrs["notes"])
    out = validate_table("economy", df, where=str(p))
    assert np.isnan(out["gdp"].iloc[1]) and any("read as GB18030" in n for n in out.attrs["notes"])


def test_excel_sheets_are_named(tmp_path):
    p = tmp_path / "e.xlsx"
    with pd.ExcelWriter(p) as w:
        tables()["economy"].to_excel(w, sheet_name="2015", index=False)
    assert len(read_frame(p, "2015")) == len(tables()["economy"])
    with pytest.raises(InputError, match=r"has no sheet '2020' \(sheets: 2015\)"):
        read_frame(p, "2020")
    with pytest.raises(InputError, match="has no sheet number 3"):
        read_frame(p, 3)


def test_chinese_headers_get_rename_hints():
    df = tables()["economy"].rename(columns={"year": "年份", "gdp": "地区生产总值", "population": "常住人口"})
    with pytest.raises(InputError) as e:
        v("economy", df)
    assert "年份 → year" in e.value.fix and "地区生产总值 → gdp" in e.value.fix and "常住人口 → population" in e.value.fix
    df = tables()["economy"].rename(columns={"unit_id": "Unit_ID"})
    with pytest.raises(InputError) as e:
        v("economy", df)
    assert "Unit_ID → unit_id" in e.value.fix


_text = st.text(alphabet=st.characters(categories=("L", "P", "S", "Zs")), min_size=1, max_size=6)
_markers = st.sampled_from([m for m in MISSING_MARKERS] + ["ＮＡ", "n/A", " / "])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    gdp=st.lists(st.one_of(st.floats(1e3, 1e13), _markers), min_size=1, max_size=12),
)
def test_property_markers_are_missing_numbers_are_kept(gdp):
    """Economy GDP cells: every number comes out equal, every marker as NaN, counted in the note;
    a row whose GDP is missing keeps its population."""
    n = len(gdp)
    df = pd.DataFrame(
        {
            "unit_id": [f"U{k}" for k in range(n)],
            "year": ["2015"] * n,
            "gdp": [repr(x) if isinstance(x, float) else x for x in gdp],
            "population": ["1000"] * n,
        }
    )
    out = validate_table("economy", df, where="e.csv")
    assert len(out) == n
    for x, y in zip(gdp, out["gdp"], strict=True):
        if isinstance(x, float):
            assert y == x
        else:
            assert np.isnan(y)
    n_missing = sum(not isinstance(x, float) for x in gdp)
    notes = " | ".join(out.attrs["notes"])
    if n_missing:
        assert f"column 'gdp': {n_missing} cell(s) read as missing" in notes
    else:
        assert "read as missing" not in notes


@settings(max_examples=60, deadline=None)
@given(row=st.integers(0, 11), text=_text)
def test_property_other_text_is_rejected_at_its_row(row, text):
    """Any text that is neither a number nor a marker, in any row of a numeric column, is an error
    naming that row (header = row 1), the column and the value."""
    from ecozone.inputs.tables import is_missing_marker

    if is_missing_marker(text):
        return
    try:
        float(text.replace(" ", ""))
        return  # a number after all ("∞" is not, but "1" from another script may be)
    except ValueError:
        pass
    df = tables()["economy"].astype(str)
    df.loc[row, "population"] = text
    with pytest.raises(InputError) as e:
        v("economy", df)
    assert f"row {row + 2}, column 'population': value {text.strip()!r} is not a number" in str(e.value)


def test_title_row_above_the_header_is_named(tmp_path):
    """A statistical sheet with a title in A1 and the header in row 2."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2015年各县经济"])
    ws.append(["unit_id", "year", "gdp", "population"])
    ws.append(["101", 2015, 5e9, 1000])
    wb.save(tmp_path / "e.xlsx")
    with pytest.raises(InputError) as e:
        load_table("economy", tmp_path / "e.xlsx")
    assert "column 2 has data but no name in the header (row 1)" in str(e.value)
    assert "row 2 looks like the header" in e.value.fix
    # the same table handed over with the title as its only named column
    df = pd.DataFrame({"2015年各县经济": ["unit_id", "101"], "x": ["year", "2015"], "y": ["gdp", "5e9"], "z": ["population", "1"]})
    with pytest.raises(InputError) as e:
        v("economy", df)
    assert "the header names are in row 2" in e.value.fix


def test_bad_date_says_how_to_write_dates():
    df = pd.DataFrame({"unit_id": ["101", "101"], "date": ["2020-01-01", "2020-13-45"], "pollutant": ["PM2.5"] * 2,
                       "value": ["35", "—"]})
    with pytest.raises(InputError) as e:
        v("air_daily", df)
    assert "row 3, column 'date': value '2020-13-45' is not a date" in str(e.value) and "YYYY-MM-DD" in e.value.fix
    df.loc[1, "date"] = "2020-01-02"
    out = v("air_daily", df)
    assert np.isnan(out["value"].iloc[1]) and len(out) == 2  # a missing day stays a row (it counts as missing)
