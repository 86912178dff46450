"""The unit hierarchy as plain pandas objects, and aggregation up its levels.

:class:`Hierarchy` holds what the capacity analysis needs of
:class:`ecozone.inputs.units.Units` (levels, nesting, areas) so that every
function here can be tested with a few hand-made Series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecozone.errors import InputError


@dataclass
class Hierarchy:
    """Levels, nesting and areas of the units of a study.

    Attributes
    ----------
    levels:
        Level names, finest first.
    parents:
        Upper level → the (finer) level it nests in.
    links:
        Upper level L → Series indexed by the ids of every unit of
        ``parents[L]``, value the id of the unit of L it lies in ("" = none).
    level_of:
        Unit id → level (the finest level where an id names units at two
        levels; this only happens for an upper unit that is its one member).
    area:
        Unit id → area in km² (every unit of every level).
    """

    levels: list[str]
    parents: dict[str, str]
    links: dict[str, pd.Series]
    level_of: pd.Series
    area: pd.Series

    @property
    def finest(self) -> str:
        return self.levels[0]

    @classmethod
    def from_units(cls, units) -> Hierarchy:
        """From an :class:`ecozone.inputs.units.Units`."""
        links = {lv: _members(units, units.parents[lv], lv) for lv in units.levels[1:]}
        frame = units.frame
        lo = frame.drop_duplicates("unit_id", keep="first")  # frame lists levels finest first
        level_of = pd.Series(lo["level"].to_numpy(), index=lo["unit_id"].astype(str).to_numpy())
        area = pd.Series(lo["area_km2"].to_numpy(dtype=float), index=level_of.index)
        return cls(list(units.levels), dict(units.parents), links, level_of, area)

    @classmethod
    def from_finest(
        cls,
        finest: pd.DataFrame,
        levels: list[str],
        parents: dict[str, str] | None = None,
        area: pd.Series | None = None,
    ) -> Hierarchy:
        """From a table of finest units: column ``unit_id`` and one id column per upper level.

        ``area`` (finest unit id → km², default 1 each) is summed to upper units.
        """
        parents = dict(parents or {})
        for i, lv in enumerate(levels[1:], start=1):
            parents.setdefault(lv, levels[i - 1])
        f = finest.copy()
        f["unit_id"] = f["unit_id"].astype(str)
        f[levels[0]] = f["unit_id"]
        for lv in levels[1:]:
            f[lv] = f[lv].fillna("").astype(str)
        fa = (
            pd.Series(1.0, index=f["unit_id"].to_numpy())
            if area is None
            else area.reindex(f["unit_id"].to_numpy()).astype(float)
        )
        links = {}
        level_rows = [pd.Series(levels[0], index=f["unit_id"].to_numpy())]
        areas = [fa]
        for lv in levels[1:]:
            par = parents[lv]
            sub = f[f[par] != ""]
            links[lv] = sub.groupby(par)[lv].first()
            up = f[f[lv] != ""]
            a = pd.Series(fa.to_numpy(), index=f.index).loc[up.index].groupby(up[lv].to_numpy()).sum()
            level_rows.append(pd.Series(lv, index=a.index))
            areas.append(a)
        level_of = pd.concat(level_rows)
        keep = ~level_of.index.duplicated(keep="first")
        return cls(list(levels), parents, links, level_of[keep], pd.concat(areas)[keep])

    def ids(self, level: str) -> list[str]:
        """Ids of every unit of ``level``."""
        if level == self.finest:
            return list(self.level_of.index[self.level_of == level])
        lk = self.links[level]
        return sorted(set(lk[lk != ""]))

    def chain(self, level: str) -> list[str]:
        """``level`` and the levels it nests in, down to the finest: [level, parent, …, finest]."""
        out = [level]
        while out[-1] != self.finest:
            out.append(self.parents[out[-1]])
        return out

    def up(self, ids, from_level: str, to_level: str) -> np.ndarray:
        """Id at ``to_level`` of units of ``from_level`` ("" where none, or where
        ``from_level`` is not on the nesting chain of ``to_level``)."""
        ids = np.asarray(ids, dtype=object)
        ch = self.chain(to_level)
        if from_level not in ch:
            return np.full(len(ids), "", dtype=object)
        codes, uniq = pd.factorize(ids)  # each distinct id is looked up once
        cur = pd.Series(np.asarray(uniq, dtype=object))
        path = ch[: ch.index(from_level)][::-1]  # levels above from_level, upwards
        for lv in path:
            cur = cur.map(self.links[lv]).fillna("")
        out = np.append(cur.to_numpy(dtype=object), "")  # code −1 (a missing id): none
        return out[codes]

    def members(self, level: str, member_level: str) -> pd.Series:
        """Every unit of ``member_level`` → its unit at ``level`` (only those lying in one)."""
        mids = self.ids(member_level)
        up = self.up(mids, member_level, level)
        s = pd.Series(up, index=pd.Index(mids, name="unit_id"), name=level)
        return s[s != ""]

    def to_level(self, ids: pd.Series, level: str) -> np.ndarray:
        """For ids of any level, the id at ``level`` ("" where not on its chain or in none)."""
        codes, uniq = pd.factorize(np.asarray(ids, dtype=object))  # each distinct id once
        uniq = pd.Series(np.asarray(uniq, dtype=object))
        lv_of = uniq.map(self.level_of)
        res = np.full(len(uniq) + 1, "", dtype=object)  # the last: code −1 (a missing id)
        for lv in pd.unique(lv_of.dropna()):
            m = np.append((lv_of == lv).to_numpy(), False)
            res[m] = self.up(uniq[m[:-1]].to_numpy(), lv, level)
        return res[codes]


def _members(units, level: str, upper_level: str) -> pd.Series:
    """``units.members(level, upper_level)``, computed per unit only where its
    finest members lie in more than one unit of ``upper_level`` (never along a
    nesting chain): elsewhere the one upper id is the most common."""
    f = units.finest[units.finest[level] != ""]
    g = f.groupby(level)[upper_level]
    n = g.nunique(dropna=False)
    if (n <= 1).all():
        s = g.first()
        s.index.name = level
        s.name = upper_level
        return s
    s = units.members(level, upper_level)
    return s


def weighted_mean_up(
    values: pd.DataFrame,
    parent_of: pd.Series,
    weights: pd.Series,
    *,
    by: tuple[str, ...] = ("year", "pollutant"),
    weight_name: str = "area",
    weight_table: str = "units",
) -> pd.DataFrame:
    """Weighted mean of member values per upper unit (METHODS §1.1 aggregation).

    Parameters
    ----------
    values:
        Rows ``unit_id, value`` plus the ``by`` columns, for units of one level.
    parent_of:
        Member id → upper id ("" = none) for every member unit (also those
        without values, so that coverage can be reported).
    weights:
        Member id → weight (area km² or persons), or indexed by
        ``(unit_id, year)`` for weights that change by year.

    Returns
    -------
    DataFrame ``unit_id`` (upper), the ``by`` columns, ``value`` (same unit as
    the input), ``n_members`` (members with a value) and ``coverage`` (weight
    share of the upper unit's members that had a value, 0–1).
    """
    by = list(by)
    v = values[["unit_id", "value", *by]].copy()
    v["parent"] = v["unit_id"].map(parent_of).fillna("")
    v = v[v["parent"] != ""]
    if len(v) == 0:
        return pd.DataFrame(columns=["unit_id", *by, "value", "n_members", "coverage"])
    by_year = isinstance(weights.index, pd.MultiIndex)
    if by_year:
        w = pd.Series(list(zip(v["unit_id"], v["year"], strict=True)), index=v.index).map(weights)
    else:
        w = v["unit_id"].map(weights)
    miss = w.isna()
    if miss.any():
        i = np.flatnonzero(miss.to_numpy())[0]
        uid = v["unit_id"].iloc[i]
        yr = f" in {v['year'].iloc[i]}" if "year" in v.columns else ""
        raise InputError(
            f"unit '{uid}' has no {weight_name}{yr}, needed to weight its values when averaging "
            f"them to '{v['parent'].iloc[i]}'",
            where=f"table '{weight_table}', unit_id '{uid}'",
            fix=f"give the {weight_name} of every unit that has values (or use area weights)",
        )
    v["w"] = w.astype(float)
    v["wv"] = v["w"] * v["value"]
    g = v.groupby(["parent", *by], sort=True)
    out = g.agg(wsum=("w", "sum"), wv=("wv", "sum"), n_members=("value", "size")).reset_index()
    zero = out["wsum"] <= 0
    if zero.any():
        p = out["parent"][zero].iloc[0]
        raise InputError(
            f"the members of '{p}' with values have zero total {weight_name}",
            where=f"table '{weight_table}'",
            fix=f"give positive {weight_name}s",
        )
    out["value"] = out["wv"] / out["wsum"]
    # coverage: weight of members with a value / weight of all members
    pm = parent_of[parent_of != ""]
    if by_year:
        tot = {}
        for yr in out["year"].unique():
            wy = weights.xs(yr, level=1) if yr in weights.index.get_level_values(1) else pd.Series(dtype=float)
            ww = pd.Series(pm.index.map(wy), index=pm.index).astype(float)
            tot[yr] = ww.groupby(pm.to_numpy()).sum(min_count=1)
        total = [
            tot[yr].get(p, np.nan) if yr in tot else np.nan
            for p, yr in zip(out["parent"], out["year"], strict=True)
        ]
        total = pd.Series(total, index=out.index, dtype=float)
    else:
        ww = pd.Series(pm.index.map(weights), index=pm.index).astype(float)
        total = out["parent"].map(ww.groupby(pm.to_numpy()).sum())
    out["coverage"] = (out["wsum"] / total).clip(upper=1.0).fillna(1.0)
    out = out.rename(columns={"parent": "unit_id"})
    return out[["unit_id", *by, "value", "n_members", "coverage"]]


def sum_up(values: pd.DataFrame, hier: Hierarchy, columns: tuple[str, ...]) -> pd.DataFrame:
    """Extensive quantities (GDP, population) at every level.

    ``values``: rows ``unit_id, year`` + ``columns`` for units of any level.
    A value given for a unit is used; otherwise the sum over the units of the
    level it nests in, when every one of them has a value (a partial sum would
    understate the total; such units stay without value).

    Returns rows ``level, unit_id, year`` + ``columns``.
    """
    cols = list(columns)
    v = values[["unit_id", "year", *cols]].copy()
    v["unit_id"] = v["unit_id"].astype(str)
    v["level"] = v["unit_id"].map(hier.level_of)
    res: dict[str, pd.DataFrame] = {}
    for lv in hier.levels:
        given = v[v["level"] == lv][["unit_id", "year", *cols]]
        if lv == hier.finest:
            res[lv] = given.reset_index(drop=True)
            continue
        child = res[hier.parents[lv]]
        link = hier.links[lv]
        link = link[link != ""]
        n_children = link.groupby(link.to_numpy()).size()
        parts = []
        for col in cols:
            c = child[["unit_id", "year", col]].dropna()
            c = c.assign(parent=c["unit_id"].map(link).fillna(""))
            c = c[c["parent"] != ""]
            g = c.groupby(["parent", "year"])[col].agg(["sum", "size"]).reset_index()
            g = g[g["size"].to_numpy() == g["parent"].map(n_children).to_numpy()]
            parts.append(g.rename(columns={"parent": "unit_id", "sum": col}).drop(columns="size"))
        agg = parts[0]
        for p in parts[1:]:
            agg = agg.merge(p, on=["unit_id", "year"], how="outer")
        if len(given):
            # given wins, column by column
            m = agg.merge(given, on=["unit_id", "year"], how="outer", suffixes=("_agg", ""))
            for col in cols:
                m[col] = m[col].where(m[col].notna(), m[f"{col}_agg"])
            agg = m[["unit_id", "year", *cols]]
        res[lv] = agg.reset_index(drop=True)
    out = []
    for lv, df in res.items():
        out.append(df.assign(level=lv))
    out = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["level", "unit_id", "year", *cols])
    return out[["level", "unit_id", "year", *cols]]
