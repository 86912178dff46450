"""Fused Numba kernels of the CASA model (METHODS §2.1–2.2).

One pass over a block of a year — NDVI, T, P, SOL, each a tuple of 12
monthly (rows, cols) arrays, and the (rows, cols) vegetation-type index —
computes per pixel Topt, I, a, Tε1 and then, month by month, FPAR, APAR,
Tε2, Wε, NPP and Rh, accumulating annual NPP, Rh and NEP (and optionally the
monthly values). Nothing of size (12, rows, cols) is allocated besides the
optional monthly output, and the months are separate arrays so that a
streamed block never has to be concatenated into one (12, rows, cols) array.

Inputs may be floating point (used as they are) or packed integers (e.g.
MODIS NDVI × 10⁴), unpacked in the kernel exactly as
:mod:`ecozone.inputs.rasters` unpacks them into float32 —
``float32(raw) · float32(scale) + float32(offset)`` rounded in float32, NaN
where ``float32(raw) == float32(fill)`` — so that both routes give the same
bits (see :func:`unpack_params`).

Each kernel is compiled twice from the same source:

- ``*_parallel`` (``parallel=True``, rows spread over Numba threads) for
  arrays in memory;
- ``*_serial`` (``nogil=True``) for dask blocks, where dask's threads or
  workers provide the parallelism (nesting Numba threads inside dask
  threads would oversubscribe the cores).

The reference formulas are in :mod:`ecozone.carbon.casa`; tests check that
the kernels agree with them.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange, types
from numba.extending import overload

from ecozone.carbon._vmath import vexp, vlog

# order of the scalar parameters packed in one float64 array
SCALARS = (
    "alpha",
    "fpar_min",
    "fpar_max",
    "par_share",
    "t2_constant",
    "t2_upper_offset",
    "t2_lower_offset",
    "npp_zero_temperature",
    "rh_a",
    "rh_b",
    "rh_c",
    "rh_days",
    "rh_share",
)

#: NDVI histogram: bins of 1e-4 centred on k·1e-4 − 1, k = 0..20000
HIST_SCALE = 10000.0
HIST_BINS = 20001


def pack_scalars(params) -> np.ndarray:
    """The kernel's scalar parameters from a :class:`~ecozone.carbon.params.CarbonParams`."""
    c, r = params.casa, params.respiration
    vals = {
        "alpha": c.alpha,
        "fpar_min": c.fpar_min,
        "fpar_max": c.fpar_max,
        "par_share": c.par_share,
        "t2_constant": c.t2_constant,
        "t2_upper_offset": c.t2_upper_offset,
        "t2_lower_offset": c.t2_lower_offset,
        "npp_zero_temperature": c.npp_zero_temperature,
        "rh_a": r.a,
        "rh_b": r.b,
        "rh_c": r.c,
        "rh_days": r.days,
        "rh_share": r.heterotrophic_share,
    }
    return np.array([vals[k] for k in SCALARS], dtype=np.float64)


def unpack_params(scale=1.0, offset=0.0, fill=None) -> np.ndarray:
    """One row of the kernel's unpacking table: (scale, offset, fill, has_fill).

    Applies to integer inputs only; float inputs are read as they are.
    """
    return np.array(
        [scale, offset, 0.0 if fill is None else fill, 0.0 if fill is None else 1.0],
        dtype=np.float64,
    )


def unpack_spec(row) -> tuple:
    """The kernels' form of an unpacking row: ``(scale, offset, fill)`` as float32, with
    ``None`` for an offset that changes nothing and for no fill value, so that each
    case compiles to its own loop without the unused steps."""
    scale, offset, fill, has_fill = (float(v) for v in row)
    return (
        np.float32(scale),
        None if offset == 0.0 and scale >= 0.0 else np.float32(offset),  # x + 0 == x here
        np.float32(fill) if has_fill else None,
    )


#: Functions below whose body only raises are Numba ``@overload`` targets: their
#: compiled implementation is the overload that follows them, called from kernels.
_JIT_ONLY = "callable only from Numba-compiled kernels (implemented by its @overload)"


def _unpack(x, scale, offset, fill):  # pragma: no cover - replaced by the overload
    raise TypeError(_JIT_ONLY)


