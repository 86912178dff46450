"""Spatial pattern of carbon sources and sinks (METHODS §2.6; seed 002).

Pure functions on GeoDataFrames and arrays, built on PySAL (libpysal
contiguity weights, esda statistics) and pointpats:

- :func:`contiguity_weights`: queen (default) or rook contiguity, row-standardised;
- :func:`global_moran`: global Moran's I with permutation and normal p-values;
- :func:`local_moran`: LISA values, quadrants HH / LH / LL / HL and clusters
  significant at ``significance`` by conditional permutation;
- :func:`hot_spots`: Getis–Ord Gi* z-scores, permutation p-values, hot / cold spots;
- :func:`gravity_centre` and :func:`gravity_centre_migration`: the weighted
  centre of emissions or sequestration per year and its movement, computed
  in the equal-area CRS.

Units without neighbours (islands) get no local statistic (NaN, label
``island``); a note is returned by :func:`spatial_autocorrelation`.

Speed: queen contiguity is found by sorting the polygons' vertices (the
neighbours of libpysal's ``Queen``, without its Python loop over vertices);
:func:`spatial_autocorrelation` builds the contiguity of a level once and
restricts it to the units with values of each year and variable;
permutation p-values are counted by a Numba kernel over one set of permuted
ids per set of units, and the global Moran's I of all permutations is one
sparse product. The draws are those of the plain formulation (seeded), so the
results are the same.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numba
import numpy as np
import pandas as pd

from ecozone.carbon.params import SpatialParams

QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
DEFAULT_AREA_CRS = (
    "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m +no_defs"
)


def contiguity_weights(units, contiguity: str = "queen", ids: str = "unit_id"):
    """Contiguity weights of polygons (libpysal ``W``), row-standardised.

    ``units``: GeoDataFrame of polygons; ``ids``: the id column (the W's ids,
    in the order of the rows). Queen: polygons sharing a vertex (the rule of
    libpysal's ``weights.Queen``, found here by sorting the vertices instead
    of a Python loop over them; neighbours listed in row order); rook:
    sharing an edge (``weights.Rook``). Units without neighbours are the W's
    islands.
    """
    from libpysal import weights

    order = units[ids].tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if contiguity == "queen":
            nbs = shared_vertex_neighbours(units.geometry.to_numpy())
            w = weights.W(
                {k: [order[j] for j in nb] for k, nb in zip(order, nbs, strict=True)},
                id_order=order,
                silence_warnings=True,
            )
        else:
            cls = {"rook": weights.Rook}[contiguity]
            w = cls.from_dataframe(units, ids=order, use_index=False, silence_warnings=True)
    w.transform = "r"
    return w


def shared_vertex_neighbours(geoms) -> list[np.ndarray]:
    """For each geometry, the positions of the others that share at least one
    vertex with it (queen contiguity), ascending.

    Coordinates are compared exactly (−0.0 equals 0.0), as libpysal does.
    """
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    xy, part = shapely.get_coordinates(geoms, return_index=True)
    key = np.empty(len(xy), dtype=np.complex128)
    key.real = xy[:, 0] + 0.0  # + 0.0 turns −0.0 into 0.0
    key.imag = xy[:, 1] + 0.0
    vid, _ = pd.factorize(key)
    vu = np.unique(vid.astype(np.int64) * n + part)  # distinct (vertex, geometry), by vertex
    v, u = np.divmod(vu, n)
    heads, tails = [], []
    d = 1
    while d < len(v):
        same = v[d:] == v[:-d]  # geometries d apart in a run sharing the vertex
        if not same.any():
            break
        heads.append(u[:-d][same])
        tails.append(u[d:][same])
        d += 1
    if heads:
        a, b = np.concatenate(heads), np.concatenate(tails)
        e = np.unique(np.concatenate([a * n + b, b * n + a]))
        h, t = np.divmod(e, n)
    else:
        h = t = np.zeros(0, dtype=np.int64)
    return np.split(t, np.searchsorted(h, np.arange(1, n)))


def global_moran(values, w, permutations: int = 999, seed: int = 12345) -> dict:
    """Global Moran's I of ``values`` (ordered as ``w.id_order``).

    Returns ``moran_i``, ``expected_i`` (−1/(n−1)), ``z_norm``, ``p_norm``
    (normality), ``p_sim`` (pseudo p-value from ``permutations``
    permutations, NaN when 0), ``n``; all dimensionless. The permutations
    are esda's (``np.random.permutation`` of z, ``permutations`` times, from
    a generator seeded with ``seed``), evaluated together as one sparse
    product instead of one lag at a time.
    """
    import esda

    y = np.asarray(values, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = esda.Moran(y, w, permutations=0)
    p_sim = float("nan")
    if permutations:
        p_sim = _moran_p_sim(m, permutations, seed)
    return {
        "moran_i": float(m.I),
        "expected_i": float(m.EI),
        "z_norm": float(m.z_norm),
        "p_norm": float(m.p_norm),
        "p_sim": p_sim,
        "n": int(m.n),
    }


def _moran_p_sim(m, permutations: int, seed: int) -> float:
    """esda's folded one-sided pseudo p-value of a global Moran's I ``m``
    (an ``esda.Moran``): I of ``permutations`` permutations of z drawn as
    esda draws them, computed block by block."""
    rs = np.random.RandomState(seed)
    z = m.y - m.y.mean()  # esda permutes these deviations (its ``m.z`` is divided by the SD afterwards)
    n = z.size
    sp = m.w.sparse
    scale = m.n / m.w.s0
    block = max(1, min(permutations, 2_000_000 // max(n, 1)))
    larger = 0
    done = 0
    while done < permutations:
        b = min(block, permutations - done)
        zp = np.empty((b, n))
        for r in range(b):
            zp[r] = rs.permutation(z)
        zl = np.ascontiguousarray((sp @ zp.T).T)  # each row: the spatial lag of one permutation
        sim = scale * (zp * zl).sum(axis=1) / m.z2ss
        larger += int(np.count_nonzero(sim >= m.I))
        done += b
    if permutations - larger < larger:
        larger = permutations - larger
    return (larger + 1.0) / (permutations + 1.0)


def local_moran(
    values, w, permutations: int = 999, seed: int = 12345, significance: float = 0.05
) -> pd.DataFrame:
    """Local Moran's I (LISA) of ``values`` (ordered as ``w.id_order``).

    Returns one row per unit (index = ``w.id_order``): ``lisa_i``,
    ``quadrant`` (HH: high value among high neighbours, LH, LL, HL),
    ``p_sim`` (conditional permutation pseudo p-value) and ``cluster`` =
    the quadrant where ``p_sim < significance``, else ``not_significant``
    (``island`` for units without neighbours). All dimensionless.
    """
    return _local_moran(values, _Prepared.of(w), permutations, seed, significance)


def _local_moran(values, prep: _Prepared, permutations, seed, significance) -> pd.DataFrame:
    import esda

    w = prep.w
    y = np.asarray(values, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm = esda.Moran_Local(y, w, permutations=0)
    quad = pd.Series(lm.q).map(QUADRANTS).to_numpy()
    z = y - y.mean()
    p = _conditional_p(z, prep, prep.row, permutations, seed)
    cluster = np.where(p < significance, quad, "not_significant")
    lisa = np.array(lm.Is, dtype=float)
    isl = prep.cards == 0
    if isl.any():
        lisa[isl] = p[isl] = np.nan
        quad = np.where(isl, "island", quad)
        cluster = np.where(isl, "island", cluster)
    return pd.DataFrame(
        {"lisa_i": lisa, "quadrant": quad, "p_sim": p, "cluster": cluster}, index=w.id_order
    )


def hot_spots(
    values, w, permutations: int = 999, seed: int = 12345, significance: float = 0.05
) -> pd.DataFrame:
    """Getis–Ord Gi* hot and cold spots of ``values`` (ordered as ``w.id_order``).

    Binary contiguity weights with the unit itself included (Gi*). Returns
    ``gi_star_z`` (the standardised Gi*), ``p_norm`` (two-sided),
    ``p_sim`` (conditional permutation) and ``spot`` = ``hot`` (z > 0) /
    ``cold`` (z < 0) where ``p_sim < significance``, else
    ``not_significant``. Gi* z-scores and permutation p-values do not change
    when a constant is added to all values, so variables with negative
    values (CB, NEP) are shifted to be non-negative before esda's ratio
    form is evaluated. All dimensionless.
    """
    return _hot_spots(values, _Prepared.of(w), permutations, seed, significance)


def _hot_spots(values, prep: _Prepared, permutations, seed, significance) -> pd.DataFrame:
    import esda
    from scipy.stats import norm

    y = np.asarray(values, dtype=float)
    ys = y - y.min() if y.min() < 0 else y
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = esda.G_Local(ys, prep.star_w(), transform="B", permutations=0, star=True)
    z = np.asarray(g.Zs, dtype=float)
    # Gi* is increasing in Σ_j w_ij y_j (self term fixed), so its permutation
    # p-value is that of the neighbours' sum
    p_sim = _conditional_p(ys, prep, prep.binary, permutations, seed)
    spot = np.where(p_sim < significance, np.where(z > 0, "hot", "cold"), "not_significant")
    p_norm = 2 * norm.sf(np.abs(z))
    isl = prep.cards == 0
    if isl.any():
        z = z.copy()
        z[isl] = p_norm[isl] = p_sim[isl] = np.nan
        spot = np.where(isl, "island", spot)
    return pd.DataFrame(
        {"gi_star_z": z, "p_norm": p_norm, "p_sim": p_sim, "spot": spot}, index=prep.w.id_order
    )


def _binary_copy(w):
    from libpysal.weights import W

    return W(
        {k: list(v) for k, v in w.neighbors.items()}, id_order=w.id_order, silence_warnings=True
    )


@dataclass
class _Prepared:
    """What the local statistics need of one weights object, computed once.

    ``nb[i, :cards[i]]``: positions (in ``w.id_order``) of unit i's
    neighbours, in ``w.neighbors`` order; ``row``: their row-standardised
    weights; ``binary``: ones; both 0 beyond ``cards[i]``. Permuted ids are
    kept per (seed, permutations).
    """

    w: object
    nb: np.ndarray
    row: np.ndarray
    binary: np.ndarray
    cards: np.ndarray
    islands: list
    _wb: object = None
    _perm: dict = field(default_factory=dict)

    @classmethod
    def of(cls, w) -> _Prepared:
        return cls.with_weights(w, None)

    @classmethod
    def with_weights(cls, w, weights) -> _Prepared:
        """``weights``: one array per unit (``w.id_order``, ``w.neighbors`` order)
        used as ``row`` instead of the row-standardised weights of ``w``."""
        ids = list(w.id_order)
        pos = {k: i for i, k in enumerate(ids)}
        cards = np.array([len(w.neighbors[k]) for k in ids], dtype=np.int64)
        kmax = int(cards.max()) if len(cards) else 0
        n = len(ids)
        nb = np.full((n, kmax), -1, dtype=np.int64)
        row = np.zeros((n, kmax))
        binary = np.zeros((n, kmax))
        for i, k in enumerate(ids):
            c = cards[i]
            if c == 0:
                continue
            nb[i, :c] = [pos[j] for j in w.neighbors[k]]
            if weights is None:
                r = np.asarray(w.weights[k], dtype=float)
                r = r / r.sum() if r.sum() > 0 else r
            else:
                r = np.asarray(weights[i], dtype=float)
            row[i, :c] = r
            binary[i, :c] = 1.0
        islands = [k for k, c in zip(ids, cards, strict=True) if c == 0]
        return cls(w, nb, row, binary, cards, islands)

    def star_w(self):
        """Binary contiguity with the units themselves included (Gi*), as esda's
        ``G_Local(star=True)`` makes it from binary weights (``fill_diagonal(w, 1)``)."""
        if self._wb is None:
            from libpysal.weights.util import fill_diagonal

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._wb = fill_diagonal(_binary_copy(self.w), 1.0)
        return self._wb

    def permuted_ids(self, permutations: int, seed: int) -> np.ndarray:
        """``permutations`` × k_max ids drawn as :func:`conditional_permutation_p` describes."""
        key = (permutations, seed)
        if key not in self._perm:
            n = len(self.cards)
            kmax = min(int(self.cards.max()), n - 1)
            rng = np.random.default_rng(seed)
            r = rng.random((permutations, n - 1))
            if kmax < n - 1:
                # the k_max smallest keys of each row, in ascending order: argsort(r)[:, :k_max]
                part = np.argpartition(r, kmax - 1, axis=1)[:, :kmax]
                order = np.argsort(np.take_along_axis(r, part, axis=1), axis=1)
                ids = np.take_along_axis(part, order, axis=1)
            else:
                ids = np.argsort(r, axis=1)[:, :kmax]
            self._perm[key] = np.ascontiguousarray(ids, dtype=np.int64)
        return self._perm[key]


def conditional_permutation_p(
    values, w, weights, permutations: int = 999, seed: int = 12345
) -> np.ndarray:
    """Pseudo p-values of each unit's spatial lag by conditional permutation.

    For unit i with k_i neighbours, the observed lag Σ_j w_ij·v_j is compared
    with ``permutations`` lags of k_i values drawn without replacement from
    the other n − 1 units (value of i held fixed), as esda does: one set of
    permuted ids is drawn once and shared by all units (the first k_i of
    each row of ``argsort`` of uniform keys from ``numpy.random.default_rng(seed)``,
    ids at or above i moved up by one); p = (m + 1) / (permutations + 1)
    with m the number of simulated lags at least as extreme on the side of
    the observation (folded, one-sided). The local Moran I_i and Gi* are
    monotone in the lag for fixed i, so these are their p-values too. NaN
    for units without neighbours or when ``permutations`` = 0.

    ``weights``: one array per unit (``w.id_order``), its neighbours'
    weights in ``w.neighbors`` order.
    """
    prep = _Prepared.with_weights(w, weights)
    return _conditional_p(values, prep, prep.row, permutations, seed)


def _conditional_p(values, prep: _Prepared, weights: np.ndarray, permutations: int, seed: int) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    n = v.size
    if permutations <= 0 or n < 3:
        return np.full(n, np.nan)
    kmax = min(int(prep.cards.max()) if n else 0, n - 1)
    if kmax == 0:
        return np.full(n, np.nan)
    scale = float(np.abs(v - v.mean()).max()) or 1.0
    ids = prep.permuted_ids(permutations, seed)
    return _permutation_p_kernel(v, prep.nb, weights, prep.cards, ids, scale)


@numba.njit(cache=True, nogil=True)
def _permutation_p_kernel(v, nb, wts, cards, ids, scale):  # pragma: no cover - compiled
    """Folded one-sided pseudo p-value of each unit's lag Σ_t wts[i, t]·v[nb[i, t]]
    against the lags of the permuted ids (ids ≥ i moved up by one); lags within
    1e-9·scale·Σ|w| of the observation count as ties (as extreme)."""
    n = v.shape[0]
    perms = ids.shape[0]
    out = np.full(n, np.nan)
    for i in range(n):
        k = cards[i]
        if k == 0:
            continue
        obs = 0.0
        wabs = 0.0
        for t in range(k):
            obs += v[nb[i, t]] * wts[i, t]
            wabs += abs(wts[i, t])
        bound = obs - 1e-9 * scale * wabs
        larger = 0
        for r in range(perms):
            s = 0.0
            for t in range(k):
                j = ids[r, t]
                if j >= i:
                    j += 1
                s += v[j] * wts[i, t]
            if s >= bound:
                larger += 1
        if perms - larger < larger:
            larger = perms - larger
        out[i] = (larger + 1.0) / (perms + 1.0)
    return out


def _restrict(w, ids):
    """The contiguity of the units ``ids`` (a subset of ``w``'s), row-standardised:
    contiguity is pairwise, so it is ``w``'s neighbour lists without the other units."""
    from libpysal.weights import W

    keep = set(ids)
    neigh = {k: [j for j in w.neighbors[k] if j in keep] for k in ids}
    out = W(neigh, id_order=list(ids), silence_warnings=True)
    out.transform = "r"
    return out


def spatial_autocorrelation(
    units, table: pd.DataFrame, columns, params: SpatialParams | None = None
):
    """Moran's I, LISA and Gi* of ``columns`` for every year of ``table``.

    ``units``: GeoDataFrame with ``unit_id`` and polygons (one level);
    ``table``: ``unit_id, year, <columns>``. Rows with a missing value are
    left out of that year's statistic. Returns ``(global_table,
    local_table, notes)``: ``global_table`` has ``year, variable, moran_i,
    expected_i, z_norm, p_norm, p_sim, n``; ``local_table`` has ``unit_id,
    year, variable, lisa_i, quadrant, lisa_p, cluster, gi_star_z, gi_p,
    spot``; ``notes`` lists islands and skipped variables.
    """
    p = params or SpatialParams()
    glob, loc, notes = [], [], []
    full = None  # contiguity of all units, built once
    cache: dict[tuple, _Prepared] = {}  # per set of units with values
    noted: set[tuple] = set()
    for year, g in table.groupby("year", sort=True):
        for col in columns:
            sub = g[["unit_id", col]].dropna()
            u = units[units["unit_id"].isin(sub["unit_id"])]
            if len(u) < 3 or sub[col].nunique() < 2:
                notes.append(f"{year} {col}: fewer than 3 units or a constant value; no statistic")
                continue
            key = tuple(u["unit_id"])
            if key not in cache:
                if full is None:
                    full = contiguity_weights(units, p.contiguity)
                w = full if key == tuple(full.id_order) else _restrict(full, list(key))
                cache[key] = _Prepared.of(w)
                islands = sorted(map(str, cache[key].islands))
                if islands and tuple(islands) not in noted:  # said once, not per year and variable
                    noted.add(tuple(islands))
                    names = u.set_index("unit_id")["name"] if "name" in u else None
                    shown = [f"{i} {names[i]}" if names is not None else i for i in islands]
                    notes.append(f"units without neighbours get no local statistic: {', '.join(shown)}")
            prep = cache[key]
            w = prep.w
            y = sub.set_index("unit_id").loc[w.id_order, col].to_numpy(float)
            gm = global_moran(y, w, p.permutations, p.seed)
            glob.append({"year": int(year), "variable": col, **gm})
            lm = _local_moran(y, prep, p.permutations, p.seed, p.significance)
            hs = _hot_spots(y, prep, p.permutations, p.seed, p.significance)
            df = pd.DataFrame(
                {
                    "unit_id": w.id_order,
                    "year": int(year),
                    "variable": col,
                    "lisa_i": lm["lisa_i"].to_numpy(),
                    "quadrant": lm["quadrant"].to_numpy(),
                    "lisa_p": lm["p_sim"].to_numpy(),
                    "cluster": lm["cluster"].to_numpy(),
                    "gi_star_z": hs["gi_star_z"].to_numpy(),
                    "gi_p": hs["p_sim"].to_numpy(),
                    "spot": hs["spot"].to_numpy(),
                }
            )
            loc.append(df)
    gl = pd.DataFrame(glob)
    lo = pd.concat(loc, ignore_index=True) if loc else pd.DataFrame()
    return gl, lo, notes


def gravity_centre(units, weights, area_crs: str = DEFAULT_AREA_CRS) -> tuple[float, float]:
    """Weighted mean centre (x, y in ``area_crs``, m) of the units' centroids.

    ``weights`` (one per row of ``units``, e.g. CE or CS in t C) below 0 are
    taken as 0; NaN weights are left out. Uses pointpats' weighted mean
    centre on centroids computed in the equal-area CRS.
    """
    pts = units.to_crs(area_crs).geometry.centroid
    return _weighted_centre(pts.x.to_numpy(), pts.y.to_numpy(), weights)


def _weighted_centre(x, y, weights) -> tuple[float, float]:
    from pointpats.centrography import weighted_mean_center

    wts = np.asarray(weights, dtype=float)
    ok = np.isfinite(wts)
    wts = np.clip(wts[ok], 0, None)
    if wts.sum() <= 0:
        return (float("nan"), float("nan"))
    xy = np.column_stack([x[ok], y[ok]])
    c = weighted_mean_center(xy, wts)
    return float(c[0]), float(c[1])


def gravity_centre_migration(
    units, table: pd.DataFrame, value_column: str, area_crs: str = DEFAULT_AREA_CRS
) -> pd.DataFrame:
    """Gravity centre of ``value_column`` per year and its move from the previous year.

    ``units``: GeoDataFrame with ``unit_id``; ``table``: ``unit_id, year,
    <value_column>``. Returns ``year, x, y`` (m, ``area_crs``), ``lon, lat``
    (WGS 84), ``shift_m`` (distance from the previous year's centre) and
    ``direction_deg`` (azimuth of the move, degrees clockwise from grid north).
    The centroids are computed once, in ``area_crs``.
    """
    from pyproj import Transformer

    to_ll = Transformer.from_crs(area_crs, "EPSG:4326", always_xy=True)
    rows = []
    prev = None
    pts = units.to_crs(area_crs).geometry.centroid
    cx = pd.Series(pts.x.to_numpy(), index=units["unit_id"].to_numpy())
    cy = pd.Series(pts.y.to_numpy(), index=units["unit_id"].to_numpy())
    for year, g in table.groupby("year", sort=True):
        g = g[g["unit_id"].isin(cx.index)]
        x, y = _weighted_centre(
            cx.loc[g["unit_id"]].to_numpy(), cy.loc[g["unit_id"]].to_numpy(), g[value_column].to_numpy(float)
        )
        lon, lat = to_ll.transform(x, y) if np.isfinite(x) else (np.nan, np.nan)
        shift = direction = np.nan
        if prev is not None and np.isfinite(x) and np.isfinite(prev[0]):
            dx, dy = x - prev[0], y - prev[1]
            shift = math.hypot(dx, dy)
            direction = math.degrees(math.atan2(dx, dy)) % 360.0 if shift > 0 else np.nan
        rows.append(
            {
                "year": int(year),
                "x": x,
                "y": y,
                "lon": lon,
                "lat": lat,
                "shift_m": shift,
                "direction_deg": direction,
            }
        )
        prev = (x, y)
    return pd.DataFrame(rows)
