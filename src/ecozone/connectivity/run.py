"""The connectivity networks wired to a study's inputs (METHODS §5.1; seed 000 §2.2).

Inputs: ``[tables] flows`` (``origin, destination, year, kind, value``;
needed), ``[tables] travel_times`` (``origin, destination, year, mode,
hours``; optional) and ``economy`` (optional: the population weights of the
2-hour reach and the core city, the member with the largest GDP, unless
``[connectivity] core`` names it). The flows join units of one level (the
*member level*, usually city); every coarser level made of whole members
(e.g. province, agglomeration) is a level of *upper units*, and each upper
unit's members form one network per year and kind.

Tables written:

- ``connectivity`` (``level, unit_id, year, kind``; ``level`` the upper
  level): ``member_level``, the network indicators of
  :func:`ecozone.connectivity.network.network_indicators` and, with travel
  times, the reach of :func:`ecozone.connectivity.network.reach`
  (``reach_pairs_share``, ``reach_population_share``, ``core_id``) of the
  year (the same for every kind);
- ``connectivity_nodes`` (``level, unit_id, year, kind, group_level,
  group_id``; ``level`` the member level): strengths, degree centrality,
  betweenness and primacy of every member in its upper unit's network and,
  with travel times, ``hours_to_core`` (h) and ``within_reach``;
- ``connectivity_links``: a line layer (WGS 84) of the
  ``[connectivity] strongest_links`` strongest links of every year and kind
  among all units of the member level, drawn between the units' centroids
  (computed in the study's equal-area CRS).

Pure: no file is read or written here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecozone.analysis import AnalysisResult, Inputs
from ecozone.connectivity.network import (
    CONNECTIVITY_COLUMNS,
    LINK_COLUMNS,
    NODE_COLUMNS,
    network_indicators,
    reach,
    strongest_links,
    validate_flows,
    validate_travel_times,
)
from ecozone.connectivity.params import ConnectivityParams
from ecozone.errors import InputError, ParameterError

__all__ = [
    "LINKS_COLUMNS",
    "NODES_COLUMNS",
    "TABLE_COLUMNS",
    "hours_to_core",
    "link_lines",
    "member_economy",
    "run",
    "upper_levels",
]

REACH = ("reach_pairs_share", "reach_population_share", "core_id")
#: columns of the table ``connectivity``
TABLE_COLUMNS = (*CONNECTIVITY_COLUMNS[:4], "member_level", *CONNECTIVITY_COLUMNS[4:], *REACH)
#: columns of the table ``connectivity_nodes``
NODES_COLUMNS = (*NODE_COLUMNS[:5], "group_level", *NODE_COLUMNS[5:], "hours_to_core", "within_reach")
#: columns of the line layer ``connectivity_links`` (besides its geometry)
LINKS_COLUMNS = ("level", *LINK_COLUMNS, "origin_group", "destination_group")


def _where(inp: Inputs, name: str) -> str:
    return str(inp.study.resolve(inp.study.tables.spec(name).path))


def upper_levels(levels: list[str], parents: dict[str, str], level: str) -> list[str]:
    """The levels made of whole units of ``level``, finest first.

    Parameters
    ----------
    levels:
        The study's levels, finest first.
    parents:
        Upper level → the level it nests (``Units.parents``; a level not
        named nests the level before it).
    level:
        The member level (the flows' level).

    Returns
    -------
    list of str
        Every coarser level whose chain of nesting levels passes through
        ``level``.
    """
    if level not in levels:
        return []
    out = []
    for i, lv in enumerate(levels):
        if i <= levels.index(level):
            continue
        cur, seen = lv, set()
        while cur != level and cur not in seen and cur != levels[0]:
            seen.add(cur)
            cur = parents.get(cur, levels[levels.index(cur) - 1])
        if cur == level:
            out.append(lv)
    return out


def member_economy(overview_table: pd.DataFrame | None, level: str) -> pd.DataFrame | None:
    """GDP (CNY) and population (persons) of the units of ``level``: ``unit_id, year, gdp, population``.

    Parameters
    ----------
    overview_table:
        The values of every level (:func:`ecozone.overview.overview`: given,
        or summed from complete members), or None.
    level:
        The member level.

    Returns
    -------
    pandas.DataFrame or None
        The rows of ``level`` with a GDP or a population; None without an
        economy table.
    """
    if overview_table is None:
        return None
    t = overview_table[overview_table["level"] == level]
    t = t[t["gdp"].notna() | t["population"].notna()]
    return t[["unit_id", "year", "gdp", "population"]].reset_index(drop=True)


def hours_to_core(travel_times: pd.DataFrame, cores: pd.DataFrame) -> pd.DataFrame:
    """Fastest travel time (h) between every member and its upper unit's core city.

    Parameters
    ----------
    travel_times:
        ``origin, destination, year, mode, hours`` (validated).
    cores:
        ``group_id, year, core_id, unit_id``: the core of every upper unit
        and year, with one row per member (``unit_id``).

    Returns
    -------
    pandas.DataFrame
        ``group_id, year, unit_id, hours_to_core``: the faster of the two
        directions and of the modes (h); 0 for the core itself; NaN when no
        time between the two is given or the unit has no core.
    """
    t = travel_times[["origin", "destination", "year", "hours"]].astype(
        {"origin": str, "destination": str, "year": np.int64, "hours": float}
    )
    both = pd.concat([t, t.rename(columns={"origin": "destination", "destination": "origin"})], ignore_index=True)
    best = both.groupby(["origin", "destination", "year"], sort=False)["hours"].min()
    c = cores[cores["core_id"].notna()]
    key = pd.MultiIndex.from_arrays([c["core_id"].astype(str), c["unit_id"].astype(str),
                                     c["year"].astype(np.int64)])
    h = best.reindex(key).to_numpy(dtype=float)
    h = np.where(c["core_id"].astype(str).to_numpy() == c["unit_id"].astype(str).to_numpy(), 0.0, h)
    out = cores[["group_id", "year", "unit_id"]].copy()
    out["hours_to_core"] = np.nan
    out.loc[c.index, "hours_to_core"] = h
    return out


def link_lines(links: pd.DataFrame, units_frame, level: str, area_crs: str):
    """The strongest links as straight lines between unit centroids (WGS 84).

    Parameters
    ----------
    links:
        :data:`~ecozone.connectivity.network.LINK_COLUMNS` (and any other
        columns), ids of units of ``level``.
    units_frame:
        ``Units.frame`` (level, unit_id, geometry; any CRS).
    level:
        The level of the links' units.
    area_crs:
        The study's equal-area CRS, where centroids are taken.

    Returns
    -------
    geopandas.GeoDataFrame
        ``links`` with a LineString geometry in EPSG:4326.
    """
    import geopandas as gpd
    import shapely

    u = units_frame[units_frame["level"] == level]
    cent = gpd.GeoSeries(u.geometry.to_crs(area_crs).centroid, crs=area_crs).to_crs(4326)
    xy = pd.DataFrame({"x": cent.x.to_numpy(), "y": cent.y.to_numpy()}, index=u["unit_id"].astype(str).to_numpy())
    a = xy.reindex(links["origin"].astype(str)).to_numpy()
    b = xy.reindex(links["destination"].astype(str)).to_numpy()
    coords = np.stack([a, b], axis=1)
    lines = shapely.linestrings(coords) if len(coords) else np.array([], dtype=object)
    return gpd.GeoDataFrame(links.reset_index(drop=True), geometry=np.asarray(lines), crs=4326)


def _economy(inp: Inputs) -> pd.DataFrame | None:
    if "economy" not in inp.tables:
        return None
    from ecozone.overview.indicators import overview  # the shared formula: values of every level

    return overview(inp.tables["economy"], inp.units, where=_where(inp, "economy"))


def _complete(values: pd.DataFrame | None, col: str, members: list[str], year: int) -> bool:
    if values is None or not members:
        return False
    v = values[(values["year"] == year) & values[col].notna()]
    return set(members) <= set(v["unit_id"])


def _reach_level(tt, econ, membership, up, p: ConnectivityParams, where_econ, notes) -> pd.DataFrame:
    """Reach of one upper level, year by year (economy passed only for the years it covers every member)."""
    core = {k: v for k, v in p.core.items() if k in set(membership.to_numpy())}
    members = sorted(membership.index[membership != ""])
    parts = []
    for y in sorted(pd.unique(tt["year"])):
        y = int(y)
        pop_ok = _complete(econ, "population", members, y)
        gdp_ok = _complete(econ, "gdp", members, y)
        if econ is not None and not (pop_ok and gdp_ok):
            lack = " and ".join(c for c, ok in (("population", pop_ok), ("GDP", gdp_ok)) if not ok)
            what = "; ".join(w for w, ok in (("reach_population_share is empty", pop_ok),
                                              ("core_id is empty unless [connectivity] core names it", gdp_ok))
                             if not ok)
            notes.append(f"connectivity: the economy table lacks the {lack} of some {membership.index.name} "
                         f"member(s) of the {up} units in {y}: {what} ({up}, {y})")
        r = reach(
            tt[tt["year"] == y],
            econ[econ["year"] == y][["unit_id", "year", "population"]] if pop_ok else None,
            econ[econ["year"] == y][["unit_id", "year", "gdp"]] if gdp_ok else None,
            membership,
            p.reach_hours,
            core,
            level=up,
            where=where_econ,
        )
        parts.append(r)
    return pd.concat(parts, ignore_index=True)


def run(inp: Inputs, rep) -> AnalysisResult:
    """Run the connectivity networks on a study's inputs.

    Parameters
    ----------
    inp:
        The study's inputs: ``flows`` (needed), ``travel_times`` and
        ``economy`` (optional), the units.
    rep:
        Progress reporter.

    Returns
    -------
    AnalysisResult
        Tables ``connectivity``, ``connectivity_nodes`` and the line layer
        ``connectivity_links`` (see the module docstring; flows and
        strengths in the unit of the flows' ``value``, times in h, shares
        0–1), and notes.

    Raises
    ------
    InputError
        Flows (or travel times) that fail :func:`validate_flows`; flows at
        the coarsest level (no upper unit); travel times at another level
        than the flows.
    ParameterError
        ``[connectivity] core`` naming an id that is no upper unit, or a
        core that is not a member of its unit.
    """
    units = inp.units
    p: ConnectivityParams = inp.study.connectivity
    notes: list[str] = []
    where = _where(inp, "flows")
    flows, level = validate_flows(inp.tables["flows"], units.frame, where)
    uppers = upper_levels(list(units.levels), dict(units.parents), level)
    memberships = {up: units.members(level, up) for up in uppers}
    memberships = {up: m for up, m in memberships.items() if (m != "").any()}
    if not memberships:
        raise InputError(
            f"the flows join units of level '{level}', and no coarser level groups them"
            + (" (it is the coarsest level)" if level == units.levels[-1] else ""),
            where=where,
            fix="give flows between units of a finer level (e.g. cities), or add a level of upper units "
            "(e.g. agglomeration = \"agglo_id\") to [units] levels",
        )
    groups = {g for m in memberships.values() for g in m[m != ""]}
    unknown = sorted(set(p.core) - groups)
    if unknown:
        raise ParameterError(
            f"core names {', '.join(unknown)}, which {'is' if len(unknown) == 1 else 'are'} no upper unit "
            f"of the {level} units of the flows",
            where="[connectivity] core",
            fix=f"name units among: {', '.join(sorted(groups)[:20])}",
        )

    with rep.step("connectivity: network indicators", total=len(memberships)) as s:
        conns, nodes = [], []
        for up, m in memberships.items():
            r = network_indicators(flows, m, symmetric=p.symmetric, level=up, node_level=level)
            conns.append(r.connectivity.assign(member_level=level))
            nodes.append(r.nodes.assign(group_level=up))
            s.advance()
    conn = pd.concat(conns, ignore_index=True)
    node = pd.concat(nodes, ignore_index=True)
    for c in REACH:
        conn[c] = np.nan if c != "core_id" else None
    node["hours_to_core"] = np.nan
    node["within_reach"] = pd.array([pd.NA] * len(node), dtype="boolean")

    if "travel_times" in inp.tables:
        where_tt = _where(inp, "travel_times")
        tt, tlevel = validate_travel_times(inp.tables["travel_times"], units.frame, where_tt)
        if tlevel != level:
            raise InputError(
                f"the travel times join units of level '{tlevel}', the flows units of level '{level}'",
                where=where_tt,
                fix=f"give the travel times between the {level} units of the flows",
            )
        econ = member_economy(_economy(inp), level)
        if econ is None:
            notes.append("connectivity: no [tables] economy: reach_population_share is empty, and core_id too "
                         "unless [connectivity] core names the core")
        where_econ = _where(inp, "economy") if "economy" in inp.tables else "economy"
        with rep.step("connectivity: 2-hour reach", total=len(memberships)) as s:
            reaches = []
            for up, m in memberships.items():
                reaches.append(_reach_level(tt, econ, m, up, p, where_econ, notes))
                s.advance()
        rt = pd.concat(reaches, ignore_index=True)
        conn = conn.drop(columns=list(REACH)).merge(rt, on=["level", "unit_id", "year"], how="left")
        flow_years, tt_years = set(conn["year"]), set(rt["year"])
        if tt_years - flow_years:
            notes.append(f"connectivity: travel times of {sorted(tt_years - flow_years)} have no flows of that "
                         "year; their reach is not in the table connectivity")
        if flow_years - tt_years:
            notes.append(f"connectivity: no travel times for {sorted(flow_years - tt_years)}: the reach columns "
                         "of those years are empty")
        # every member's time to its unit's core
        cores = node[["group_level", "group_id", "year", "unit_id"]].drop_duplicates()
        core_of = rt.rename(columns={"level": "group_level", "unit_id": "group_id"})[
            ["group_level", "group_id", "year", "core_id"]]
        cores = cores.merge(core_of, on=["group_level", "group_id", "year"], how="left")
        h = hours_to_core(tt, cores).assign(group_level=cores["group_level"].to_numpy())
        node = node.drop(columns=["hours_to_core", "within_reach"]).merge(
            h, on=["group_level", "group_id", "year", "unit_id"], how="left")
        hrs = node["hours_to_core"]
        node["within_reach"] = pd.array(np.where(hrs.notna(), hrs <= p.reach_hours, None), dtype="boolean")
    else:
        notes.append("connectivity: no [tables] travel_times: the 2-hour reach columns are empty")

    order = {lv: i for i, lv in enumerate(units.levels)}
    conn = conn.sort_values(["level", "unit_id", "year", "kind"], kind="stable",
                            key=lambda s: s.map(order) if s.name == "level" else s)
    node = node.sort_values(["group_level", "group_id", "year", "kind", "unit_id"], kind="stable",
                            key=lambda s: s.map(order) if s.name == "group_level" else s)
    conn = conn[list(TABLE_COLUMNS)].reset_index(drop=True)
    node = node[list(NODES_COLUMNS)].reset_index(drop=True)
    conn["year"] = conn["year"].astype(np.int64)
    node["year"] = node["year"].astype(np.int64)

    with rep.step("connectivity: strongest links"):
        links = strongest_links(flows, p.strongest_links, symmetric=p.symmetric)
        top = list(memberships)[-1]
        m = memberships[top]
        links.insert(0, "level", level)
        links["origin_group"] = links["origin"].map(m).replace("", None)
        links["destination_group"] = links["destination"].map(m).replace("", None)
        links = link_lines(links[list(LINKS_COLUMNS)], units.frame, level, units.area_crs)
    return AnalysisResult(
        tables={"connectivity": conn, "connectivity_nodes": node, "connectivity_links": links}, notes=notes
    )