@overload(_unpack)
def _unpack_ov(x, scale, offset, fill):
    """Value of one input element as float64 (``scale`` float32; ``offset``, ``fill``
    float32 or None)."""
    if not isinstance(x, types.Integer):
        return lambda x, scale, offset, fill: np.float64(x)
    no_offset = isinstance(offset, types.NoneType)
    no_fill = isinstance(fill, types.NoneType)
    if no_offset and no_fill:
        return lambda x, scale, offset, fill: np.float64(np.float32(x) * scale)
    if no_fill:
        return lambda x, scale, offset, fill: np.float64(np.float32(np.float32(x) * scale) + offset)

    def impl(x, scale, offset, fill):
        f = np.float32(x)
        v = np.float32(f * scale)
        if not no_offset:
            v = np.float32(v + offset)
        return np.nan if f == fill else np.float64(v)

    return impl


_LOG5 = math.log(5.0)
_E2 = math.exp(-2.0)
_E3 = math.exp(-3.0)


def _casa_impl(
    ndvi, tmp, pre, sol, unp, vt, eps_max, nmin, nmax, other, nep_all, s, out, out_m, monthly
):
    """Kernel body. ``ndvi``, ``tmp``, ``pre``, ``sol``: tuples of 12 (rows,
    cols) arrays; ``unp``: the four :func:`unpack_spec` tuples (NDVI, T, P, SOL); ``out``: (3, rows, cols) annual NPP, Rh, NEP;
    ``out_m``: (3, 12, rows, cols) monthly values when ``monthly`` (else any array).

    Row by row, in loops over contiguous columns without branches (selects
    only) so that LLVM vectorises them, with the vectorisable ``vexp``/``vlog``
    of :mod:`ecozone.carbon._vmath`. The formulas are those of
    :mod:`ecozone.carbon.casa`, rearranged to spend fewer transcendentals:

    - Tε2 = c / (1 + e^{0.2(Topt−10−T)}) / (1 + e^{0.3(T−Topt−10)})
      = c·u² / ((u² + e^{-2})·(1 + e^{-3}·u³)) with u = e^{0.1(T−Topt)};
    - ln T is computed once per month and used for (T/5)^1.514 and for
      Ep0 = 16·(10T/I)^a = 16·exp(a·(ln(10/I) + ln T));
    - Wε = 0.5 + 0.5·EET/PET with PET = (EET + Ep0)/2 is 0.5 + EET/(EET + Ep0).

    Every quantity is computed on every pixel and the edge rules, T ≤ 0,
    NaN and non-vegetated pixels are applied by selection.
    """
    alpha = s[0]
    fmin = s[1]
    fmax = s[2]
    par_share = s[3]
    t2c = s[4]
    t2_up = s[5]
    t2_lo = s[6]
    t_zero = s[7]
    rh_b = s[9]
    rh_c = s[10]
    rh_k = s[8] * s[11] * s[12]
    span = fmax - fmin
    nm = len(ndvi)
    s_v, o_v, f_v = unp[0]
    s_t, o_t, f_t = unp[1]
    s_p, o_p, f_p = unp[2]
    s_s, o_s, f_s = unp[3]
    ny = vt.shape[0]
    nx = vt.shape[1]
    nan = np.nan
    # Tε2 at T = Topt does not depend on Topt: c / (1 + e^-2) / (1 + e^-3)
    t2_half = t2c / (1.0 + _E2) / (1.0 + _E3) / 2.0
    for r in prange(ny):
        kk = np.empty(nx, dtype=np.int64)
        state = np.empty(nx, dtype=np.int64)  # 0 compute, 1 zero (non-vegetated), 2 nodata
        ok = np.empty(nx, dtype=np.bool_)
        best = np.empty(nx)
        topt = np.empty(nx)
        heat = np.empty(nx)
        lt = np.empty((nm, nx))
        t1g = np.empty(nx)
        aa = np.empty(nx)
        lbase = np.empty(nx)
        lo = np.empty(nx)
        hi = np.empty(nx)
        kn = np.empty(nx)
        srlo = np.empty(nx)
        ks = np.empty(nx)
        npp_s = np.empty(nx)
        rh_s = np.empty(nx)
        npp_m = np.empty((nm, nx))
        rh_m = np.empty((nm, nx))
        for c in range(nx):
            k = np.int64(vt[r, c])
            st = 0
            if k == -1:
                if nep_all:
                    k = other
                else:
                    st = 1
                    k = 0
            elif k < 0:
                st = 2
                k = 0
            kk[c] = k
            state[c] = st
            ok[c] = True
            best[c] = -np.inf
            topt[c] = 0.0
            heat[c] = 0.0
        # pass 1: validity, Topt (month of max NDVI), ln T, heat index I
        for m in range(nm):
            a_v = ndvi[m]
            a_t = tmp[m]
            a_p = pre[m]
            a_s = sol[m]
            for c in range(nx):
                v = _unpack(a_v[r, c], s_v, o_v, f_v)
                t = _unpack(a_t[r, c], s_t, o_t, f_t)
                p = _unpack(a_p[r, c], s_p, o_p, f_p)
                ss = _unpack(a_s[r, c], s_s, o_s, f_s)
                fin = (v - v == 0.0) & (t - t == 0.0) & (p - p == 0.0) & (ss - ss == 0.0)
                ok[c] = ok[c] & fin
                better = v > best[c]
                best[c] = v if better else best[c]
                topt[c] = t if better else topt[c]
                tpos = t > 0.0
                ltm = vlog(t if tpos else 1.0)
                lt[m, c] = ltm
                e = vexp(1.514 * (ltm - _LOG5))  # (T/5)^1.514
                heat[c] += e if tpos else 0.0
        # per pixel: Tε1, Thornthwaite a, ln(10/I), FPAR constants of the type
        for c in range(nx):
            k = kk[c]
            tp = topt[c]
            h = heat[c]
            t1g[c] = (0.8 + 0.02 * tp - 0.0005 * tp * tp) * par_share * eps_max[k]
            aa[c] = 6.75e-7 * h * h * h - 7.71e-5 * h * h + 1.792e-2 * h + 0.49239
            lb = vlog(10.0 / h if h > 0.0 else 1.0)
            lbase[c] = lb
            l0 = nmin[k]
            h0 = nmax[k]
            lo[c] = l0
            hi[c] = h0
            kn[c] = span / (h0 - l0)
            s0 = (1.0 + l0) / (1.0 - l0)
            s1 = (1.0 + h0) / (1.0 - h0)
            srlo[c] = s0
            ks[c] = span / (s1 - s0)
            npp_s[c] = 0.0
            rh_s[c] = 0.0
        # pass 2: month by month
        for m in range(nm):
            a_v = ndvi[m]
            a_t = tmp[m]
            a_p = pre[m]
            a_s = sol[m]
            for c in range(nx):
                v = _unpack(a_v[r, c], s_v, o_v, f_v)
                t = _unpack(a_t[r, c], s_t, o_t, f_t)
                p = _unpack(a_p[r, c], s_p, o_p, f_p)
                ss = _unpack(a_s[r, c], s_s, o_s, f_s)
                rh = rh_k * (vexp(rh_b * t) + vlog(rh_c * p + 1.0))
                # FPAR (NDVI clipped to the type's extremes)
                vv = min(max(v, lo[c]), hi[c])
                f_ndvi = (vv - lo[c]) * kn[c] + fmin
                sr = (1.0 + vv) / (1.0 - vv)
                f_sr = (sr - srlo[c]) * ks[c] + fmin
                f = alpha * f_ndvi + (1.0 - alpha) * f_sr
                # Tε2 with the edge rule
                d = t - topt[c]
                u = vexp(0.1 * d)
                u2 = u * u
                t2f = t2c * u2 / ((u2 + _E2) * (1.0 + _E3 * u2 * u))
                edge = (d > t2_up) | (-d > t2_lo)
                t2 = t2_half if edge else t2f
                # Wε (Zhou-Zhang EET, Thornthwaite Ep0); 1 where T ≤ 0
                ep0 = 16.0 * vexp(aa[c] * (lbase[c] + lt[m, c]))
                pp = p
                rn = 0.369 * math.sqrt(ep0 * pp) + 0.598 * ep0
                prn = pp * rn
                sq = pp * pp + rn * rn
                den = (pp + rn) * sq
                eet = prn * (sq + prn) / den
                eet = eet if den > 0.0 else 0.0
                w = 0.5 + eet / (eet + ep0)
                w = min(max(w, 0.5), 1.0)
                w = w if ((t > 0.0) & (heat[c] > 0.0)) else 1.0
                npp = ss * f * t1g[c] * t2 * w
                npp = npp if t > t_zero else 0.0
                npp_s[c] += npp
                rh_s[c] += rh
                npp_m[m, c] = npp
                rh_m[m, c] = rh
        if monthly:  # copied here: a conditional store in the loop above stops vectorisation
            for m in range(nm):
                for c in range(nx):
                    out_m[0, m, r, c] = npp_m[m, c]
                    out_m[1, m, r, c] = rh_m[m, c]
                    out_m[2, m, r, c] = npp_m[m, c] - rh_m[m, c]
        for c in range(nx):
            st = state[c]
            if st == 1:
                a_npp = 0.0
                a_rh = 0.0
            elif st == 2 or not ok[c]:
                a_npp = nan
                a_rh = nan
            else:
                a_npp = npp_s[c]
                a_rh = rh_s[c]
            out[0, r, c] = a_npp
            out[1, r, c] = a_rh
            out[2, r, c] = a_npp - a_rh
            if monthly and st != 0 or monthly and not ok[c]:
                for m in range(nm):
                    out_m[0, m, r, c] = a_npp
                    out_m[1, m, r, c] = a_rh
                    out_m[2, m, r, c] = a_npp - a_rh


