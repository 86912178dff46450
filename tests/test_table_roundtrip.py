"""Property: any table the readers accept comes back from the store unchanged.

Hypothesis writes random tables as a user would (CSV text with odd ids,
Chinese text, missing-value markers, scientific notation), reads them with
:func:`ecozone.inputs.tables.load_table`, writes the accepted table with
:func:`ecozone.store.write_gpkg` and reads it back with pyogrio and
:func:`ecozone.store.read_results`: same columns, same values (missing stays
missing), numeric columns stay numeric and text stays text.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ecozone.errors import InputError
from ecozone.inputs.tables import (
    AIR_POLLUTANTS,
    MISSING_MARKERS,
    WATER_CLASSES,
    WATER_POLLUTANTS,
    load_table,
)
from ecozone.inputs.units import build_units
from ecozone.store import read_results, write_gpkg
from ecozone.study import DEFAULT_AREA_CRS

from small_study import counties

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def units_frame():
    return build_units(counties(), levels={"county": "unit_id", "city": "city_id"}, area_crs=DEFAULT_AREA_CRS).frame


# ids as users write them: adcodes, leading zeros, Chinese names, numbers that look like floats
_id_chars = st.sampled_from(list("0123456789ABCxyz_-") + ["区", "县", "市", "·"])
ids = st.text(_id_chars, min_size=1, max_size=8).filter(lambda s: s.strip() == s and s not in ("-", "--"))
markers = st.sampled_from(list(MISSING_MARKERS) + ["ＮＡ", " / "])


def number(lo: float, hi: float):
    """A number as text: plain, scientific or with full-width digits."""
    return st.floats(lo, hi, allow_nan=False).flatmap(
        lambda x: st.sampled_from([repr(x), f"{x:.6e}", f"{x:.3f}".translate(str.maketrans("0123456789", "０１２３４５６７８９"))])
    )


def cell(lo: float, hi: float):
    return st.one_of(number(lo, hi), number(lo, hi), markers)


@st.composite
def air(draw):
    uids = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
    years = draw(st.lists(st.integers(1990, 2030), min_size=1, max_size=2, unique=True))
    pols = draw(st.lists(st.sampled_from(AIR_POLLUTANTS), min_size=1, max_size=6, unique=True))
    rows = []
    for u in uids:
        for y in years:
            for p in pols:
                v = draw(cell(0, 40) if p == "CO" else cell(0, 1500))
                unit = "mg/m3" if p == "CO" else draw(st.sampled_from(["ug/m3", "µg/m³", "μg/m3"]))
                rows.append((u, str(y), draw(st.sampled_from([p, p.lower()])), v, unit))
    return pd.DataFrame(rows, columns=["unit_id", "year", "pollutant", "value", "unit"])


@st.composite
def water(draw):
    sections = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
    rows = []
    for s in sections:
        u = draw(ids)
        body = draw(st.sampled_from(["river", "lake", "河流", "水库"]))
        cls = draw(st.sampled_from([*WATER_CLASSES, "Ⅲ", "2"]))
        for p in draw(st.lists(st.sampled_from(WATER_POLLUTANTS), min_size=1, max_size=6, unique=True)):
            rows.append((s, u, "2020", body, cls, p, draw(cell(0, 900))))
    return pd.DataFrame(rows, columns=["section_id", "unit_id", "year", "waterbody", "target_class", "pollutant", "value"])


@st.composite
def economy(draw):
    uids = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    years = draw(st.lists(st.integers(1990, 2030), min_size=1, max_size=3, unique=True))
    rows = [(u, str(y), draw(cell(1, 1e13)), draw(cell(1, 1e8))) for u in uids for y in years]
    return pd.DataFrame(rows, columns=["unit_id", "year", "gdp", "population"])


@st.composite
def emissions(draw):
    uids = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
    years = draw(st.lists(st.integers(1990, 2030), min_size=1, max_size=4, unique=True))
    rows = [(u, str(y), draw(cell(0, 1e8)), draw(st.sampled_from(["t CO2", "Mt CO2", "kt C", "t C"])))
            for u in uids for y in years]
    return pd.DataFrame(rows, columns=["unit_id", "year", "value", "unit"])


def accepted(name: str, raw: pd.DataFrame, folder: Path) -> pd.DataFrame:
    """The table as a user's CSV file, read and validated (examples the readers reject are skipped)."""
    path = folder / f"{name}.csv"
    raw.to_csv(path, index=False, encoding="utf-8")
    try:
        return load_table(name, path)
    except InputError as e:
        assume("missing its value" not in str(e))  # every value marked missing: a rejection, not a round trip
        raise


def assert_round_trip(name: str, table: pd.DataFrame, folder: Path) -> None:
    write_gpkg(folder / "results.gpkg", units_frame(), {name: table})
    back = pyogrio.read_dataframe(folder / "results.gpkg", layer=name)
    via_store = read_results(folder)[name]
    for got in (back, via_store):
        assert list(got.columns) == list(table.columns)
        assert len(got) == len(table)
        for c in table.columns:
            a, b = table[c], got[c]
            if pd.api.types.is_numeric_dtype(a):
                assert pd.api.types.is_numeric_dtype(b), (c, b.dtype)
                assert a.dtype.kind == b.dtype.kind, (c, a.dtype, b.dtype)
                np.testing.assert_array_equal(a.to_numpy(dtype=float), b.to_numpy(dtype=float), err_msg=c)
            else:
                assert not pd.api.types.is_numeric_dtype(b), (c, b.dtype)
                assert a.astype(str).tolist() == b.astype(str).tolist(), c


@pytest.mark.parametrize("name, strategy", [("air", air()), ("water", water()), ("economy", economy()),
                                            ("emissions", emissions())])
def test_accepted_tables_round_trip_through_the_store(name, strategy):
    @SETTINGS
    @given(raw=strategy)
    def check(raw):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            table = accepted(name, raw, folder)
            assert_round_trip(name, table, folder)

    check()


def test_round_trip_keeps_a_missing_gdp_and_text_ids(tmp_path):
    """By hand: '007' stays text, 2015 an integer, a '—' GDP a missing number."""
    raw = pd.DataFrame({"unit_id": ["007", "420101"], "year": ["2015", "2015"], "gdp": ["—", "1.5e9"], "population": ["10", "20"]})
    table = accepted("economy", raw, tmp_path)
    assert_round_trip("economy", table, tmp_path)
    back = pyogrio.read_dataframe(tmp_path / "results.gpkg", layer="economy")
    assert back["unit_id"].tolist() == ["007", "420101"]
    assert back["year"].tolist() == [2015, 2015]
    assert np.isnan(back["gdp"].iloc[0]) and back["gdp"].iloc[1] == 1.5e9
