"""results.xlsx: one sheet per table, English and Chinese header rows, a units row, a legend sheet."""

from __future__ import annotations

import math

import numpy as np
import openpyxl
import pandas as pd

from ecozone.store import write_xlsx


def tables():
    capacity = pd.DataFrame({
        "level": ["county", "city"],
        "unit_id": ["101", "C1"],
        "year": [2020, 2020],
        "r_total": [0.25, np.nan],
        "state": ["overload", None],
        "population": [4e5, 1.2e6],
    })
    carbon = pd.DataFrame({
        "level": ["city"], "unit_id": ["C1"], "year": [2020], "ce_tc": [1.5e6], "zone": ["carbon_sink"],
        "emissions_filled": [True],
    })
    about = pd.DataFrame([("study", "x")], columns=["key", "value"])
    return {"about": about, "capacity": capacity, "carbon": carbon}


def sheet_rows(path, name):
    wb = openpyxl.load_workbook(path, read_only=True)
    return [list(r) for r in wb[name].iter_rows(values_only=True)]


def test_sheets_headers_units_and_values(tmp_path):
    p = tmp_path / "r.xlsx"
    write_xlsx(p, tables())
    wb = openpyxl.load_workbook(p, read_only=True)
    assert wb.sheetnames == ["about", "capacity", "carbon", "columns"]
    rows = sheet_rows(p, "capacity")
    assert rows[0] == ["Level", "Unit id", "Year", "Comprehensive index R", "Comprehensive state", "Population"]
    assert rows[1] == ["层级", "单元编码", "年份", "综合超标指数 R", "综合承载状态", "人口"]
    assert rows[2] == [None, None, None, "–", None, "persons / 人"]
    assert rows[3] == ["county", "101", 2020, 0.25, "overload", 400000]
    # missing values are empty cells, never "nan"
    assert rows[4][3] is None and rows[4][4] is None
    carbon = sheet_rows(p, "carbon")
    assert carbon[0][3] == "Carbon emissions CE" and carbon[1][3] == "碳排放 CE" and carbon[2][3] == "t C"
    assert carbon[3][3] == 1.5e6 and carbon[3][5] is True
    about = sheet_rows(p, "about")
    assert about[0] == ["Item", "Value"] and about[3] == ["study", "x"]


def test_panes_frozen_below_the_three_header_rows(tmp_path):
    p = tmp_path / "r.xlsx"
    write_xlsx(p, tables())
    wb = openpyxl.load_workbook(p)
    assert wb["capacity"].freeze_panes == "A4"


def test_legend_sheet_lists_columns_and_codes(tmp_path):
    p = tmp_path / "r.xlsx"
    write_xlsx(p, tables())
    rows = sheet_rows(p, "columns")
    assert ["capacity", "r_total", "Comprehensive index R", "综合超标指数 R", "–"] in rows
    codes = {(r[0], r[1]): (r[2], r[3]) for r in rows if r and r[0]}
    assert codes[("state", "overload")] == ("Overload", "超载")
    assert codes[("zone", "carbon_sink")] == ("Carbon sink functional zone", "碳汇功能区")


def test_long_and_clashing_sheet_names_and_header_override(tmp_path):
    p = tmp_path / "r.xlsx"
    df = pd.DataFrame({"unit_id": ["1"], "value": [math.pi]})
    write_xlsx(p, {"a_table_with_a_very_long_name_indeed_1": df, "a_table_with_a_very_long_name_indeed_2": df},
               headers={"a_table_with_a_very_long_name_indeed_1": {"value": "My value"}})
    wb = openpyxl.load_workbook(p, read_only=True)
    assert len(wb.sheetnames) == 3 and all(len(s) <= 31 for s in wb.sheetnames)
    assert len({s.lower() for s in wb.sheetnames}) == 3
    assert sheet_rows(p, wb.sheetnames[0])[0] == ["Unit id", "My value"]


def test_unit_names_follow_the_unit_id(tmp_path):
    p = tmp_path / "r.xlsx"
    names = pd.DataFrame(
        {"level": ["county", "county", "city"], "unit_id": ["101", "102", "101"],
         "name": ["一县", "二县", "一市"], "name_en": ["One County", "Two County", "One City"]}
    )
    write_xlsx(p, tables(), names=names)
    rows = sheet_rows(p, "capacity")
    assert rows[0][:5] == ["Level", "Unit id", "Name", "English name", "Year"]
    assert rows[1][2:4] == ["名称", "英文名称"]
    body = [r[:4] for r in rows[3:]]
    assert ["county", "101", "一县", "One County"] in body
    assert sheet_rows(p, "about")[0] == ["Item", "Value"]  # not keyed by unit: unchanged


def test_a_large_workbook_written_by_a_separate_process_equals_the_inline_one(tmp_path):
    """start_xlsx above its cell threshold writes the workbook in `python -m ecozone.xlsx_worker`:
    the same sheets and cells as write_xlsx in the caller's process; geometries are left out, names added."""
    import geopandas as gpd
    from shapely.geometry import Point

    from ecozone.store import start_xlsx

    t = tables()
    t["points"] = gpd.GeoDataFrame({"level": ["city"], "unit_id": ["C1"], "v": [2.5]},
                                   geometry=[Point(1, 2)], crs=4326)
    names = pd.DataFrame({"level": ["county", "city"], "unit_id": ["101", "C1"], "name": ["甲县", "乙市"],
                          "name_en": ["Jia", "Yi"], "area_km2": [1.0, 2.0]})
    inline, separate = tmp_path / "inline.xlsx", tmp_path / "separate.xlsx"
    start_xlsx(inline, t, names=names)()  # small: written at once
    wait = start_xlsx(separate, t, names=names, background_cells=0)
    wait()
    wait()  # waiting twice is harmless
    wb_a, wb_b = openpyxl.load_workbook(inline, read_only=True), openpyxl.load_workbook(separate, read_only=True)
    assert wb_a.sheetnames == wb_b.sheetnames == ["about", "capacity", "carbon", "points", "columns"]
    for name in wb_a.sheetnames:
        assert sheet_rows(inline, name) == sheet_rows(separate, name), name
    assert sheet_rows(separate, "points")[3] == ["city", "C1", "乙市", "Yi", 2.5]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inline.xlsx", "separate.xlsx"]  # no job folder left


def test_a_failing_workbook_process_is_a_clear_error(tmp_path):
    from ecozone.errors import EcozoneError
    from ecozone.store import start_xlsx

    target = tmp_path / "out.xlsx"
    target.mkdir()  # a folder where the file should go: XlsxWriter cannot write it
    wait = start_xlsx(target, tables(), background_cells=0)
    try:
        wait()
    except EcozoneError as e:
        assert "writing the workbook failed" in str(e) and e.where == "out.xlsx" and e.fix
    else:
        raise AssertionError("no error")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]
