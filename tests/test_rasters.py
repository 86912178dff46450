import numpy as np
import pytest
import rasterio
from affine import Affine

from ecozone.errors import InputError
from ecozone.inputs import rasters as r
from ecozone.study import load_study

from small_study import RES, X0, Y0, H, W, _write_raster


def open_study(root):
    st = load_study(root)
    rs = r.discover(st)
    return st, rs


def test_discover_and_open_on_reference_grid(small_study):
    st, rs = open_study(small_study)
    assert rs.grid.shape == (H, W)
    assert rs.reference.name == "lc_2015.tif"
    assert all(not m for m in rs.missing.values())
    assert r.validate_rasters(st, rs) == []
    nd = r.open_monthly(st, rs, "ndvi", 2015)
    assert nd.shape == (12, H, W) and nd.dtype == np.float32
    assert nd.chunks[0] == (1,) * 12  # a chunk per month: the kernel takes them as a list, no concatenation
    with rasterio.open(small_study / "rasters/ndvi_2015_03.tif") as ds:
        np.testing.assert_array_equal(nd.sel(month=3).values, ds.read(1))
    lc = r.open_landcover(st, rs, 2020)
    assert lc.shape == (H, W) and lc.dtype.kind in "ui"


def test_missing_months_are_listed_by_name(small_study):
    (small_study / "rasters/pre_2020_02.tif").unlink()
    (small_study / "rasters/pre_2020_11.tif").unlink()
    st, rs = open_study(small_study)
    assert rs.missing["precipitation"] == ["rasters/pre_2020_02.tif", "rasters/pre_2020_11.tif"]
    with pytest.raises(InputError) as e:
        r.validate_rasters(st, rs)
    assert "2 precipitation file(s) missing: rasters/pre_2020_02.tif, rasters/pre_2020_11.tif" in str(e.value)


def test_ndvi_out_of_range_names_file_and_pixel(small_study):
    p = small_study / "rasters/ndvi_2015_07.tif"
    with rasterio.open(p) as ds:
        a = ds.read(1)
    a[4, 9] = 2.0
    _write_raster(p, a)
    st, rs = open_study(small_study)
    with pytest.raises(InputError) as e:
        r.validate_rasters(st, rs)
    msg = str(e.value)
    assert "ndvi_2015_07.tif" in msg and "pixel row 4, col 9" in msg and "ndvi = 2" in msg
    assert "scale_factor = 0.0001" in e.value.fix


def test_scaled_integer_ndvi_accepted_when_declared(small_study):
    for m in range(1, 13):
        for y in (2015, 2020):
            p = small_study / f"rasters/ndvi_{y}_{m:02d}.tif"
            with rasterio.open(p) as ds:
                a = ds.read(1)
            _write_raster(small_study / f"rasters/ndvi_{y}_{m:02d}.tif", np.round(a * 10000), dtype="int16", nodata=-32768)
    st, rs = open_study(small_study)
    with pytest.raises(InputError, match="outside -1...1"):
        r.validate_rasters(st, rs)
    toml = (small_study / "ecozone.toml").read_text().replace(
        'ndvi = "rasters/ndvi_{year}_{month:02d}.tif"',
        'ndvi = { pattern = "rasters/ndvi_{year}_{month:02d}.tif", scale_factor = 0.0001 }',
    )
    (small_study / "ecozone.toml").write_text(toml)
    st, rs = open_study(small_study)
    r.validate_rasters(st, rs)
    nd = r.open_monthly(st, rs, "ndvi", 2015).values
    assert np.nanmax(nd) <= 1 and np.nanmin(nd) >= -1


def test_kelvin_is_flagged_and_converted_when_declared(small_study):
    for y in (2015, 2020):
        for m in range(1, 13):
            p = small_study / f"rasters/tmp_{y}_{m:02d}.tif"
            with rasterio.open(p) as ds:
                a = ds.read(1)
            _write_raster(p, a + 273.15)
    st, rs = open_study(small_study)
    with pytest.raises(InputError, match="looks like Kelvin"):
        r.validate_rasters(st, rs)
    toml = (small_study / "ecozone.toml").read_text().replace(
        'temperature = "rasters/tmp_{year}_{month:02d}.tif"',
        'temperature = { pattern = "rasters/tmp_{year}_{month:02d}.tif", unit = "K" }',
    )
    (small_study / "ecozone.toml").write_text(toml)
    st, rs = open_study(small_study)
    r.validate_rasters(st, rs)
    t = r.open_monthly(st, rs, "temperature", 2015).values
    assert 0 < np.nanmean(t) < 30


def test_radiation_in_watts_is_flagged(small_study):
    for m in range(1, 13):
        p = small_study / f"rasters/sol_2020_{m:02d}.tif"
        with rasterio.open(p) as ds:
            a = ds.read(1)
        _write_raster(p, a / 2.6)  # MJ m-2 month-1 -> mean W m-2
    st, rs = open_study(small_study)
    with pytest.raises(InputError) as e:
        r.validate_rasters(st, rs)
    assert "W m-2" in str(e.value) and "2020" in str(e.value)