casa_parallel = njit(parallel=True, cache=True, error_model="numpy")(_casa_impl)
casa_serial = njit(nogil=True, cache=True, error_model="numpy")(_casa_impl)


@njit(nogil=True, cache=True)
def _bin_of(v):
    """Histogram bin of an NDVI value (HIST_BINS for NaN: the discard column)."""
    ok = math.isfinite(v)
    x = math.floor(((v if ok else 0.0) + 1.0) * HIST_SCALE + 0.5)
    x = min(max(x, 0.0), HIST_BINS - 1.0)
    return np.int64(x) if ok else np.int64(HIST_BINS)


def _hist_impl(ndvi, unp, vt, n_types, hist):
    """Add the block's NDVI values, per vegetation type, to ``hist``
    ((n_types + 1) · (HIST_BINS + 1), flat: the last row and column collect
    pixels without a vegetation type and NaN values).

    ``ndvi``: tuple of monthly (rows, cols) arrays; ``unp``: its
    :func:`unpack_spec` tuple. Packed integers of ≤ 16 bits go through a table
    raw value → bin (built with the same arithmetic), so that the loop is a
    look-up and an increment.
    """
    ny = vt.shape[0]
    nx = vt.shape[1]
    sc, of, fi = unp
    lut = _raw_bins(ndvi[0], sc, of, fi)
    width = HIST_BINS + 1
    rowk = np.empty(nx, dtype=np.int64)
    for r in range(ny):
        for col in range(nx):
            k = np.int64(vt[r, col])
            rowk[col] = (k if (k >= 0) & (k < n_types) else n_types) * width
        for a in ndvi:
            _hist_row(a, r, rowk, lut, sc, of, fi, hist)


