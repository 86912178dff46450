"""Connectivity network indicators (METHODS §5.1) against a plain networkx implementation.

Usage (from the project root)::

    .venv/bin/python benchmarks/connectivity.py                 # 2,800 units, 60 upper units, 7.8 M pairs
    .venv/bin/python benchmarks/connectivity.py --units 600     # quick

A synthetic complete origin-destination matrix among ``--units`` counties
(6-digit ids, lognormal values, 5 % zeros, one year, one kind) with
``--groups`` upper units of random sizes holding ``--inside`` of the
counties (the others belong to none). Times (best of ``--repeat``; the
Numba kernel is compiled or loaded from its cache first, reported apart):

- **ours**: :func:`ecozone.connectivity.network_indicators` (both tables,
  betweenness included), directed and symmetric;
- **networkx**: the same indicators computed per upper unit the plain way
  (a pandas filter of the unit's flows, ``nx.from_pandas_edgelist``,
  weighted degrees, ``degree_centrality``, ``betweenness_centrality`` with
  weight 1/value, ``density``; internal and external sums by pandas);

and prints the ratio (networkx time / ours) and the largest differences of
the indicators between the two.
"""

from __future__ import annotations

import argparse
import time

import networkx as nx
import numpy as np
import pandas as pd

from ecozone.connectivity import network_indicators


def synthetic(n_units: int, n_groups: int, inside: float, seed: int = 1):
    rng = np.random.default_rng(seed)
    ids = np.array([f"{100000 + 37 * i:06d}" for i in range(n_units)], dtype=object)
    n_in = int(round(inside * n_units))
    cuts = np.sort(rng.choice(np.arange(1, n_in), n_groups - 1, replace=False))
    sizes = np.diff(np.concatenate([[0], cuts, [n_in]]))
    groups = np.concatenate([np.full(s, f"G{g:02d}") for g, s in enumerate(sizes)] + [np.full(n_units - n_in, "")])
    membership = pd.Series(rng.permutation(groups), index=pd.Index(ids, name="county"), name="agglomeration")
    o, d = np.divmod(np.arange(n_units * n_units), n_units)
    keep = o != d
    o, d = o[keep], d[keep]
    v = rng.lognormal(0.0, 1.5, len(o))
    v[rng.random(len(o)) < 0.05] = 0.0
    flows = pd.DataFrame(
        {
            "origin": pd.Categorical.from_codes(o, categories=ids),
            "destination": pd.Categorical.from_codes(d, categories=ids),
            "year": np.int64(2020),
            "kind": pd.Categorical(["population"] * len(o)),
            "value": v,
        }
    )
    return flows, membership, sizes