def test_watts_converted_with_month_length(small_study):
    toml = (small_study / "ecozone.toml").read_text().replace(
        'radiation = "rasters/sol_{year}_{month:02d}.tif"',
        'radiation = { pattern = "rasters/sol_{year}_{month:02d}.tif", unit = "W m-2" }',
    )
    (small_study / "ecozone.toml").write_text(toml)
    st, rs = open_study(small_study)
    sol = r.open_monthly(st, rs, "radiation", 2015)
    with rasterio.open(small_study / "rasters/sol_2015_02.tif") as ds:
        raw = ds.read(1)
    # February 2015: 28 days * 86400 s / 1e6 = 2.4192 MJ per W m-2
    np.testing.assert_allclose(sol.sel(month=2).values, raw * 2.4192, rtol=1e-6)


def test_grid_mismatch_is_an_error(small_study):
    p = small_study / "rasters/pre_2015_05.tif"
    with rasterio.open(p) as ds:
        a = ds.read(1)
    with rasterio.open(
        p, "w", driver="GTiff", width=W, height=H, count=1, dtype="float32", crs="EPSG:4326",
        transform=Affine(RES, 0, X0 + 5, 0, -RES, Y0), nodata=-9999,
    ) as dst:
        dst.write(a, 1)
    st, rs = open_study(small_study)
    with pytest.raises(InputError) as e:
        r.validate_rasters(st, rs)
    assert "grid mismatch" in str(e.value) and "pre_2015_05.tif" in str(e.value)


def test_other_resolution_is_resampled_on_the_fly(small_study):
    # a 2x finer temperature raster of a constant 12.5 °C lands on the reference grid unchanged
    for m in range(1, 13):
        p = small_study / f"rasters/tmp_2015_{m:02d}.tif"
        with rasterio.open(
            p, "w", driver="GTiff", width=2 * W, height=2 * H, count=1, dtype="float32", crs="EPSG:4326",
            transform=Affine(RES / 2, 0, X0, 0, -RES / 2, Y0), nodata=-9999,
        ) as dst:
            dst.write(np.full((2 * H, 2 * W), 12.5, "float32"), 1)
    st, rs = open_study(small_study)
    notes = r.validate_rasters(st, rs)
    assert any("temperature: resampled" in n for n in notes)
    t = r.open_monthly(st, rs, "temperature", 2015).values
    assert t.shape == (12, H, W)
    np.testing.assert_allclose(t, 12.5, rtol=1e-6)


def test_nodata_becomes_nan(small_study):
    p = small_study / "rasters/ndvi_2015_01.tif"
    with rasterio.open(p) as ds:
        a = ds.read(1)
    a[0, 0] = -9999
    _write_raster(p, a)
    st, rs = open_study(small_study)
    r.validate_rasters(st, rs)
    nd = r.open_monthly(st, rs, "ndvi", 2015).values
    assert np.isnan(nd[0, 0, 0]) and np.isfinite(nd[0, 1, 1])


def test_monthly_pattern_without_month_field(small_study):
    toml = (small_study / "ecozone.toml").read_text().replace("ndvi_{year}_{month:02d}", "ndvi_{year}")
    (small_study / "ecozone.toml").write_text(toml)
    st = load_study(small_study)
    with pytest.raises(InputError, match="no \\{month\\} field"):
        r.discover(st)


def test_packed_integers_for_the_kernel_equal_the_float_path(small_study):
    from ecozone.carbon.pipeline import casa_year

    for y in (2015, 2020):
        for m in range(1, 13):
            for var, enc in (("ndvi", lambda a: np.round(a * 1e4)), ("tmp", lambda a: np.round((a + 273.15) * 10)),
                             ("sol", lambda a: np.round(a / 2.6 * 10))):
                p = small_study / f"rasters/{var}_{y}_{m:02d}.tif"
                with rasterio.open(p) as ds:
                    a = enc(ds.read(1).astype(np.float64))
                if var == "ndvi":
                    a[3, 5] = -32768  # a nodata pixel
                _write_raster(p, a, dtype="int16", nodata=-32768)
    toml = (small_study / "ecozone.toml").read_text()
    for var, short, extra in (("ndvi", "ndvi", "scale_factor = 0.0001"),
                              ("temperature", "tmp", 'scale_factor = 0.1, unit = "K"'),
                              ("radiation", "sol", 'scale_factor = 0.1, unit = "W m-2"')):
        toml = toml.replace(f'{var} = "rasters/{short}_{{year}}_{{month:02d}}.tif"',
                            f'{var} = {{ pattern = "rasters/{short}_{{year}}_{{month:02d}}.tif", {extra} }}')
    (small_study / "ecozone.toml").write_text(toml)
    st, rs = open_study(small_study)
    r.validate_rasters(st, rs)
    packed = {v: r.open_monthly(st, rs, v, 2015, packed=True) for v in r.MONTHLY}
    plain = {v: r.open_monthly(st, rs, v, 2015) for v in r.MONTHLY}
    nd = packed["ndvi"]
    assert nd.dtype == np.int16 and nd.attrs["_FillValue"] == -32768
    assert nd.attrs["scale_factor"] == pytest.approx(1e-4) and nd.attrs["add_offset"] == 0
    t = packed["temperature"]  # 0.1 K integers: one linear map to °C for every month
    assert t.dtype == np.int16 and t.attrs["scale_factor"] == pytest.approx(0.1)
    assert t.attrs["add_offset"] == pytest.approx(-273.15)
    assert packed["radiation"].dtype == np.float32  # W m-2 → MJ m-2 differs by month: not packed
    for v in ("ndvi", "temperature"):
        a = packed[v]
        raw = a.values.astype(np.float32)
        unpacked = np.where(a.values == a.attrs["_FillValue"], np.nan,
                            raw * np.float32(a.attrs["scale_factor"]) + np.float32(a.attrs["add_offset"]))
        np.testing.assert_allclose(unpacked, plain[v].values, rtol=1e-6, atol=1e-5)
    assert np.isnan(plain["ndvi"].values[:, 3, 5]).all()
    lc = r.open_landcover(st, rs, 2015)
    a = casa_year(*(packed[v] for v in r.MONTHLY), lc, st.carbon)
    b = casa_year(*(plain[v] for v in r.MONTHLY), lc, st.carbon)
    for k in ("npp", "rh", "nep"):
        x, y = a[k].values, b[k].values
        assert np.array_equal(np.isnan(x), np.isnan(y)) and np.isfinite(x).sum() > x.size // 2
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-3)
    assert 100 < np.nanmean(a["npp"].values) < 2000


