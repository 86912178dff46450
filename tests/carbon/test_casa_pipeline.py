"""The streamed CASA pipeline (casa_year) against the NumPy reference."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from ecozone.carbon import casa
from ecozone.carbon.params import CarbonParams
from ecozone.carbon.pipeline import casa_arrays, casa_year, extremes_of
from ecozone.carbon.tables import (
    landcover_lut,
    load_landcover_table,
    load_vegetation_table,
    vegetation_index,
)
from ecozone.errors import InputError, ParameterError

NY, NX = 70, 53


def _year(seed=0):
    rng = np.random.default_rng(seed)
    ndvi = (np.round(rng.uniform(-0.3, 0.95, (12, NY, NX)) * 1e4) / 1e4).astype(np.float32)
    t = rng.uniform(-25, 38, (12, NY, NX)).astype(np.float32)
    p = rng.uniform(0, 400, (12, NY, NX)).astype(np.float32)
    sol = rng.uniform(30, 700, (12, NY, NX)).astype(np.float32)
    lc = rng.choice([1, 2, 4, 5, 7, 10, 12, 13, 17, 255], (NY, NX)).astype(np.uint8)
    ndvi[3, 10, 10] = np.nan
    p[0, 20, 5] = np.nan
    return ndvi, t, p, sol, lc


def _da(a, chunks=None):
    d = xr.DataArray(
        a,
        dims=("month", "y", "x"),
        coords={"month": np.arange(1, 13), "y": 1000.0 - np.arange(NY), "x": np.arange(NX) * 1.0},
    )
    return d.chunk(chunks) if chunks else d


def _reference(ndvi, t, p, sol, lc, ext, params, monthly=False):
    types = load_vegetation_table()["vegetation_type"].tolist()
    vt = vegetation_index(
        lc, landcover_lut(load_landcover_table(params.landcover_classes, types), types)
    )
    return casa.casa_reference(ndvi, t, p, sol, vt, ext, params, monthly=monthly)


def _close(a, b, key):
    a = np.asarray(a, dtype=np.float64)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=key)
    m = ~np.isnan(b)
    scale = np.abs(b[m]).max()
    np.testing.assert_allclose(a[m], b[m], rtol=1e-6, atol=1e-6 * scale, err_msg=key)


@pytest.mark.parametrize("extremes", ["data", "table"])
def test_streamed_equals_reference_several_chunks(extremes):
    ndvi, t, p, sol, lc = _year()
    params = CarbonParams(casa={"ndvi_extremes": extremes, "ndvi_extremes_min_count": 10})
    ch = {"month": 1, "y": 16, "x": 20}  # months split too: casa_year joins them
    ds = casa_year(
        _da(ndvi, ch),
        _da(t, ch),
        _da(p, ch),
        _da(sol, ch),
        xr.DataArray(lc, dims=("y", "x")).chunk({"y": 30, "x": 30}),
        params,
        monthly=True,
    )
    assert ds["npp"].data.numblocks == (5, 3)
    assert ds["npp"].attrs["units"] == "gC m-2 yr-1"
    assert ds["npp_monthly"].dims == ("month", "y", "x")
    ext = extremes_of(ds)
    ref = _reference(ndvi, t, p, sol, lc, ext, params, monthly=True)
    got = ds.compute()
    for key in ("npp", "rh", "nep", "npp_monthly", "rh_monthly", "nep_monthly"):
        _close(got[key].values, ref[key], key)
    # coordinates carried over
    np.testing.assert_array_equal(got["y"].values, 1000.0 - np.arange(NY))
    # data extremes = exact percentiles (NDVI in steps of 1e-4)
    if extremes == "data":
        exact_lo, exact_hi, cnt = casa.ndvi_percentiles_exact(
            ndvi,
            vegetation_index(
                lc, landcover_lut(load_landcover_table("igbp"), ext.vegetation_type.tolist())
            ),
            9,
        )
        used = ext["extremes_source"] == "data"
        assert used.sum() >= 6
        np.testing.assert_allclose(ext["ndvi_min"][used], exact_lo[used], atol=1e-7)
        np.testing.assert_allclose(ext["ndvi_max"][used], exact_hi[used], atol=1e-7)


def test_numpy_backed_input_is_chunked_and_matches_in_memory_kernel():
    ndvi, t, p, sol, lc = _year(1)
    params = CarbonParams()
    ds = casa_year(
        _da(ndvi), _da(t), _da(p), _da(sol), xr.DataArray(lc, dims=("y", "x")), params, chunks=25
    )
    assert ds["nep"].data.numblocks == (3, 3)
    mem = casa_arrays(ndvi, t, p, sol, lc, params)
    _close(ds["nep"].values, mem["nep"], "nep")
    assert ds["nep"].dtype == np.float32


def test_streamed_on_dask_distributed():
    distributed = pytest.importorskip("distributed")
    ndvi, t, p, sol, lc = _year(2)
    params = CarbonParams(casa={"ndvi_extremes_min_count": 10})
    ch = {"y": 32, "x": 32}
    with distributed.Client(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
    ):
        ds = casa_year(
            _da(ndvi, ch),
            _da(t, ch),
            _da(p, ch),
            _da(sol, ch),
            xr.DataArray(lc, dims=("y", "x")).chunk(ch),
            params,
        )
        got = ds.compute()
    ref = _reference(ndvi, t, p, sol, lc, extremes_of(ds), params)
    _close(got["npp"].values, ref["npp"], "npp")
    _close(got["nep"].values, ref["nep"], "nep")


@pytest.mark.parametrize("bad_code", [0, 18, 300])
def test_unknown_landcover_code_is_a_parameter_error(bad_code):
    ndvi, t, p, sol, lc = _year(3)
    lc = lc.astype(np.int32)
    lc[5, 7] = bad_code
    with pytest.raises(ParameterError) as e:
        casa_year(
            _da(ndvi, {"y": 30}),
            _da(t, {"y": 30}),
            _da(p, {"y": 30}),
            _da(sol, {"y": 30}),
            xr.DataArray(lc, dims=("y", "x")),
            CarbonParams(),
        )
    assert str(bad_code) in e.value.what
    assert "[landcover] classes" in e.value.fix and "[landcover] classes" in e.value.where
    with pytest.raises(ParameterError, match=str(bad_code)):
        casa_arrays(ndvi, t, p, sol, lc, CarbonParams())


def test_landcover_nodata_gives_nan():
    ndvi, t, p, sol, lc = _year(4)
    lc = lc.astype(np.int32)
    lc[:3, :] = -9999
    ds = casa_year(
        _da(ndvi),
        _da(t),
        _da(p),
        _da(sol),
        xr.DataArray(lc, dims=("y", "x")),
        CarbonParams(),
        landcover_nodata=-9999,
        chunks=32,
    ).compute()
    assert np.isnan(ds["npp"].values[:3]).all()
    assert np.isnan(ds["nep"].values[lc == 255]).all()  # IGBP fill value declared nodata
    assert (ds["nep"].values[np.isin(lc, [13, 17])] == 0).all()  # non-vegetated


def test_float_landcover_with_nan_is_nodata():
    ndvi, t, p, sol, lc = _year(5)
    lcf = lc.astype(np.float32)
    lcf[0, 0] = np.nan
    ds = casa_year(
        _da(ndvi),
        _da(t),
        _da(p),
        _da(sol),
        xr.DataArray(lcf, dims=("y", "x")),
        CarbonParams(),
        chunks=40,
    ).compute()
    assert np.isnan(ds["npp"].values[0, 0])
    assert np.isfinite(ds["npp"].values[1, 1]) or lc[1, 1] == 255


def test_shape_mismatch_is_an_input_error():
    ndvi, t, p, sol, lc = _year(6)
    with pytest.raises(InputError, match="temperature"):
        casa_year(_da(ndvi), _da(t)[:11], _da(p), _da(sol), xr.DataArray(lc, dims=("y", "x")))


def test_extremes_can_be_reused():
    ndvi, t, p, sol, lc = _year(7)
    params = CarbonParams(casa={"ndvi_extremes_min_count": 10})
    ds1 = casa_year(_da(ndvi), _da(t), _da(p), _da(sol), xr.DataArray(lc, dims=("y", "x")), params)
    ds2 = casa_year(
        _da(ndvi),
        _da(t),
        _da(p),
        _da(sol),
        xr.DataArray(lc, dims=("y", "x")),
        params,
        extremes=extremes_of(ds1),
    )
    np.testing.assert_array_equal(ds1["nep"].values, ds2["nep"].values)


def test_fallback_to_table_extremes_is_noted():
    ndvi, t, p, sol, lc = _year(8)
    lc[:] = 10  # grassland everywhere …
    lc[0, 0] = 2  # … and one evergreen broadleaf pixel: 12 pixel-months < 100
    ds = casa_year(
        _da(ndvi), _da(t), _da(p), _da(sol), xr.DataArray(lc, dims=("y", "x")), CarbonParams()
    )
    ext = extremes_of(ds).set_index("vegetation_type")
    assert ext.loc["evergreen_broadleaf_forest", "ndvi_max"] == 0.676
    assert ext.loc["grassland", "extremes_source"] == "data"
    assert (
        "evergreen_broadleaf_forest" in ds.attrs["notes"] and "grassland" not in ds.attrs["notes"]
    )


# ------------------------------------------------------------------ packed integers
def _packed_year(seed=9):
    """Scaled int16 inputs like MODIS NDVI (x 1e4) and 0.1-unit climate fields, with fill values."""
    ndvi, t, p, sol, lc = _year(seed)
    raw = {
        "ndvi": np.round(np.nan_to_num(ndvi) * 1e4).astype(np.int16),
        "temperature": np.round(t * 10).astype(np.int16),
        "precipitation": np.round(np.nan_to_num(p) * 10).astype(np.int16),
        "radiation": np.round(sol * 10).astype(np.int16),
    }
    raw["ndvi"][3, 10, 10] = -3000  # fill value
    raw["precipitation"][0, 20, 5] = -32768
    lc[10, 10] = lc[20, 5] = 10  # grassland: NaN there (non-vegetated pixels are 0)
    pack = {
        "ndvi": (1e-4, 0.0, -3000),
        "temperature": (0.1, -0.05, None),
        "precipitation": (0.1, 0.0, -32768),
        "radiation": (0.1, 0.0, None),
    }
    # unpacked by hand the way ecozone.inputs.rasters does: float32 arithmetic, fill -> NaN
    unpacked = {}
    for k, a in raw.items():
        scale, offset, fill = pack[k]
        f = a.astype(np.float32)
        v = f * np.float32(scale) + np.float32(offset)
        if fill is not None:
            v[f == np.float32(fill)] = np.nan
        unpacked[k] = v
    return raw, pack, unpacked, lc


def test_packed_int16_inputs_unpacked_in_kernel_equal_float32_inputs_bit_for_bit():
    raw, pack, f32, lc = _packed_year()
    params = CarbonParams(casa={"ndvi_extremes_min_count": 10})
    names = ("ndvi", "temperature", "precipitation", "radiation")

    def packed_da(k, chunks):
        scale, offset, fill = pack[k]
        d = _da(raw[k], chunks)
        d.attrs = {"scale_factor": scale, "add_offset": offset}
        if fill is not None:
            d.attrs["_FillValue"] = fill
        return d

    # months chunked differently per variable: blocks reach the kernel as lists of month chunks
    month_chunks = {"ndvi": 1, "temperature": 12, "precipitation": 5, "radiation": 3}
    got = casa_year(
        *(packed_da(k, {"month": month_chunks[k], "y": 16, "x": 20}) for k in names),
        xr.DataArray(lc, dims=("y", "x")),
        params,
        monthly=True,
        dtype="float64",
    ).compute()
    flt = casa_year(
        *(_da(f32[k], {"y": 16, "x": 20}) for k in names),
        xr.DataArray(lc, dims=("y", "x")),
        params,
        monthly=True,
        dtype="float64",
    ).compute()
    for key in ("npp", "rh", "nep", "npp_monthly", "nep_monthly"):
        np.testing.assert_array_equal(got[key].values, flt[key].values, err_msg=key)
    assert np.isnan(got["npp"].values[10, 10]) and np.isnan(got["npp"].values[20, 5])
    pd_ext = extremes_of(got)
    assert pd_ext.equals(extremes_of(flt))
    # and the independent NumPy reference on the hand-unpacked values
    ref = _reference(*(f32[k] for k in names), lc, pd_ext, params)
    _close(got["nep"].values, ref["nep"], "nep")
    # in memory: the same with casa_arrays(packed=...)
    mem = casa_arrays(*(raw[k] for k in names), lc, params, packed=pack)
    np.testing.assert_array_equal(mem["npp"], got["npp"].values)
    cols = ["ndvi_min", "ndvi_max", "count"]
    assert mem["extremes"][cols].equals(pd_ext[cols])


def test_ndvi_histogram_of_packed_and_float_ndvi_matches_numpy():
    from ecozone.carbon import _kernels as K

    rng = np.random.default_rng(11)
    raw = rng.integers(-12000, 12000, (12, 40, 37)).astype(np.int16)
    raw[0, 0, :5] = -3000
    vt = rng.integers(-3, 5, (40, 37)).astype(np.int8)
    v = raw.astype(np.float32) * np.float32(1e-4)
    v[raw == -3000] = np.nan
    # by hand: bins of 1e-4 centred on k·1e-4 − 1, NaN and pixels without a type left out
    ref = np.zeros((5, K.HIST_BINS), np.int64)
    kk = np.broadcast_to(vt, v.shape)
    ok = np.isfinite(v) & (kk >= 0)
    b = np.clip(np.floor((v[ok].astype(np.float64) + 1) * 1e4 + 0.5), 0, 20000).astype(int)
    np.add.at(ref, (kk[ok], b), 1)
    assert ref.sum() == ok.sum() > 0
    packed = K.ndvi_histogram(raw, vt, 5, K.unpack_params(1e-4, 0.0, -3000))
    np.testing.assert_array_equal(packed, ref)
    np.testing.assert_array_equal(K.ndvi_histogram(v, vt, 5), ref)
    # uint8 with an offset (e.g. SPOT VGT NDVI = 0.004·DN − 0.1), 255 = fill
    dn = rng.integers(0, 256, (12, 40, 37)).astype(np.uint8)
    w = dn.astype(np.float32) * np.float32(0.004) + np.float32(-0.1)
    w[dn == 255] = np.nan
    np.testing.assert_array_equal(
        K.ndvi_histogram(dn, vt, 5, K.unpack_params(0.004, -0.1, 255)), K.ndvi_histogram(w, vt, 5)
    )


@pytest.mark.parametrize("dtype", ["uint8", "int16", "uint16", "int32"])
def test_vegetation_index_of_blocks_equals_vegetation_index(dtype):
    from ecozone.carbon.pipeline import _vt_block

    types = load_vegetation_table()["vegetation_type"].tolist()
    lut = landcover_lut(load_landcover_table("igbp", types), types)
    info = np.iinfo(dtype)
    rng = np.random.default_rng(12)
    lc = rng.integers(max(info.min, -300), min(info.max, 300), (50, 60), endpoint=True).astype(
        dtype
    )
    lc[0, :3] = [1, 17, 255]
    for nodata in (None, 255, -9999):
        np.testing.assert_array_equal(
            _vt_block(lc, lut, nodata), vegetation_index(lc, lut, nodata), err_msg=str(nodata)
        )
    # by hand: IGBP 1 = evergreen needleleaf forest, 17 = water (non-vegetated)
    assert _vt_block(lc, lut, None)[0, 0] == types.index("evergreen_needleleaf_forest")
    assert _vt_block(lc, lut, None)[0, 1] == -1


def test_float_inputs_with_stale_scale_attributes_are_used_as_they_are():
    ndvi, t, p, sol, lc = _year(13)
    d = _da(ndvi)
    d.attrs["scale_factor"] = 1e-4  # xarray keeps it on raw * scale: the values are unpacked
    a = casa_year(d, _da(t), _da(p), _da(sol), xr.DataArray(lc, dims=("y", "x")), chunks=32)
    b = casa_year(_da(ndvi), _da(t), _da(p), _da(sol), xr.DataArray(lc, dims=("y", "x")), chunks=32)
    np.testing.assert_array_equal(a["nep"].values, b["nep"].values)
    with pytest.raises(InputError, match="scale factor"):
        casa_arrays(ndvi, t, p, sol, lc, packed={"ndvi": (1e-4, 0.0, None)})
