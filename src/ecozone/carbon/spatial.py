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
"""

from __future__ import annotations

import math
import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd

from ecozone.carbon.params import SpatialParams

QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
DEFAULT_AREA_CRS = (
    "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m +no_defs"
)


@contextmanager
def _seeded(seed: int):
    """Seed NumPy's global generator for a library that has no ``seed`` argument, then restore it."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def contiguity_weights(units, contiguity: str = "queen", ids: str = "unit_id"):
    """Contiguity weights of polygons (libpysal ``W``), row-standardised.

    ``units``: GeoDataFrame of polygons; ``ids``: the id column (the W's ids).
    """
    from libpysal import weights

    cls = {"queen": weights.Queen, "rook": weights.Rook}[contiguity]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = cls.from_dataframe(
            units, ids=units[ids].tolist(), use_index=False, silence_warnings=True
        )
    w.transform = "r"
    return w


def _islands(w) -> set:
    return set(w.islands)


def global_moran(values, w, permutations: int = 999, seed: int = 12345) -> dict:
    """Global Moran's I of ``values`` (ordered as ``w.id_order``).

    Returns ``moran_i``, ``expected_i`` (−1/(n−1)), ``z_norm``, ``p_norm``
    (normality), ``p_sim`` (pseudo p-value from ``permutations``
    permutations, NaN when 0), ``n``.
    """
    import esda

    y = np.asarray(values, dtype=float)
    with warnings.catch_warnings(), _seeded(seed):
        warnings.simplefilter("ignore")
        m = esda.Moran(y, w, permutations=permutations)
    return {
        "moran_i": float(m.I),
        "expected_i": float(m.EI),
        "z_norm": float(m.z_norm),
        "p_norm": float(m.p_norm),
        "p_sim": float(m.p_sim) if permutations else float("nan"),
        "n": int(m.n),
    }


