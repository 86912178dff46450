"""The carbon run on the small study: emissions given directly for an upper unit, raster tags."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyogrio
import rasterio

from ecozone.run import run_study
from ecozone.study import load_study


def test_upper_unit_emissions_filled_flag_bounds_and_raster_tags(small_study, tmp_path):
    # city C2 reports its own emissions (not its counties') and its 2020 value is missing
    em = pd.read_csv(small_study / "emissions.csv", dtype={"unit_id": str})
    c2 = em[em["unit_id"].isin(["104", "105", "106"])].groupby("year", as_index=False)["value"].sum()
    c2 = c2.assign(unit_id="C2", unit="t CO2")[c2["year"] != 2020]
    c2["value"] *= 1 + 0.02 * np.random.default_rng(3).standard_normal(len(c2))  # a real series is not a line
    em = pd.concat([em[~em["unit_id"].isin(["104", "105", "106"])], c2], ignore_index=True)
    em.to_csv(small_study / "emissions.csv", index=False)
    toml = small_study / "ecozone.toml"  # a smaller ARIMA grid keeps the test fast
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[carbon.emissions]\nmax_p = 1\nmax_q = 1\n", encoding="utf-8")

    res = run_study(load_study(small_study / "ecozone.toml"), out=tmp_path / "out", only=["carbon"], report=False)
    carbon = res.tables["carbon"].set_index(["level", "unit_id", "year"])
    row = carbon.loc[("city", "C2", 2020)]
    assert bool(row["emissions_filled"]) and np.isfinite(row["ce_tc"])
    assert row["ce_lower_tc"] < row["ce_tc"] < row["ce_upper_tc"]
    assert not bool(carbon.loc[("city", "C1", 2020), "emissions_filled"])
    assert np.isnan(carbon.loc[("city", "C1", 2020), "ce_lower_tc"])
    assert not bool(carbon.loc[("city", "C2", 2015), "emissions_filled"])

    fill = pyogrio.read_dataframe(tmp_path / "out" / "results.gpkg", layer="carbon_emissions_fill")
    assert fill[["level", "unit_id", "year"]].astype(str).values.tolist() == [["city", "C2", "2020"]]

    with rasterio.open(tmp_path / "out" / "rasters" / "npp_2020.tif") as src:
        tags = src.tags(1)
    assert "net primary" in tags.get("long_name", "").lower() and tags.get("units") == "gC m-2 yr-1"
