"""Connectivity networks of upper units (METHODS §5.1; seed 000 §2.2).

Input flows are a long table ``origin, destination, year, kind, value``:
directed flows between units of one level (usually cities), ``kind`` any
name (population, economic, transport …), ``value`` ≥ 0 in the unit of the
kind (persons, CNY, trains, an index). For every upper unit U (e.g. an
agglomeration), year and kind, the graph of U's members with the flows
among them; a link is a flow with value > 0.

:func:`network_indicators` returns the tables

- ``connectivity`` (``level, unit_id, year, kind``): ``n_nodes`` (U's
  members), ``n_links``, ``density`` = n_links / (n (n − 1)) (directed;
  n_links / (n (n − 1) / 2) of unordered links when symmetric, as
  networkx ``density``), ``internal_flow`` = Σ flows among U's members,
  ``external_flow`` = Σ flows from U's members to units outside U and back,
  ``internal_share`` = internal / (internal + external) (0…1),
  ``intensity`` = internal_flow / (n (n − 1)) (flow per ordered member
  pair); flows in the unit of ``value``;
- ``connectivity_nodes`` (``level, unit_id, year, kind, group_id``) for
  every member of U: ``strength_out`` = Σ_j w_ij and ``strength_in`` = Σ_j
  w_ji over U's members j, ``strength`` = out + in, ``degree_centrality`` =
  (in-degree + out-degree) / (n − 1) as networkx ``degree_centrality`` on
  the directed graph, ``betweenness`` as networkx ``betweenness_centrality``
  with weight 1 / value, normalised, and ``primacy`` = strength / the
  largest strength in U (0…1).

With ``symmetric=True`` both directions are summed, w_ij = w_ji = f_ij +
f_ji, and the graph is undirected: links are unordered pairs, degree
centrality and betweenness are networkx's on the undirected graph, and
``strength_out`` = ``strength_in`` = ``strength`` = Σ_j w_ij (all of a
member's flows with U). Flow totals (internal, external, intensity) do not
depend on it.

:func:`reach` gives the 2-hour reach of every upper unit from a travel-time
table, :func:`strongest_links` the strongest links for a map layer, and
:func:`validate_flows` / :func:`validate_travel_times` check the tables.

Empty cells (NaN): ``density`` and ``intensity`` of a unit with fewer than
two members, ``internal_share`` of a unit with no flow at all, ``primacy``
of a unit whose members all have zero strength. networkx gives a lone
member a degree centrality of 1, and so does this module.

The flow sums are vectorised over the whole table (a 2,800-county matrix of
7.8 M pairs takes seconds); betweenness runs a compiled dense Brandes per
upper unit (:mod:`ecozone.connectivity._brandes`), checked against networkx.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecozone.connectivity._brandes import betweenness_dense
from ecozone.errors import InputError, ParameterError

__all__ = [
    "CONNECTIVITY_COLUMNS",
    "FLOW_COLUMNS",
    "LINK_COLUMNS",
    "NODE_COLUMNS",
    "REACH_COLUMNS",
    "TRAVEL_TIME_COLUMNS",
    "NetworkIndicators",
    "network_indicators",
    "reach",
    "strongest_links",
    "validate_flows",
    "validate_travel_times",
]

FLOW_COLUMNS = ("origin", "destination", "year", "kind", "value")
TRAVEL_TIME_COLUMNS = ("origin", "destination", "year", "mode", "hours")
#: columns of the table ``connectivity``
CONNECTIVITY_COLUMNS = (
    "level", "unit_id", "year", "kind", "n_nodes", "n_links", "density",
    "internal_flow", "external_flow", "internal_share", "intensity",
)
#: columns of the table ``connectivity_nodes``
NODE_COLUMNS = (
    "level", "unit_id", "year", "kind", "group_id", "strength_out", "strength_in",
    "strength", "degree_centrality", "betweenness", "primacy",
)
#: columns of the reach table (joined to ``connectivity`` by level, unit_id, year)
REACH_COLUMNS = ("level", "unit_id", "year", "reach_pairs_share", "reach_population_share", "core_id")
LINK_COLUMNS = ("origin", "destination", "year", "kind", "value", "rank")

_EMPTY = {"", "nan", "none", "null", "<na>"}


# --------------------------------------------------------------------------- helpers


def _clean_id(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        v = int(v)
    t = str(v).strip()
    return "" if t.lower() in _EMPTY else t


def _factor(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(int64 codes, cleaned str uniques) of an id column; code −1 for a missing id."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy().astype(np.int64)
        uniq = np.asarray(s.cat.categories, dtype=object)
    else:
        codes, uniq = pd.factorize(s, sort=False)
        codes = codes.astype(np.int64)
        uniq = np.asarray(uniq, dtype=object)
    clean = np.array([_clean_id(u) for u in uniq], dtype=object)
    # cleaning may merge uniques (310000 and 310000.0): re-factorize them
    cc, cu = pd.factorize(clean, sort=False)
    if len(cu) == len(clean) and "" not in set(cu):  # nothing merged, nothing emptied
        return codes, np.asarray(cu, dtype=object)
    if len(cc):
        codes = np.where(codes >= 0, cc[np.maximum(codes, 0)], -1).astype(np.int64)
    cu = np.asarray(cu, dtype=object)
    empty = np.flatnonzero(cu == "")
    if len(empty):
        codes = np.where(np.isin(codes, empty), -1, codes)
    return codes, cu


def _wsum(index: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """Σ weights per index 0…n−1 (float64, also when there is nothing to sum)."""
    return np.bincount(index, weights, minlength=n).astype(np.float64, copy=False)


def _row(df: pd.DataFrame, i: int) -> int:
    """Spreadsheet row number (header = row 1) of the i-th data row."""
    idx = df.index[i]
    return int(idx) + 2 if isinstance(idx, (int, np.integer)) else i + 2


def _membership(membership) -> pd.Series:
    if isinstance(membership, Mapping):
        membership = pd.Series(membership)
    m = pd.Series(
        [_clean_id(v) for v in membership.to_numpy()],
        index=pd.Index([_clean_id(i) for i in membership.index]),
        name=membership.name,
        dtype=object,
    )
    m.index.name = membership.index.name
    return m[m.index != ""]


@dataclass
class _Encoded:
    """Flows (or travel times) encoded on integers for vectorised sums."""

    o: np.ndarray  # node index of the origin
    d: np.ndarray  # node index of the destination
    t: np.ndarray  # index of (year, kind) or year
    v: np.ndarray  # value (float64)
    nodes: np.ndarray  # node ids (str): members first (sorted by group, id), then others
    group_of: np.ndarray  # group index per node, −1 outside every group
    groups: np.ndarray  # group ids (str), sorted
    local: np.ndarray  # position of a member among its group's members
    n_members: np.ndarray  # members per group
    first: np.ndarray  # node index of each group's first member


def _encode(frame: pd.DataFrame, membership: pd.Series, tcodes: np.ndarray, value: str) -> _Encoded:
    m = membership
    mem = m[m != ""]
    if m.index.duplicated().any():
        dup = m.index[m.index.duplicated()][0]
        raise InputError(f"unit {dup} appears twice in the membership of units in upper units",
                         where="membership", fix="give every member one upper unit (Units.members does)")
    order = np.lexsort((mem.index.to_numpy(dtype=str), mem.to_numpy(dtype=str)))
    mem = mem.iloc[order]
    groups, gidx = np.unique(mem.to_numpy(dtype=str), return_inverse=True)
    oc, ou = _factor(frame["origin"])
    dc, du = _factor(frame["destination"])
    others = pd.Index(np.concatenate([ou, du])).unique()
    others = others[~others.isin(mem.index) & (others != "")]
    nodes = np.concatenate([mem.index.to_numpy(dtype=object), np.asarray(others, dtype=object)])
    index = pd.Index(nodes)
    o = index.get_indexer(ou)[oc]
    d = index.get_indexer(du)[dc]
    if (oc < 0).any() or (dc < 0).any():
        i = int(np.flatnonzero((oc < 0) | (dc < 0))[0])
        raise InputError(f"row {_row(frame, i)}: origin or destination is empty", where="flows",
                         fix="give both unit ids in every row")
    group_of = np.full(len(nodes), -1, np.int64)
    group_of[: len(mem)] = gidx
    n_members = np.bincount(gidx, minlength=len(groups)).astype(np.int64)
    first = np.concatenate([[0], np.cumsum(n_members)[:-1]]).astype(np.int64)
    local = np.full(len(nodes), -1, np.int64)
    local[: len(mem)] = np.arange(len(mem)) - first[gidx]
    v = pd.to_numeric(frame[value], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return _Encoded(o.astype(np.int64), d.astype(np.int64), tcodes, v, nodes, group_of,
                    groups.astype(object), local, n_members, first)


def _year_kind(frame: pd.DataFrame, second: str) -> tuple[np.ndarray, pd.DataFrame]:
    """Codes of (year, second) combinations, and the table of combinations (sorted)."""
    yc, yu = pd.factorize(frame["year"], sort=True)
    kc, ku = pd.factorize(frame[second], sort=True)
    for col, c in (("year", yc), (second, kc)):
        if (c < 0).any():
            i = int(np.flatnonzero(c < 0)[0])
            raise InputError(f"row {_row(frame, i)}: column '{col}' is empty", where="flows",
                             fix=f"give the {col} of every row")
    nk = max(len(ku), 1)
    comb = yc.astype(np.int64) * nk + kc
    present = np.zeros(len(yu) * nk, bool)  # dense: O(n), no sort of the whole table
    present[comb] = True
    cu = np.flatnonzero(present)
    lut = np.cumsum(present) - 1
    inv = lut[comb]
    table = pd.DataFrame({"year": np.asarray(yu, dtype=float)[cu // nk].astype(np.int64),
                          second: np.array([str(k) for k in np.asarray(ku, dtype=object)], dtype=object)[cu % nk]})
    return inv.astype(np.int64), table


def _levels_name(membership: pd.Series, level: str | None, node_level: str | None) -> tuple[str, str]:
    level = level if level is not None else membership.name
    node_level = node_level if node_level is not None else membership.index.name
    if level is None or node_level is None:
        raise ValueError(
            "name the levels: pass level= and node_level=, or a membership Series named after the upper "
            "level whose index is named after the members' level (Units.members(level, upper) is)"
        )
    return str(level), str(node_level)


# --------------------------------------------------------------------------- network


@dataclass(frozen=True)
class NetworkIndicators:
    """The two tables of :func:`network_indicators`.

    Attributes
    ----------
    connectivity:
        One row per upper unit, year and kind: :data:`CONNECTIVITY_COLUMNS`.
    nodes:
        One row per member, year and kind: :data:`NODE_COLUMNS`
        (``unit_id`` the member, ``group_id`` its upper unit).
    """

    connectivity: pd.DataFrame
    nodes: pd.DataFrame


def network_indicators(
    flows: pd.DataFrame,
    membership: pd.Series | Mapping[str, str],
    *,
    symmetric: bool = False,
    level: str | None = None,
    node_level: str | None = None,
) -> NetworkIndicators:
    """Network indicators of every upper unit, year and kind (METHODS §5.1).

    Parameters
    ----------
    flows:
        ``origin, destination, year, kind, value``: directed flows between
        units of one level, value ≥ 0 in the unit of the kind (persons, CNY,
        trains, an index); one row per (origin, destination, year, kind)
        (see :func:`validate_flows`). Units not in ``membership`` count as
        outside every upper unit.
    membership:
        Member id (the flows' level) → upper unit id; ``""``/NaN = in none.
        Every member is a node of its unit's graph, with flows or without.
        ``Units.members(node_level, level)`` gives it, named after the levels.
    symmetric:
        Sum both directions into one undirected link (``connectivity.symmetric``).
    level, node_level:
        Level names of the upper units and of the members (default: the
        membership Series' name and index name).

    Returns
    -------
    NetworkIndicators
        ``connectivity`` (:data:`CONNECTIVITY_COLUMNS`) and ``nodes``
        (:data:`NODE_COLUMNS`); flows and strengths in the unit of
        ``value``, density, shares, centralities and primacy unitless
        (see the module docstring for the definitions and empty cells).

    Raises
    ------
    InputError
        A self-flow (origin = destination), a negative or non-finite value,
        a missing column.
    """
    _require(flows, FLOW_COLUMNS, "flows")
    m = _membership(membership)
    level, node_level = _levels_name(m, level, node_level)
    tk, combos = _year_kind(flows, "kind")
    e = _encode(flows, m, tk, "value")
    _check_values(flows, e.v, "value", "flows")
    if (e.o == e.d).any():
        i = int(np.flatnonzero(e.o == e.d)[0])
        raise InputError(f"row {_row(flows, i)}: a flow from unit {e.nodes[e.o[i]]} to itself",
                         where="flows", fix="remove flows within a unit (origin = destination)")
    nt, ng, nn = len(combos), len(e.groups), len(e.nodes)

    go, gd = e.group_of[e.o], e.group_of[e.d]
    inside = (go >= 0) & (go == gd)
    internal = _wsum(e.t[inside] * ng + go[inside], e.v[inside], nt * ng)
    out_o = (go >= 0) & ~inside
    out_d = (gd >= 0) & ~inside
    external = _wsum(e.t[out_o] * ng + go[out_o], e.v[out_o], nt * ng)
    external += _wsum(e.t[out_d] * ng + gd[out_d], e.v[out_d], nt * ng)

    # internal pairs (summed over any repeated rows; unordered when symmetric)
    io, idd, it, iv = e.o[inside], e.d[inside], e.t[inside], e.v[inside]
    a, b = (np.minimum(io, idd), np.maximum(io, idd)) if symmetric else (io, idd)
    pk = (it * nn + a) * nn + b
    upk, inv = np.unique(pk, return_inverse=True)
    w = _wsum(inv, iv, len(upk))
    pt, rest = np.divmod(upk, nn * nn)
    pa, pb = np.divmod(rest, nn)
    pg = e.group_of[pa]
    link = w > 0
    n_links = np.bincount(pt[link] * ng + pg[link], minlength=nt * ng)

    s_out = _wsum(pt * nn + pa, w, nt * nn)
    s_in = _wsum(pt * nn + pb, w, nt * nn)
    deg = np.bincount(pt[link] * nn + pa[link], minlength=nt * nn) + np.bincount(
        pt[link] * nn + pb[link], minlength=nt * nn
    )
    if symmetric:
        s_out = s_out + s_in
        s_in = s_out
        strength = s_out
    else:
        strength = s_out + s_in

    # betweenness: one dense graph per (year-kind, group) with at least 3 members
    n_of = e.n_members
    bc = np.zeros(nt * nn)
    if (n_of >= 3).any() and link.any():
        gsize = n_of[pg]
        lt = pt[link]
        lg = pg[link]
        graph = lt * ng + lg
        ug, ginv = np.unique(graph, return_inverse=True)
        sizes = n_of[ug % ng]
        keep_graph = sizes >= 3
        off = np.concatenate([[0], np.cumsum(sizes.astype(np.int64) ** 2)])
        mats = np.full(int(off[-1]), np.inf)
        la, lb = e.local[pa[link]], e.local[pb[link]]
        n_link = gsize[link]
        with np.errstate(over="ignore"):  # a subnormal flow: the longest finite length
            lengths = np.minimum(1.0 / w[link], np.finfo(np.float64).max)
        mats[off[ginv] + la * n_link + lb] = lengths
        if symmetric:
            mats[off[ginv] + lb * n_link + la] = lengths
        for k in np.flatnonzero(keep_graph):
            t_k, g_k = divmod(int(ug[k]), ng)
            n = int(sizes[k])
            vals = betweenness_dense(mats[off[k] : off[k + 1]].reshape(n, n))
            f = int(e.first[g_k])
            bc[t_k * nn + f : t_k * nn + f + n] = vals

    # ---- table connectivity
    gi = np.tile(np.arange(ng), nt)
    ti = np.repeat(np.arange(nt), ng)
    n = n_of[gi].astype(float)
    pairs = n * (n - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        possible = pairs / 2 if symmetric else pairs
        density = np.where(n >= 2, n_links / np.where(possible > 0, possible, 1), np.nan)
        intensity = np.where(n >= 2, internal / np.where(pairs > 0, pairs, 1), np.nan)
        tot = internal + external
        share = np.where(tot > 0, internal / np.where(tot > 0, tot, 1), np.nan)
    conn = pd.DataFrame(
        {
            "level": level,
            "unit_id": e.groups[gi].astype(str),
            "year": combos["year"].to_numpy()[ti],
            "kind": combos["kind"].to_numpy()[ti],
            "n_nodes": n_of[gi].astype(np.int64),
            "n_links": n_links.astype(np.int64),
            "density": density,
            "internal_flow": internal,
            "external_flow": external,
            "internal_share": share,
            "intensity": intensity,
        }
    )

    # ---- table connectivity_nodes
    members = np.flatnonzero(e.group_of >= 0)
    mi = np.tile(members, nt)
    mt = np.repeat(np.arange(nt), len(members))
    flat = mt * nn + mi
    g_m = e.group_of[mi]
    n_m = n_of[g_m].astype(float)
    st = strength[flat]
    max_st = np.zeros(nt * ng)
    np.maximum.at(max_st, mt * ng + g_m, st)
    mx = max_st[mt * ng + g_m]
    with np.errstate(invalid="ignore", divide="ignore"):
        dc = np.where(n_m > 1, deg[flat] / np.where(n_m > 1, n_m - 1, 1), 1.0)
        primacy = np.where(mx > 0, st / np.where(mx > 0, mx, 1), np.nan)
    nodes = pd.DataFrame(
        {
            "level": node_level,
            "unit_id": e.nodes[mi].astype(str),
            "year": combos["year"].to_numpy()[mt],
            "kind": combos["kind"].to_numpy()[mt],
            "group_id": e.groups[g_m].astype(str),
            "strength_out": s_out[flat],
            "strength_in": s_in[flat],
            "strength": st,
            "degree_centrality": dc,
            "betweenness": bc[flat],
            "primacy": primacy,
        }
    )
    conn = conn.sort_values(["unit_id", "year", "kind"], kind="stable").reset_index(drop=True)
    nodes = nodes.sort_values(["group_id", "year", "kind", "unit_id"], kind="stable").reset_index(drop=True)
    return NetworkIndicators(conn[list(CONNECTIVITY_COLUMNS)], nodes[list(NODE_COLUMNS)])


def _require(frame: pd.DataFrame, cols, where: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(repr(c) for c in missing)}; columns are: "
            f"{', '.join(map(str, frame.columns))}",
            where=where,
            fix=f"give the columns {', '.join(cols)}",
        )


def _check_values(frame: pd.DataFrame, v: np.ndarray, col: str, where: str) -> None:
    bad = ~np.isfinite(v) | (v < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"row {_row(frame, i)}: {col} {float(v[i]):g} is not a finite number ≥ 0 ({int(bad.sum())} row(s))",
            where=where,
            fix=f"give every {col} as a number ≥ 0 (0 = no flow), or remove the row",
        )


# --------------------------------------------------------------------------- reach


def _per_member(table: pd.DataFrame | None, col: str, e: _Encoded, years: np.ndarray, where: str) -> np.ndarray | None:
    """(years, nodes) array of ``col`` from a long table ``unit_id, year, col`` (NaN where absent)."""
    if table is None:
        return None
    _require(table, ("unit_id", "year", col), where)
    t = table[["unit_id", "year", col]].copy()
    t["unit_id"] = [_clean_id(u) for u in t["unit_id"]]
    t["year"] = pd.to_numeric(t["year"], errors="coerce")
    t[col] = pd.to_numeric(t[col], errors="coerce")
    t = t.dropna(subset=["year", col]).drop_duplicates(["unit_id", "year"], keep="last")
    out = np.full((len(years), len(e.nodes)), np.nan)
    ni = pd.Index(e.nodes).get_indexer(t["unit_id"])
    yi = pd.Index(years).get_indexer(t["year"].astype(np.int64))
    ok = (ni >= 0) & (yi >= 0)
    out[yi[ok], ni[ok]] = t[col].to_numpy(dtype=float)[ok]
    return out


def _missing_members(values: np.ndarray, e: _Encoded, g: int) -> list[str]:
    f = int(e.first[g])
    idx = np.arange(f, f + int(e.n_members[g]))
    return [str(e.nodes[i]) for i in idx[np.isnan(values[idx])]]


def reach(
    travel_times: pd.DataFrame,
    population: pd.DataFrame | None,
    gdp: pd.DataFrame | None,
    membership: pd.Series | Mapping[str, str],
    reach_hours: float = 2.0,
    core: Mapping[str, str] | None = None,
    *,
    level: str | None = None,
    where: str = "economy",
) -> pd.DataFrame:
    """Two-hour reach of every upper unit and year (METHODS §5.1).

    Parameters
    ----------
    travel_times:
        ``origin, destination, year, mode, hours``: travel time in hours
        between members (any mode: rail, road …; see
        :func:`validate_travel_times`).
    population, gdp:
        Long tables ``unit_id, year, population`` (persons) and ``unit_id,
        year, gdp`` (CNY) of the members (the economy table serves for both);
        ``None`` when the study has none: the population share is then
        empty, and so is the core of a unit ``core`` does not name.
    membership:
        Member id → upper unit id (``""``/NaN = in none), as for
        :func:`network_indicators`.
    reach_hours:
        ``connectivity.reach_hours`` (h); a pair is within reach when its
        time is ≤ this.
    core:
        ``connectivity.core``: upper unit id → its core member; otherwise the
        member with the largest GDP that year (ties: the first id in sort
        order).
    level:
        Level name of the upper units (default: the membership's name).
    where:
        The file holding population and gdp, for error messages.

    Returns
    -------
    pandas.DataFrame
        :data:`REACH_COLUMNS`, one row per upper unit and year of
        ``travel_times``: ``reach_pairs_share`` (0…1) = unordered member
        pairs whose faster direction and mode takes ≤ ``reach_hours`` over
        all n (n − 1) / 2 member pairs (a pair without a travel time is not
        within reach; empty for fewer than two members);
        ``reach_population_share`` (0…1) = population of the members within
        ``reach_hours`` of the core, the core included, over the unit's
        population; ``core_id``.

    Raises
    ------
    InputError
        Negative or non-finite hours, a self pair, a member without GDP
        (when the core must be chosen) or without population.
    ParameterError
        ``reach_hours`` ≤ 0, or a core that is not a member of its unit.
    """
    if not np.isfinite(reach_hours) or reach_hours <= 0:
        raise ParameterError(f"reach_hours must be a number of hours > 0, not {reach_hours!r}",
                             where="[connectivity] reach_hours", fix="give e.g. 2")
    _require(travel_times, TRAVEL_TIME_COLUMNS, "travel_times")
    m = _membership(membership)
    lv = level if level is not None else m.name
    if lv is None:
        raise ValueError("name the upper level: pass level= or a membership Series named after it")
    yc, yu = pd.factorize(pd.to_numeric(travel_times["year"]).to_numpy(dtype=np.int64), sort=True)
    years = np.asarray(yu, dtype=np.int64)
    e = _encode(travel_times, m, yc.astype(np.int64), "hours")
    _check_values(travel_times, e.v, "hours", "travel_times")
    if (e.o == e.d).any():
        i = int(np.flatnonzero(e.o == e.d)[0])
        raise InputError(f"row {_row(travel_times, i)}: a travel time from unit {e.nodes[e.o[i]]} to itself",
                         where="travel_times", fix="remove rows whose origin equals the destination")
    ny, ng, nn = len(years), len(e.groups), len(e.nodes)

    # fastest time per unordered member pair and year
    go, gd = e.group_of[e.o], e.group_of[e.d]
    inside = (go >= 0) & (go == gd)
    a = np.minimum(e.o[inside], e.d[inside])
    b = np.maximum(e.o[inside], e.d[inside])
    pk = (e.t[inside] * nn + a) * nn + b
    upk, inv = np.unique(pk, return_inverse=True)
    fastest = np.full(len(upk), np.inf)
    np.minimum.at(fastest, inv, e.v[inside])
    pt, rest = np.divmod(upk, nn * nn)
    pa, pb = np.divmod(rest, nn)
    pg = e.group_of[pa]
    near = fastest <= reach_hours
    n_near = np.bincount(pt[near] * ng + pg[near], minlength=ny * ng)
    n = e.n_members.astype(float)
    gi = np.tile(np.arange(ng), ny)
    ti = np.repeat(np.arange(ny), ng)
    pairs = n[gi] * (n[gi] - 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        pairs_share = np.where(pairs > 0, n_near / np.where(pairs > 0, pairs, 1), np.nan)

    # core of every unit and year
    pop = _per_member(population, "population", e, years, where)
    money = _per_member(gdp, "gdp", e, years, where)
    core = dict(core or {})
    unknown = sorted(set(core) - set(e.groups))
    if unknown:
        raise ParameterError(f"core names upper unit(s) {unknown}, which have no member among the units",
                             where="[connectivity] core", fix=f"name units among {list(e.groups)[:20]}")
    index = pd.Index(e.nodes)
    core_node = np.full(ny * ng, -1, np.int64)
    for g, gid in enumerate(e.groups):
        f, k = int(e.first[g]), int(e.n_members[g])
        if gid in core:
            c = index.get_indexer([_clean_id(core[gid])])[0]
            if c < f or c >= f + k:
                raise ParameterError(
                    f"core of {gid} is {core[gid]!r}, which is not one of its members",
                    where=f"[connectivity] core.{gid}",
                    fix=f"name one of its members: {', '.join(map(str, e.nodes[f:f + k][:20]))}",
                )
            core_node[np.arange(ny) * ng + g] = c
        elif money is not None:
            for y in range(ny):
                vals = money[y, f : f + k]
                if np.isnan(vals).any():
                    miss = _missing_members(money[y], e, g)
                    raise InputError(
                        f"no GDP for {', '.join(miss[:10])} (member(s) of {gid}) in {years[y]}, needed to "
                        f"choose the core city of {gid}",
                        where=where,
                        fix=f"give their gdp for {years[y]}, or name the core of {gid} in [connectivity] core",
                    )
                core_node[y * ng + g] = f + int(np.argmax(vals))

    # population within reach of the core
    pop_share = np.full(ny * ng, np.nan)
    if pop is not None:
        reached = np.zeros((ny, nn), bool)
        has = core_node >= 0
        reached[ti[has], core_node[has]] = True
        cg = core_node[pt * ng + pg]
        r1 = (pa == cg) & near
        r2 = (pb == cg) & near
        reached[pt[r1], pb[r1]] = True
        reached[pt[r2], pa[r2]] = True
        for j in np.flatnonzero(has):
            y, g = divmod(j, ng)
            f, k = int(e.first[g]), int(e.n_members[g])
            p = pop[y, f : f + k]
            if np.isnan(p).any():
                miss = _missing_members(pop[y], e, g)
                raise InputError(
                    f"no population for {', '.join(miss[:10])} (member(s) of {e.groups[g]}) in {years[y]}",
                    where=where,
                    fix=f"give their population for {years[y]} (the 2-hour reach weighs members by it)",
                )
            total = p.sum()
            if total > 0:
                pop_share[j] = p[reached[y, f : f + k]].sum() / total

    out = pd.DataFrame(
        {
            "level": str(lv),
            "unit_id": e.groups[gi].astype(str),
            "year": years[ti],
            "reach_pairs_share": pairs_share,
            "reach_population_share": pop_share,
            "core_id": [str(e.nodes[c]) if c >= 0 else None for c in core_node],
        }
    )
    return out.sort_values(["unit_id", "year"], kind="stable").reset_index(drop=True)[list(REACH_COLUMNS)]


# --------------------------------------------------------------------------- links for the map


def strongest_links(flows: pd.DataFrame, n: int = 200, *, symmetric: bool = False) -> pd.DataFrame:
    """The ``n`` strongest links of every year and kind, for a map layer.

    Parameters
    ----------
    flows:
        ``origin, destination, year, kind, value`` (see :func:`network_indicators`).
    n:
        Links kept per year and kind (``connectivity.strongest_links``).
    symmetric:
        Sum both directions into one link (origin = the smaller id).

    Returns
    -------
    pandas.DataFrame
        :data:`LINK_COLUMNS`: links with value > 0 (unit of ``value``),
        ``rank`` 1 = strongest per year and kind; ties are ranked by origin
        then destination.
    """
    _require(flows, FLOW_COLUMNS, "flows")
    if n < 0:
        raise ParameterError(f"strongest_links must be ≥ 0, not {n}", where="[connectivity] strongest_links",
                             fix="give the number of links to map, e.g. 200")
    tk, combos = _year_kind(flows, "kind")
    oc, ou = _factor(flows["origin"])
    dc, du = _factor(flows["destination"])
    ids = np.array(sorted(set(ou) | set(du)), dtype=object)
    index = pd.Index(ids)
    o = index.get_indexer(ou)[oc]
    d = index.get_indexer(du)[dc]
    v = flows["value"].to_numpy(dtype=np.float64)
    if symmetric:
        nn = len(ids)
        key = (tk * nn + np.minimum(o, d)) * nn + np.maximum(o, d)
        uk, inv = np.unique(key, return_inverse=True)
        v = _wsum(inv, v, len(uk))
        tk, rest = np.divmod(uk, nn * nn)
        o, d = np.divmod(rest, nn)
    pos = v > 0
    tk, o, d, v = tk[pos], o[pos], d[pos], v[pos]
    keep = []
    order = np.argsort(tk, kind="stable")
    bounds = np.searchsorted(tk[order], np.arange(len(combos) + 1))
    for k in range(len(combos)):
        sub = order[bounds[k] : bounds[k + 1]]
        if len(sub) > n:
            cut = np.partition(v[sub], len(sub) - n)[len(sub) - n]
            sub = sub[v[sub] >= cut]
        sub = sub[np.lexsort((d[sub], o[sub], -v[sub]))][:n]
        keep.append(sub)
    sel = np.concatenate(keep) if keep else np.zeros(0, np.int64)
    out = pd.DataFrame(
        {
            "origin": ids[o[sel]].astype(str),
            "destination": ids[d[sel]].astype(str),
            "year": combos["year"].to_numpy()[tk[sel]],
            "kind": combos["kind"].to_numpy()[tk[sel]],
            "value": v[sel],
        }
    )
    out["rank"] = out.groupby(["year", "kind"]).cumcount().astype(np.int64) + 1
    return out[list(LINK_COLUMNS)].reset_index(drop=True)


# --------------------------------------------------------------------------- validation


def _level_order(units_frame: pd.DataFrame) -> list[str]:
    return [str(x) for x in pd.unique(units_frame["level"])]


def _validate_pairs(
    frame: pd.DataFrame,
    units_frame: pd.DataFrame,
    where: str,
    columns: tuple[str, ...],
    what: str,
) -> tuple[pd.DataFrame, str]:
    second, value = columns[3], columns[4]
    _require(frame, columns, where)
    if len(frame) == 0:
        raise InputError(f"the {what} table is empty (no data rows)", where=where,
                         fix="fill it, or remove it from [tables]")
    oc, ou = _factor(frame["origin"])
    dc, du = _factor(frame["destination"])
    for col, c in (("origin", oc), ("destination", dc)):
        if (c < 0).any():
            i = int(np.flatnonzero(c < 0)[0])
            raise InputError(f"row {_row(frame, i)}: column '{col}' is empty", where=where,
                             fix="give the unit id of both ends in every row")

    # ids known, at one level
    order = _level_order(units_frame)
    bit = {lv: 1 << k for k, lv in enumerate(order)}
    uf = pd.DataFrame({"unit_id": [_clean_id(u) for u in units_frame["unit_id"]],
                       "bit": units_frame["level"].astype(str).map(bit).to_numpy()})
    bits = uf.groupby("unit_id")["bit"].sum()
    ob = bits.reindex(ou).fillna(0).to_numpy(dtype=np.int64)
    db = bits.reindex(du).fillna(0).to_numpy(dtype=np.int64)
    row_o, row_d = ob[oc], db[dc]
    for col, rb, c, u in (("origin", row_o, oc, ou), ("destination", row_d, dc, du)):
        if (rb == 0).any():
            rows = np.flatnonzero(rb == 0)
            i = int(rows[0])
            n_ids = len(np.unique(c[rows]))
            raise InputError(
                f"row {_row(frame, i)}: {col} '{u[c[i]]}' is not a unit of the study at any level "
                f"({len(rows)} row(s), {n_ids} unknown id(s) in column '{col}')",
                where=where,
                fix="correct the id (ids must match the units layer's id columns, e.g. 6-digit adcodes) "
                "or remove the rows",
            )
    self_rows = np.flatnonzero(pd.Index(ou).get_indexer(du)[dc] == oc)
    if len(self_rows):
        i = int(self_rows[0])
        raise InputError(
            f"row {_row(frame, i)}: origin and destination are the same unit '{ou[oc[i]]}' "
            f"({len(self_rows)} such row(s))",
            where=where,
            fix=f"remove {what} within a unit; the table holds {what} between two units",
        )
    common = row_o & row_d
    if (common == 0).any():
        i = int(np.flatnonzero(common == 0)[0])

        def names(b: int) -> str:
            return " / ".join(lv for lv in order if b & bit[lv])

        raise InputError(
            f"row {_row(frame, i)}: origin '{ou[oc[i]]}' is a unit of level {names(int(row_o[i]))} and "
            f"destination '{du[dc[i]]}' of level {names(int(row_d[i]))}",
            where=where,
            fix=f"{what} join two units of one level (e.g. city to city); aggregate or remove the row",
        )
    everywhere = int(np.bitwise_and.reduce(common))
    if everywhere == 0:
        counts = {lv: int(((common & bit[lv]) > 0).sum()) for lv in order}
        main = max(order, key=lambda lv: counts[lv])
        i = int(np.flatnonzero((common & bit[main]) == 0)[0])
        other = [lv for lv in order if common[i] & bit[lv]]
        raise InputError(
            f"row {_row(frame, i)}: '{ou[oc[i]]}' → '{du[dc[i]]}' joins units of level {' / '.join(other)}, "
            f"while {counts[main]} row(s) join units of level '{main}'",
            where=where,
            fix=f"give {what} between units of one level in one table (here '{main}'); remove the other rows",
        )
    level = next(lv for lv in order if everywhere & bit[lv])

    # year, second key, value
    if pd.api.types.is_integer_dtype(frame["year"].dtype):
        y = frame["year"].to_numpy(dtype=np.int64)
        bad = np.zeros(len(y), bool)
    else:
        y = pd.to_numeric(frame["year"], errors="coerce").to_numpy(dtype=float)
        bad = np.isnan(y) | (y != np.round(y))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"row {_row(frame, i)}: year {frame['year'].iloc[i]!r} is not a whole number",
                         where=where, fix="give the calendar year, e.g. 2020")
    kc, ku = _factor(frame[second])
    if (kc < 0).any():
        i = int(np.flatnonzero(kc < 0)[0])
        hint = "population, economic, transport or any name" if second == "kind" else "rail, road, air or any name"
        raise InputError(f"row {_row(frame, i)}: column '{second}' is empty", where=where,
                         fix=f"name the {second} of every row ({hint})")
    raw = frame[value]
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        v = raw.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        v = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    if np.isnan(v).any():
        i = int(np.flatnonzero(np.isnan(v))[0])
        cell = raw.iloc[i]
        shown = "is empty" if pd.isna(cell) or str(cell).strip() == "" else f"{cell!r} is not a number"
        zero = " (0 = no flow)" if value == "value" else ""
        raise InputError(f"row {_row(frame, i)}: {value} {shown}", where=where,
                         fix=f"give a number ≥ 0{zero}, or remove the row")
    _check_values(frame, v, value, where)

    # one row per key
    yc, yu = pd.factorize(y.astype(np.int64))
    nu = max(len(ou), len(du))
    key = ((oc * nu + dc) * len(yu) + yc) * max(len(ku), 1) + kc
    space = len(ou) * nu * len(yu) * max(len(ku), 1)
    if space <= 4 * len(key) + 1024:  # dense key space (an OD matrix): count in one pass
        counts = np.bincount(key, minlength=space)
        dup = counts[key] > 1 if (counts > 1).any() else np.zeros(len(key), bool)
    else:
        dup = pd.Series(key).duplicated(keep=False).to_numpy()
    if dup.any():
        first = int(np.flatnonzero(dup)[0])
        rows = np.flatnonzero(key == key[first])
        k2 = ", ".join(str(_row(frame, int(j))) for j in rows[:6])
        raise InputError(
            f"rows {k2} repeat the same origin '{ou[oc[first]]}', destination '{du[dc[first]]}', "
            f"year {int(y[first])} and {second} '{ku[kc[first]]}' ({int(dup.sum())} repeated row(s) in all)",
            where=where,
            fix=f"keep one row per origin, destination, year and {second} (sum or drop the repeats)",
        )

    ids = np.array(sorted(set(ou) | set(du)), dtype=object)
    cat = pd.CategoricalDtype(ids)
    kinds = np.array(sorted(set(ku)), dtype=object)
    out = pd.DataFrame(
        {
            "origin": pd.Categorical.from_codes(pd.Index(ids).get_indexer(ou)[oc], dtype=cat),
            "destination": pd.Categorical.from_codes(pd.Index(ids).get_indexer(du)[dc], dtype=cat),
            "year": y.astype(np.int64),
            second: pd.Categorical.from_codes(pd.Index(kinds).get_indexer(ku)[kc],
                                              dtype=pd.CategoricalDtype(kinds)),
            value: v,
        }
    )
    return out, level


def validate_flows(flows: pd.DataFrame, units_frame: pd.DataFrame, where: str = "flows") -> tuple[pd.DataFrame, str]:
    """Check a flows table against the units and return it clean, with its level.

    Parameters
    ----------
    flows:
        ``origin, destination, year, kind, value`` as read (ids as text or
        numbers, values as numbers or text).
    units_frame:
        ``level, unit_id`` of every unit of every level (``Units.frame``).
    where:
        The file name, for messages.

    Returns
    -------
    (pandas.DataFrame, str)
        The flows with ``origin``, ``destination`` and ``kind`` as
        categoricals of clean ids/names, ``year`` int64 and ``value``
        float64; and the level of their units (the finest that holds all of
        them, where an id names one unit at two levels).

    Raises
    ------
    InputError
        Missing columns, an empty table or id, an id that is no unit, a
        self-flow, origin and destination (or the rows) at different levels,
        a year that is no whole number, an empty kind, a value that is
        empty, not a number, negative or infinite, a repeated (origin,
        destination, year, kind); each names the row (header = row 1) and
        the fix.
    """
    return _validate_pairs(flows, units_frame, where, FLOW_COLUMNS, "flows")


def validate_travel_times(
    travel_times: pd.DataFrame, units_frame: pd.DataFrame, where: str = "travel_times"
) -> tuple[pd.DataFrame, str]:
    """Check a travel-time table (``origin, destination, year, mode, hours``) like :func:`validate_flows`.

    Returns the clean table (``origin``, ``destination``, ``mode``
    categorical, ``year`` int64, ``hours`` float64, h) and its level.
    """
    return _validate_pairs(travel_times, units_frame, where, TRAVEL_TIME_COLUMNS, "travel times")