# ---------------------------------------------------------------- coverage, damaged files, patterns


def _rewrite(p, fn=lambda a: a, **profile):
    with rasterio.open(p) as ds:
        a, prof = ds.read(1), ds.profile
    prof.update(profile)
    p.unlink()
    with rasterio.open(p, "w", **prof) as dst:
        dst.write(fn(a).astype(prof["dtype"]), 1)


def test_rasters_beside_the_units_are_an_error(small_study):
    for p in sorted(small_study.glob("rasters/*.tif")):
        _rewrite(p, transform=Affine(RES, 0, X0 + 5, 0, -RES, Y0))
    st, rs = open_study(small_study)
    with pytest.raises(InputError) as e:
        r.validate_rasters(st, rs)
    assert "lc_2015.tif" in str(e.value) and "the rasters do not cover the units" in str(e.value)
    assert "covers 0% of the units' extent" in str(e.value)


def test_grid_covering_part_of_the_units_is_noted(small_study):
    """Units 113.0-113.3°E, 30.0-30.2°N; a grid shifted 0.1° east covers (113.3 - 113.08) / 0.3 of their extent
    in x and (30.2 - 30.0) / 0.2 in y (its top edge 30.22 is above): 73 %."""
    for p in sorted(small_study.glob("rasters/*.tif")):
        _rewrite(p, transform=Affine(RES, 0, X0 + 0.1, 0, -RES, Y0))
    st, rs = open_study(small_study)
    notes = r.validate_rasters(st, rs)
    assert "rasters: the reference grid covers 73% of the units' extent" in " ".join(notes)
    # the same from the Units object
    from ecozone.inputs.units import build_units
    from ecozone.study import DEFAULT_AREA_CRS

    from small_study import counties

    u = build_units(counties(), levels={"county": "unit_id"}, area_crs=DEFAULT_AREA_CRS)
    assert any("covers 73%" in n for n in r.validate_rasters(st, rs, units=u))


@pytest.mark.parametrize("rel, keep", [("rasters/pre_2015_04.tif", 0.6), ("rasters/lc_2020.tif", 0.9)])
def test_truncated_raster_is_named(small_study, rel, keep):
    p = small_study / rel
    data = p.read_bytes()
    p.unlink()
    p.write_bytes(data[: int(len(data) * keep)])
    st, rs = open_study(small_study)
    with pytest.raises(InputError) as e:
        r.validate_rasters(st, rs)
    assert p.name in str(e.value) and "damaged or incomplete" in str(e.value)


def test_landcover_all_nodata_and_empty_file(small_study):
    _rewrite(small_study / "rasters/lc_2020.tif", np.zeros_like)
    st, rs = open_study(small_study)
    with pytest.raises(InputError, match="lc_2020.tif: raster holds no valid pixel"):
        r.validate_rasters(st, rs)
    (small_study / "rasters/sol_2015_02.tif").unlink()
    (small_study / "rasters/sol_2015_02.tif").write_bytes(b"")
    with pytest.raises(InputError, match="sol_2015_02.tif: the file is empty"):
        r._grid_of(small_study / "rasters/sol_2015_02.tif")


def test_bad_pattern_names_the_key(small_study):
    toml = (small_study / "ecozone.toml").read_text().replace("tmp_{year}_{month:02d}", "tmp_{yr}_{month:02d}")
    (small_study / "ecozone.toml").write_text(toml)
    with pytest.raises(InputError) as e:
        r.discover(load_study(small_study))
    assert "key 'rasters.temperature'" in e.value.where and "unknown field {yr}" in str(e.value)