def plain_networkx(flows: pd.DataFrame, membership: pd.Series, symmetric: bool):
    """The indicators per upper unit, the usual way: pandas for sums, networkx per graph."""
    f = pd.DataFrame(
        {
            "o": flows["origin"].astype(str),
            "d": flows["destination"].astype(str),
            "value": flows["value"].to_numpy(),
        }
    )
    f["go"] = f["o"].map(membership).fillna("")
    f["gd"] = f["d"].map(membership).fillna("")
    inside_all = f[(f["go"] == f["gd"]) & (f["go"] != "")]
    internal_of = inside_all.groupby("go")["value"].sum()
    cross = f[f["go"] != f["gd"]]
    external_of = cross.groupby("go")["value"].sum().add(cross.groupby("gd")["value"].sum(), fill_value=0)
    by_group = dict(tuple(inside_all.groupby("go")))
    rows, node_rows = [], []
    for g, members in membership[membership != ""].groupby(membership[membership != ""]):
        inside = by_group.get(g, inside_all.iloc[:0])
        internal = internal_of.get(g, 0.0)
        external = external_of.get(g, 0.0)
        links = inside[inside["value"] > 0].copy()
        if symmetric:
            a = np.minimum(links["o"], links["d"])
            b = np.maximum(links["o"], links["d"])
            links = links.assign(o=a, d=b).groupby(["o", "d"], as_index=False)["value"].sum()
        links["length"] = 1.0 / links["value"]
        G = nx.from_pandas_edgelist(
            links, "o", "d", ["value", "length"], create_using=nx.Graph if symmetric else nx.DiGraph
        )
        G.add_nodes_from(members.index)
        n = G.number_of_nodes()
        rows.append((g, n, G.number_of_edges(), nx.density(G), internal, external))
        dc = nx.degree_centrality(G)
        bc = nx.betweenness_centrality(G, weight="length", normalized=True)
        if symmetric:
            st = dict(G.degree(weight="value"))
        else:
            so, si = dict(G.out_degree(weight="value")), dict(G.in_degree(weight="value"))
            st = {k: so[k] + si[k] for k in G}
        mx = max(st.values())
        for k in G:
            node_rows.append((g, k, st[k], dc[k], bc[k], st[k] / mx if mx > 0 else np.nan))
    conn = pd.DataFrame(rows, columns=["unit_id", "n_nodes", "n_links", "density", "internal_flow", "external_flow"])
    nodes = pd.DataFrame(
        node_rows, columns=["group_id", "unit_id", "strength", "degree_centrality", "betweenness", "primacy"]
    )
    return conn, nodes


def best(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=2800)
    ap.add_argument("--groups", type=int, default=60)
    ap.add_argument("--inside", type=float, default=1.0, help="share of units inside an upper unit")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    t = time.perf_counter()
    flows, membership, sizes = synthetic(args.units, args.groups, args.inside)
    print(
        f"synthetic OD matrix: {len(flows):,} pairs among {args.units:,} units; {args.groups} upper units of "
        f"{sizes.min()}-{sizes.max()} members (mean {sizes.mean():.0f}); built in {time.perf_counter() - t:.1f} s"
    )
    t = time.perf_counter()
    network_indicators(flows.iloc[:5000], membership)  # compile or load the Numba kernel
    print(f"Numba kernel compiled/loaded in {time.perf_counter() - t:.2f} s (excluded)")

    for symmetric in (False, True):
        label = "symmetric" if symmetric else "directed"
        t_ours, ours = best(lambda s=symmetric: network_indicators(flows, membership, symmetric=s), args.repeat)
        t_nx, (conn, nodes) = best(lambda s=symmetric: plain_networkx(flows, membership, s), 1)
        c = ours.connectivity.set_index("unit_id").loc[conn["unit_id"]]
        keys = pd.MultiIndex.from_arrays([nodes["group_id"], nodes["unit_id"]])
        nd = ours.nodes.set_index(["group_id", "unit_id"]).loc[keys]
        def gap(a, b, rel=False):
            a, b = np.asarray(a, float), np.asarray(b, float)
            ok = ~np.isnan(a) & ~np.isnan(b) & ((b != 0) if rel else True)
            return float(np.abs(a[ok] / b[ok] - 1).max() if rel else np.abs(a[ok] - b[ok]).max())

        diff = {
            "n_links": gap(c["n_links"], conn["n_links"]),
            "density": gap(c["density"], conn["density"]),  # ours empty for a lone member, networkx 0
            "internal_flow (rel)": gap(c["internal_flow"], conn["internal_flow"], rel=True),
            "external_flow (rel)": gap(c["external_flow"], conn["external_flow"], rel=True),
        }
        for col in ("strength", "degree_centrality", "betweenness", "primacy"):
            diff[col] = gap(nd[col], nodes[col])
        print(f"\n{label}: ours {t_ours:.2f} s, networkx {t_nx:.2f} s, ratio networkx/ours = {t_nx / t_ours:.1f}")
        print("  largest differences: " + ", ".join(f"{k} {v:.2g}" for k, v in diff.items()))


if __name__ == "__main__":
    main()