def _raw_range(dtype):
    """(lowest value, count) of a ≤ 16-bit integer Numba dtype, else None."""
    if isinstance(dtype, types.Integer) and dtype.bitwidth <= 16:
        return (-(2 ** (dtype.bitwidth - 1)) if dtype.signed else 0), 2**dtype.bitwidth
    return None


def _raw_bins(a, sc, of, fi):  # pragma: no cover - replaced by the overload
    raise TypeError(_JIT_ONLY)


@overload(_raw_bins)
def _raw_bins_ov(a, sc, of, fi):
    """Table raw value − lowest → bin for small integer arrays; empty otherwise."""
    rng = _raw_range(a.dtype)
    if rng is None:
        return lambda a, sc, of, fi: np.empty(0, dtype=np.int64)
    lo, n = rng
    raw = a.dtype

    def impl(a, sc, of, fi):
        out = np.empty(n, dtype=np.int64)
        for i in range(n):
            x = raw(lo + i)
            out[i] = _bin_of(_unpack(x, sc, of, fi))
        return out

    return impl


def _hist_row(a, r, rowk, lut, sc, of, fi, hist):  # pragma: no cover - replaced by the overload
    raise TypeError(_JIT_ONLY)


@overload(_hist_row)
def _hist_row_ov(a, r, rowk, lut, sc, of, fi, hist):
    rng = _raw_range(a.dtype)
    if rng is not None:
        lo = rng[0]

        def impl_lut(a, r, rowk, lut, sc, of, fi, hist):
            for col in range(a.shape[1]):
                hist[rowk[col] + lut[np.int64(a[r, col]) - lo]] += 1

        return impl_lut

    def impl(a, r, rowk, lut, sc, of, fi, hist):
        for col in range(a.shape[1]):
            v = _unpack(a[r, col], sc, of, fi)
            if not math.isfinite(v):
                continue
            b = int(math.floor((v + 1.0) * HIST_SCALE + 0.5))
            if b < 0:
                b = 0
            elif b > HIST_BINS - 1:
                b = HIST_BINS - 1
            hist[rowk[col] + b] += 1

    return impl


