"""Connectivity networks (METHODS §5.1): hand-derived 3-city networks, networkx, properties, real AMap flows."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecozone.connectivity import (
    CONNECTIVITY_COLUMNS,
    NODE_COLUMNS,
    REACH_COLUMNS,
    ConnectivityParams,
    network_indicators,
    reach,
    strongest_links,
    validate_flows,
    validate_travel_times,
)
from ecozone.connectivity._brandes import betweenness_dense
from ecozone.errors import InputError, ParameterError

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
FLOWS = SHARED / "realdata" / "flows"

COLS = ["origin", "destination", "year", "kind", "value"]

# A, B, C form U; D is outside every upper unit
THREE = pd.DataFrame(
    [
        ("A", "B", 2020, "population", 10.0),
        ("B", "A", 2020, "population", 5.0),
        ("A", "C", 2020, "population", 2.0),
        ("C", "B", 2020, "population", 4.0),
        ("C", "A", 2020, "population", 0.0),  # no link
        ("A", "D", 2020, "population", 3.0),
        ("D", "C", 2020, "population", 1.0),
    ],
    columns=COLS,
)
MEMBERS = pd.Series({"A": "U", "B": "U", "C": "U", "D": ""}, name="agglomeration").rename_axis("city")


def nodes_of(res):
    return res.nodes.set_index("unit_id")


def test_three_cities_directed_by_hand():
    r = network_indicators(THREE, MEMBERS)
    assert tuple(r.connectivity.columns) == CONNECTIVITY_COLUMNS
    assert tuple(r.nodes.columns) == NODE_COLUMNS
    c = r.connectivity.iloc[0]
    assert (c["level"], c["unit_id"], c["year"], c["kind"]) == ("agglomeration", "U", 2020, "population")
    assert c["n_nodes"] == 3
    assert c["n_links"] == 4  # A→B, B→A, A→C, C→B (C→A is 0)
    assert c["density"] == pytest.approx(4 / 6)
    assert c["internal_flow"] == pytest.approx(21.0)  # 10 + 5 + 2 + 4
    assert c["external_flow"] == pytest.approx(4.0)  # A→D 3 + D→C 1
    assert c["internal_share"] == pytest.approx(21 / 25)
    assert c["intensity"] == pytest.approx(21 / 6)
    n = nodes_of(r)
    assert n["level"].eq("city").all() and n["group_id"].eq("U").all()
    assert list(n.index) == ["A", "B", "C"]  # D is no member
    assert n.loc["A", ["strength_out", "strength_in", "strength"]].tolist() == [12.0, 5.0, 17.0]
    assert n.loc["B", ["strength_out", "strength_in", "strength"]].tolist() == [5.0, 14.0, 19.0]
    assert n.loc["C", ["strength_out", "strength_in", "strength"]].tolist() == [4.0, 2.0, 6.0]
    # degrees: A out 2 in 1, B out 1 in 2, C out 1 in 1; over n − 1 = 2
    assert n["degree_centrality"].tolist() == [1.5, 1.5, 1.0]
    # lengths 1/value: B→C is shorter via A (0.2 + 0.5 < ∞), C→A via B (0.25 + 0.2); 2 ordered pairs
    assert n["betweenness"].tolist() == pytest.approx([0.5, 0.5, 0.0])
    assert n["primacy"].tolist() == pytest.approx([17 / 19, 1.0, 6 / 19])


def test_three_cities_symmetric_by_hand():
    r = network_indicators(THREE, MEMBERS, symmetric=True)
    c = r.connectivity.iloc[0]
    assert c["n_links"] == 3  # A–B 15, A–C 2, B–C 4
    assert c["density"] == pytest.approx(1.0)
    assert c["internal_flow"] == pytest.approx(21.0) and c["external_flow"] == pytest.approx(4.0)
    assert c["intensity"] == pytest.approx(21 / 6)
    n = nodes_of(r)
    assert n["strength"].tolist() == [17.0, 19.0, 6.0]
    assert (n["strength_out"] == n["strength"]).all() and (n["strength_in"] == n["strength"]).all()
    assert n["degree_centrality"].tolist() == [1.0, 1.0, 1.0]
    # A–C: direct 1/2 = 0.5 > via B 1/15 + 1/4 = 0.317: B lies on both directions, of 2 ordered pairs
    assert n["betweenness"].tolist() == pytest.approx([0.0, 1.0, 0.0])


def test_empty_and_edge_cases():
    # a lone member, a unit without flows, two years and kinds
    f = pd.concat(
        [THREE, THREE.assign(year=2021, kind="economic", value=THREE["value"] * 2)], ignore_index=True
    )
    m = pd.concat([MEMBERS, pd.Series({"E": "V", "F": "W", "G": "W"})]).rename("agglomeration")
    m.index.name = "city"
    r = network_indicators(f, m)
    c = r.connectivity.set_index(["unit_id", "year"])
    assert len(r.connectivity) == 3 * 2
    v = c.loc[("V", 2020)]
    assert v["n_nodes"] == 1 and np.isnan(v["density"]) and np.isnan(v["intensity"])
    assert np.isnan(v["internal_share"])  # no flow at all
    w = c.loc[("W", 2021)]
    assert w["n_links"] == 0 and w["density"] == 0.0 and w["internal_flow"] == 0.0
    assert c.loc[("U", 2021), "internal_flow"] == pytest.approx(42.0)
    n = r.nodes.set_index(["unit_id", "year"])
    assert n.loc[("E", 2020), "degree_centrality"] == 1.0  # as networkx for a lone node
    assert np.isnan(n.loc[("F", 2020), "primacy"])
    assert n.loc[("F", 2020), "betweenness"] == 0.0


def _random_flows(rng, n, p_link, integer):
    rows = []
    for i in range(n):
        for j in range(n):
            if i != j and rng.random() < p_link:
                v = float(rng.integers(1, 4)) if integer else float(rng.lognormal())
                rows.append((f"n{i}", f"n{j}", 2020, "k", v))
    return pd.DataFrame(rows, columns=COLS)


@pytest.mark.parametrize("symmetric", [False, True])
@pytest.mark.parametrize("integer", [False, True])  # integer values: many equal-length shortest paths
def test_degree_and_betweenness_as_networkx(symmetric, integer):
    rng = np.random.default_rng(3 + integer)
    for n, p in ((5, 0.5), (12, 0.3), (25, 0.15), (30, 0.9)):
        f = _random_flows(rng, n, p, integer)
        m = pd.Series("U", index=pd.Index([f"n{i}" for i in range(n)], name="city"), name="agglomeration")
        r = network_indicators(f, m, symmetric=symmetric)
        links = f[f["value"] > 0]
        if symmetric:
            a = np.minimum(links["origin"], links["destination"])
            b = np.maximum(links["origin"], links["destination"])
            links = links.assign(origin=a, destination=b).groupby(["origin", "destination"], as_index=False)["value"].sum()
        G = (nx.Graph if symmetric else nx.DiGraph)()
        G.add_nodes_from(m.index)
        for o, d, v in links[["origin", "destination", "value"]].itertuples(index=False):
            G.add_edge(o, d, length=1.0 / v)
        got = nodes_of(r)
        dc = nx.degree_centrality(G)
        bc = nx.betweenness_centrality(G, weight="length", normalized=True)
        for k in G:
            assert got.loc[k, "degree_centrality"] == pytest.approx(dc[k], abs=1e-15)
            assert got.loc[k, "betweenness"] == pytest.approx(bc[k], rel=1e-12, abs=1e-15)
        assert r.connectivity["density"].iloc[0] == pytest.approx(nx.density(G))


def test_dense_kernel_on_a_known_graph():
    # a path a–b–c–d (undirected): b and c each lie on 2 of the 3 unordered pairs through them
    inf = np.inf
    w = np.array([[inf, 1, inf, inf], [1, inf, 1, inf], [inf, 1, inf, 1], [inf, inf, 1, inf]], float)
    got = betweenness_dense(w)
    assert got.tolist() == pytest.approx([0.0, 2 * 2 / 6, 2 * 2 / 6, 0.0])
    # two equal shortest paths s→t (via x or y) share the dependency
    w = np.full((4, 4), inf)
    w[0, 1] = w[0, 2] = w[1, 3] = w[2, 3] = 1.0
    assert betweenness_dense(w).tolist() == pytest.approx([0.0, 0.5 / 6, 0.5 / 6, 0.0])


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 6), st.floats(0, 1e6, allow_nan=False)),
        min_size=1,
        max_size=40,
        unique_by=lambda t: (t[0], t[1]),
    ),
    st.lists(st.sampled_from(["U", "V", ""]), min_size=7, max_size=7),
    st.booleans(),
)
def test_property_sums_and_bounds(rows, groups, symmetric):
    rows = [r for r in rows if r[0] != r[1]]
    if not rows:
        return
    f = pd.DataFrame([(f"c{o}", f"c{d}", 2020, "k", v) for o, d, v in rows], columns=COLS)
    m = pd.Series(groups, index=pd.Index([f"c{i}" for i in range(7)], name="city"), name="agglomeration")
    r = network_indicators(f, m, symmetric=symmetric)
    conn = r.connectivity.set_index("unit_id")
    share = conn["internal_share"].dropna()
    assert ((share >= 0) & (share <= 1)).all()
    for g in conn.index:
        inside = f[f["origin"].map(m).eq(g) & f["destination"].map(m).eq(g)]
        assert conn.loc[g, "internal_flow"] == pytest.approx(inside["value"].sum(), rel=1e-12, abs=1e-9)
        nodes = r.nodes[r.nodes["group_id"] == g]
        assert len(nodes) == (m == g).sum() == conn.loc[g, "n_nodes"]
        factor = 2.0
        assert nodes["strength"].sum() == pytest.approx(factor * inside["value"].sum(), rel=1e-12, abs=1e-9)
        if not symmetric:
            assert nodes["strength_out"].sum() == pytest.approx(inside["value"].sum(), rel=1e-12, abs=1e-9)
        assert ((nodes["betweenness"] >= 0) & (nodes["betweenness"] <= 1 + 1e-12)).all()
        p = nodes["primacy"].dropna()
        assert ((p >= 0) & (p <= 1)).all()
        d = conn.loc[g, "density"]
        assert np.isnan(d) or 0 <= d <= 1


def test_reach_by_hand():
    tt = pd.DataFrame(
        [
            ("A", "B", 2020, "rail", 1.5),
            ("B", "A", 2020, "rail", 2.5),
            ("B", "C", 2020, "rail", 3.0),
            ("B", "C", 2020, "road", 1.9),
            ("A", "C", 2020, "road", 2.5),
            ("C", "A", 2020, "road", 2.5),
            ("A", "D", 2020, "road", 0.5),  # D is outside U
        ],
        columns=["origin", "destination", "year", "mode", "hours"],
    )
    econ = pd.DataFrame(
        {"unit_id": ["A", "B", "C", "D"], "year": 2020, "gdp": [5.0, 9.0, 1.0, 99.0], "population": [5.0, 3.0, 2.0, 50.0]}
    )
    r = reach(tt, econ, econ, MEMBERS)
    assert tuple(r.columns) == REACH_COLUMNS
    row = r.iloc[0]
    # pairs within 2 h: A–B (1.5, the faster direction), B–C (1.9 by road); A–C 2.5: 2 of 3
    assert row["reach_pairs_share"] == pytest.approx(2 / 3)
    # core B (largest GDP among members; D is no member): A (1.5) and C (1.9) within reach
    assert row["core_id"] == "B" and row["reach_population_share"] == pytest.approx(1.0)
    r = reach(tt, econ, econ, MEMBERS, core={"U": "A"})
    assert r.iloc[0]["core_id"] == "A"
    assert r.iloc[0]["reach_population_share"] == pytest.approx((5 + 3) / 10)  # C is 2.5 h from A
    r = reach(tt, econ, econ, MEMBERS, reach_hours=1.0)
    assert r.iloc[0]["reach_pairs_share"] == 0.0
    assert r.iloc[0]["reach_population_share"] == pytest.approx(3 / 10)  # the core alone
    # a pair without any travel time is not within reach
    r = reach(tt[~tt["origin"].isin(["A"]) | (tt["destination"] == "D")], econ, econ, MEMBERS)
    assert r.iloc[0]["reach_pairs_share"] == pytest.approx(1 / 3)
    # without economy: no core, no population share, pairs still counted
    r = reach(tt, None, None, MEMBERS)
    assert r.iloc[0]["core_id"] is None and np.isnan(r.iloc[0]["reach_population_share"])
    assert r.iloc[0]["reach_pairs_share"] == pytest.approx(2 / 3)
    with pytest.raises(ParameterError, match="not one of its members"):
        reach(tt, econ, econ, MEMBERS, core={"U": "D"})
    with pytest.raises(InputError, match=r"no GDP for C \(member\(s\) of U\) in 2020"):
        reach(tt, econ, econ[econ["unit_id"] != "C"], MEMBERS)
    with pytest.raises(InputError, match="no population for A"):
        reach(tt, econ[econ["unit_id"] != "A"], econ, MEMBERS)
    with pytest.raises(ParameterError):
        reach(tt, econ, econ, MEMBERS, reach_hours=0)


def test_strongest_links():
    s = strongest_links(THREE, 2)
    assert s[["origin", "destination", "value", "rank"]].values.tolist() == [["A", "B", 10.0, 1], ["B", "A", 5.0, 2]]
    s = strongest_links(THREE, 3, symmetric=True)
    assert s[["origin", "destination", "value"]].values.tolist() == [["A", "B", 15.0], ["B", "C", 4.0], ["A", "D", 3.0]]
    # ties at the cut are broken by origin then destination; zero flows are no links
    t = pd.DataFrame([("B", "C", 1, "k", 2.0), ("A", "C", 1, "k", 2.0), ("C", "A", 1, "k", 0.0)], columns=COLS)
    assert strongest_links(t, 1)["origin"].tolist() == ["A"]
    assert len(strongest_links(t, 5)) == 2


UNITS_FRAME = pd.DataFrame(
    {
        "level": ["county", "county", "county", "city", "city", "city", "agglomeration"],
        "unit_id": ["c1", "c2", "SH", "A", "B", "SH", "U"],
    }
)


def test_validate_flows_cleans_and_finds_the_level():
    f = pd.DataFrame(
        {"origin": ["A", "B", " A"], "destination": ["B", "A", "SH"], "year": ["2020", 2020, 2020.0],
         "kind": ["population"] * 3, "value": ["1.5", 2, 0]}
    )
    clean, level = validate_flows(f, UNITS_FRAME, "flows.csv")
    assert level == "city"
    assert clean["origin"].astype(str).tolist() == ["A", "B", "A"]
    assert clean["value"].tolist() == [1.5, 2.0, 0.0] and clean["year"].dtype == np.int64
    # SH names a county and the same-territory city: a table of SH alone is at the finer level
    _, level = validate_flows(pd.DataFrame({"origin": ["SH", "c1"], "destination": ["c1", "SH"], "year": 2020,
                                            "kind": "k", "value": 1.0}), UNITS_FRAME)
    assert level == "county"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"origin": ["A", "Z9", "B"]}, r"flows.csv: row 3: origin 'Z9' is not a unit of the study"),
        ({"destination": ["B", "B", "A"]}, r"row 3: origin and destination are the same unit 'B'"),
        ({"value": [1.0, -2.0, 3.0]}, r"row 3: value -2 is not a finite number ≥ 0"),
        ({"value": [1.0, "many", 3.0]}, r"row 3: value 'many' is not a number"),
        ({"value": [1.0, None, 3.0]}, r"row 3: value is empty"),
        ({"origin": ["A", "A", "B"], "destination": ["B", "B", "A"]}, r"rows 2, 3 repeat the same origin 'A'"),
        ({"origin": ["A", "c1", "B"]}, r"row 3: origin 'c1' is a unit of level county and destination 'A' of level city"),
        ({"kind": ["population", "", "population"]}, r"row 3: column 'kind' is empty"),
        ({"year": [2020, "2020a", 2020]}, r"row 3: year '2020a' is not a whole number"),
    ],
)
def test_validate_flows_errors_name_the_row(change, message):
    f = pd.DataFrame({"origin": ["A", "B", "B"], "destination": ["B", "A", "SH"], "year": 2020,
                      "kind": "population", "value": [1.0, 2.0, 3.0]})
    for k, v in change.items():
        f[k] = v
    with pytest.raises(InputError, match=message) as e:
        validate_flows(f, UNITS_FRAME, "flows.csv")
    assert e.value.fix


def test_validate_rows_at_two_levels():
    f = pd.DataFrame({"origin": ["A", "B", "c1"], "destination": ["B", "A", "c2"], "year": 2020, "kind": "k",
                      "value": 1.0})
    with pytest.raises(InputError, match=r"row 4: 'c1' → 'c2' joins units of level county, while 2 row\(s\)"):
        validate_flows(f, UNITS_FRAME, "flows.csv")
    with pytest.raises(InputError, match="missing column"):
        validate_flows(f.drop(columns="kind"), UNITS_FRAME)
    tt = pd.DataFrame({"origin": ["A", "A"], "destination": ["B", "B"], "year": 2020, "mode": ["rail", "road"],
                       "hours": [1.0, 2.0]})
    clean, level = validate_travel_times(tt, UNITS_FRAME)
    assert level == "city" and clean["hours"].tolist() == [1.0, 2.0]
    with pytest.raises(InputError, match="repeat the same origin"):
        validate_travel_times(tt.assign(mode="rail"), UNITS_FRAME)


def test_params():
    p = ConnectivityParams()
    assert (p.symmetric, p.reach_hours, p.core, p.strongest_links) == (False, 2.0, {}, 200)
    assert ConnectivityParams(core={"YRD": "310000"}).core == {"YRD": "310000"}
    with pytest.raises(ValueError):
        ConnectivityParams(reach_hours=0)
    with pytest.raises(ValueError):
        ConnectivityParams(reach=2)


def test_agrees_with_the_plain_networkx_benchmark():
    spec = importlib.util.spec_from_file_location("bench_connectivity", ROOT / "benchmarks" / "connectivity.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    plain_networkx, synthetic = bench.plain_networkx, bench.synthetic
    flows, membership, _ = synthetic(150, 5, inside=0.8, seed=2)
    for symmetric in (False, True):
        ours = network_indicators(flows, membership, symmetric=symmetric)
        conn, nodes = plain_networkx(flows, membership, symmetric)
        c = ours.connectivity.set_index("unit_id").loc[conn["unit_id"]]
        np.testing.assert_allclose(c["internal_flow"], conn["internal_flow"], rtol=1e-12)
        np.testing.assert_allclose(c["external_flow"], conn["external_flow"], rtol=1e-12)
        np.testing.assert_array_equal(c["n_links"], conn["n_links"])
        keys = pd.MultiIndex.from_arrays([nodes["group_id"], nodes["unit_id"]])
        n = ours.nodes.set_index(["group_id", "unit_id"]).loc[keys]
        for col in ("strength", "degree_centrality", "betweenness", "primacy"):
            np.testing.assert_allclose(n[col], nodes[col], rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def amap():
    path = FLOWS / "amap_intercity_flows_2020_yreb.csv"
    if not path.exists():
        pytest.skip(f"real data absent: {path.name} (shared/realdata/flows)")
    f = pd.read_csv(path, encoding="utf-8-sig")
    info = pd.read_csv(FLOWS / "amap_city_info_yreb.csv", encoding="utf-8-sig")
    flows = pd.DataFrame({"origin": f["from_city_code"], "destination": f["to_city_code"], "year": 2020,
                          "kind": "population", "value": f["real_value"]})
    return f, info, flows


def test_real_amap_2020_yrd(amap):
    raw, info, flows = amap
    ids = info["city_code"].astype(str)
    units_frame = pd.concat([pd.DataFrame({"level": "city", "unit_id": ids}),
                             pd.DataFrame({"level": "agglomeration", "unit_id": ["YRD"]})])
    clean, level = validate_flows(flows, units_frame, "amap_intercity_flows_2020_yreb.csv")
    assert level == "city" and len(clean) == 130 * 129
    yrd = set(info.loc[info["agglomerate"] == 2.0, "city_code"])
    assert len(yrd) == 26
    m = pd.Series(np.where(info["city_code"].isin(yrd), "YRD", ""), index=pd.Index(ids, name="city"),
                  name="agglomeration")
    r = network_indicators(clean, m)
    c = r.connectivity.iloc[0]
    # independent plain pandas sums on the raw file
    o_in, d_in = raw["from_city_code"].isin(yrd), raw["to_city_code"].isin(yrd)
    internal = raw.loc[o_in & d_in, "real_value"].sum()
    external = raw.loc[o_in ^ d_in, "real_value"].sum()
    assert c["n_nodes"] == 26
    assert c["n_links"] == int((raw.loc[o_in & d_in, "real_value"] > 0).sum())
    assert c["internal_flow"] == pytest.approx(internal, rel=1e-12)
    assert c["external_flow"] == pytest.approx(external, rel=1e-12)
    assert c["internal_share"] == pytest.approx(internal / (internal + external), rel=1e-12)
    assert c["intensity"] == pytest.approx(internal / (26 * 25), rel=1e-12)
    n = r.nodes.set_index("unit_id")
    sh = raw[(raw["from_city_code"] == 310000) & raw["to_city_code"].isin(yrd)]["real_value"].sum()
    assert n.loc["310000", "strength_out"] == pytest.approx(sh, rel=1e-12)
    # the strongest YRD member (Suzhou) has primacy 1; betweenness as networkx on the same graph
    assert n["primacy"].max() == 1.0
    inside = raw[o_in & d_in & (raw["real_value"] > 0)]
    G = nx.DiGraph()
    for o, d, v in inside[["from_city_code", "to_city_code", "real_value"]].itertuples(index=False):
        G.add_edge(str(o), str(d), length=1.0 / v)
    bc = nx.betweenness_centrality(G, weight="length", normalized=True)
    got = n.loc[list(bc), "betweenness"].to_numpy()
    np.testing.assert_allclose(got, list(bc.values()), rtol=1e-12, atol=1e-15)


def test_real_amap_2020_provinces_and_links(amap):
    raw, info, flows = amap
    prov = (info["city_code"] // 10000).astype(str)
    m = pd.Series(prov.to_numpy(), index=pd.Index(info["city_code"].astype(str), name="city"), name="province")
    r = network_indicators(flows, m, symmetric=True)
    conn = r.connectivity.set_index("unit_id")
    assert len(conn) == 11 and conn["n_nodes"].sum() == 130
    assert conn["internal_share"].between(0, 1).all()
    # Hunan (43): Changsha's flows with its province, both directions, by plain pandas (README: 长沙→岳阳 167.311)
    cs = 430100
    hn = raw["from_city_code"].floordiv(10000).eq(43) & raw["to_city_code"].floordiv(10000).eq(43)
    mine = raw[hn & ((raw["from_city_code"] == cs) | (raw["to_city_code"] == cs))]["real_value"].sum()
    assert r.nodes.set_index("unit_id").loc["430100", "strength"] == pytest.approx(mine, rel=1e-12)
    link = raw[(raw["from_city_code"] == cs) & (raw["to_city_code"] == 430600)]["real_value"].iloc[0]
    assert link == pytest.approx(167.311, abs=5e-4)
    top = strongest_links(flows, 3, symmetric=True)
    best = raw.assign(a=np.minimum(raw["from_city_code"], raw["to_city_code"]),
                      b=np.maximum(raw["from_city_code"], raw["to_city_code"]))
    best = best.groupby(["a", "b"])["real_value"].sum().nlargest(3)
    assert top["value"].tolist() == pytest.approx(best.tolist(), rel=1e-12)
    assert (top["origin"] + top["destination"]).tolist() == [f"{a}{b}" for a, b in best.index]