def local_moran(
    values, w, permutations: int = 999, seed: int = 12345, significance: float = 0.05
) -> pd.DataFrame:
    """Local Moran's I (LISA) of ``values`` (ordered as ``w.id_order``).

    Returns one row per unit (index = ``w.id_order``): ``lisa_i``,
    ``quadrant`` (HH: high value among high neighbours, LH, LL, HL),
    ``p_sim`` (conditional permutation pseudo p-value) and ``cluster`` =
    the quadrant where ``p_sim < significance``, else ``not_significant``
    (``island`` for units without neighbours).
    """
    import esda

    y = np.asarray(values, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm = esda.Moran_Local(y, w, permutations=0)
    quad = pd.Series(lm.q).map(QUADRANTS).to_numpy()
    z = y - y.mean()
    p = conditional_permutation_p(z, w, _row_weights(w), permutations, seed)
    cluster = np.where(p < significance, quad, "not_significant")
    out = pd.DataFrame(
        {"lisa_i": lm.Is, "quadrant": quad, "p_sim": p, "cluster": cluster}, index=w.id_order
    )
    isl = [i for i in out.index if i in _islands(w)]
    out.loc[isl, ["lisa_i", "p_sim"]] = np.nan
    out.loc[isl, ["quadrant", "cluster"]] = "island"
    return out


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
    form is evaluated.
    """
    import esda
    from scipy.stats import norm

    y = np.asarray(values, dtype=float)
    ys = y - y.min() if y.min() < 0 else y
    wb = _binary_copy(w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = esda.G_Local(ys, wb, transform="B", permutations=0, star=True)
    z = np.asarray(g.Zs, dtype=float)
    # Gi* is increasing in Σ_j w_ij y_j (self term fixed), so its permutation
    # p-value is that of the neighbours' sum
    p_sim = conditional_permutation_p(ys, w, _binary_weights(w), permutations, seed)
    spot = np.where(p_sim < significance, np.where(z > 0, "hot", "cold"), "not_significant")
    out = pd.DataFrame(
        {"gi_star_z": z, "p_norm": 2 * norm.sf(np.abs(z)), "p_sim": p_sim, "spot": spot},
        index=w.id_order,
    )
    isl = [i for i in out.index if i in _islands(w)]
    out.loc[isl, ["gi_star_z", "p_norm", "p_sim"]] = np.nan
    out.loc[isl, "spot"] = "island"
    return out


def _binary_copy(w):
    from libpysal.weights import W

    return W(
        {k: list(v) for k, v in w.neighbors.items()}, id_order=w.id_order, silence_warnings=True
    )


def _row_weights(w) -> list[np.ndarray]:
    """Row-standardised weights of each unit's neighbours, in ``w.neighbors`` order."""
    full = w.full()[0]
    idx = {k: i for i, k in enumerate(w.id_order)}
    rows = []
    for k in w.id_order:
        nb = [idx[j] for j in w.neighbors[k]]
        r = full[idx[k], nb]
        rows.append(r / r.sum() if r.size and r.sum() > 0 else r)
    return rows


def _binary_weights(w) -> list[np.ndarray]:
    return [np.ones(len(w.neighbors[k])) for k in w.id_order]


def conditional_permutation_p(
    values, w, weights, permutations: int = 999, seed: int = 12345
) -> np.ndarray:
    """Pseudo p-values of each unit's spatial lag by conditional permutation.

    For unit i with k_i neighbours, the observed lag Σ_j w_ij·v_j is compared
    with ``permutations`` lags of k_i values drawn without replacement from
    the other n − 1 units (value of i held fixed), as esda does: one set of
    permuted ids is drawn once and shared by all units; p = (m + 1) /
    (permutations + 1) with m the number of simulated lags at least as
    extreme on the side of the observation (folded, one-sided). The local
    Moran I_i and Gi* are monotone in the lag for fixed i, so these are their
    p-values too. NaN for units without neighbours or when ``permutations`` = 0.
    """
    v = np.asarray(values, dtype=float)
    n = v.size
    out = np.full(n, np.nan)
    if permutations <= 0 or n < 3:
        return out
    idx = {k: i for i, k in enumerate(w.id_order)}
    cards = [len(w.neighbors[k]) for k in w.id_order]
    kmax = min(max(cards) if cards else 0, n - 1)
    if kmax == 0:
        return out
    scale = float(np.abs(v - v.mean()).max()) or 1.0
    rng = np.random.default_rng(seed)
    perm = np.argsort(rng.random((permutations, n - 1)), axis=1)[:, :kmax]
    for i, k in enumerate(w.id_order):
        ki = cards[i]
        if ki == 0:
            continue
        nb = [idx[j] for j in w.neighbors[k]]
        wi = np.asarray(weights[i], dtype=float)
        obs = float(v[nb] @ wi)
        ids = perm[:, :ki].copy()
        ids[ids >= i] += 1
        sims = v[ids] @ wi
        tol = 1e-9 * scale * float(np.abs(wi).sum())  # equal sums up to rounding are ties
        larger = int(np.count_nonzero(sims >= obs - tol))
        if permutations - larger < larger:
            larger = permutations - larger
        out[i] = (larger + 1.0) / (permutations + 1.0)
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
    cache: dict[tuple, object] = {}  # weights of one set of units are built once
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
                cache[key] = contiguity_weights(u, p.contiguity)
                islands = sorted(map(str, cache[key].islands))
                if islands and tuple(islands) not in noted:  # said once, not per year and variable
                    noted.add(tuple(islands))
                    names = u.set_index("unit_id")["name"] if "name" in u else None
                    shown = [f"{i} {names[i]}" if names is not None else i for i in islands]
                    notes.append(f"units without neighbours get no local statistic: {', '.join(shown)}")
            w = cache[key]
            y = sub.set_index("unit_id").loc[w.id_order, col].to_numpy(float)
            gm = global_moran(y, w, p.permutations, p.seed)
            glob.append({"year": int(year), "variable": col, **gm})
            lm = local_moran(y, w, p.permutations, p.seed, p.significance)
            hs = hot_spots(y, w, p.permutations, p.seed, p.significance)
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
    from pointpats.centrography import weighted_mean_center

    wts = np.asarray(weights, dtype=float)
    pts = units.to_crs(area_crs).geometry.centroid
    ok = np.isfinite(wts)
    wts = np.clip(wts[ok], 0, None)
    if wts.sum() <= 0:
        return (float("nan"), float("nan"))
    xy = np.column_stack([pts.x.to_numpy()[ok], pts.y.to_numpy()[ok]])
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
    """
    from pyproj import Transformer

    to_ll = Transformer.from_crs(area_crs, "EPSG:4326", always_xy=True)
    rows = []
    prev = None
    u = units.set_index("unit_id")
    for year, g in table.groupby("year", sort=True):
        g = g[g["unit_id"].isin(u.index)]
        sub = u.loc[g["unit_id"]].reset_index()
        x, y = gravity_centre(sub, g[value_column].to_numpy(float), area_crs)
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