ndvi_histogram_serial = njit(nogil=True, cache=True)(_hist_impl)


def months(a) -> tuple:
    """A (12, rows, cols) array or a sequence of monthly arrays as the kernels' tuple of
    C-contiguous (rows, cols) arrays of one dtype (views where possible, no copy)."""
    if isinstance(a, np.ndarray):
        layers = [a[m] for m in range(a.shape[0])]
    else:
        layers = [b[m] for b in a for m in range(b.shape[0])] if np.ndim(a[0]) == 3 else list(a)
    dt = np.result_type(*[x.dtype for x in layers])
    if dt.kind not in "iuf" or dt.itemsize > 8:
        dt = np.dtype(np.float64)
    elif dt.kind == "f" and dt.itemsize < 4:
        dt = np.dtype(np.float32)
    return tuple(np.ascontiguousarray(x, dtype=dt) for x in layers)


def ndvi_histogram(ndvi, vt: np.ndarray, n_types: int, unp: np.ndarray | None = None) -> np.ndarray:
    """Histogram (n_types, 20001) of NDVI per vegetation type, bins of 1e-4.

    ``ndvi``: (12, rows, cols) or a sequence of monthly arrays; ``unp``: the
    unpacking row of packed-integer NDVI (default: none).
    """
    hist = np.zeros((n_types + 1) * (HIST_BINS + 1), dtype=np.int64)
    spec = unpack_spec(unpack_params() if unp is None else unp)
    ndvi_histogram_serial(months(ndvi), spec, vt, n_types, hist)
    return hist.reshape(n_types + 1, HIST_BINS + 1)[:n_types, :HIST_BINS]


def percentiles_from_histogram(hist: np.ndarray, q: float) -> np.ndarray:
    """Percentile ``q`` (0–100) of each row of an NDVI histogram.

    Same definition as ``numpy.percentile`` (linear interpolation between the
    order statistics at rank (n − 1)·q/100); each order statistic is taken as
    its bin's centre, so the result is exact for NDVI stored in steps of 1e-4
    (MODIS-scaled integers) and within 5e-5 otherwise. NaN for empty rows.
    """
    out = np.full(hist.shape[0], np.nan)
    for k in range(hist.shape[0]):
        cum = np.cumsum(hist[k])
        n = int(cum[-1])
        if n == 0:
            continue
        h = (n - 1) * q / 100.0
        j = int(math.floor(h))
        j1 = min(j + 1, n - 1)
        b0 = int(np.searchsorted(cum, j, side="right"))
        b1 = int(np.searchsorted(cum, j1, side="right"))
        x0 = b0 / HIST_SCALE - 1.0
        x1 = b1 / HIST_SCALE - 1.0
        out[k] = x0 + (h - j) * (x1 - x0)
    return out
