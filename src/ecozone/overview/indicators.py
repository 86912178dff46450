"""Economic overview of every unit (METHODS §5.0; seed 000 §2.1).

From the ``economy`` table (``unit_id, year, gdp, population``; CNY and
persons) and the units' areas (km², equal-area CRS), per unit of every level
and year:

- ``gdp`` (CNY), ``population`` (persons), ``area_km2`` (km²);
- ``gdp_per_capita`` (CNY/person) and ``population_density`` (persons/km²);
- ``gdp_share``, ``population_share``, ``area_share``: shares (0…1) of the
  study total;
- ``gdp_share_of_level``, ``population_share_of_level``,
  ``area_share_of_level``: for the units of the top level that groups units
  (the last of the study's levels, e.g. agglomerations), shares (0…1) of all
  units of that level together; empty for other levels;
- ``n_members_over_2m`` and ``share_members_over_2m``: how many of a unit's
  members (the units of the level it nests, e.g. the cities of an
  agglomeration) have a resident population above ``large_population``
  (default 2,000,000 persons; strictly above), and their share (0…1) of the
  members; empty at the finest level.

Values may be given at any level. Level by level, finest first, a unit's
value is the one given for it, or else the sum of its members' values at
the level below when every member has one (no partial sums); GDP and
population are filled independently. A value given for an upper unit wins
over the sum of its members and feeds the levels above it.

The study total of a year is the sum over the units of the coarsest level
that covers the whole study (every finest unit belongs to one of its units)
and has a value for every unit that year; finer covering levels are tried
when it has not, and the shares are empty when no covering level is
complete. The study area is the sum of the finest units' areas.

Empty cells (NaN) mean "not known from the inputs": a unit without a value
and without every member's value, a share whose total is not known, a
per-capita value of a unit without population. Nothing is ever infinite.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ecozone.errors import InputError, ParameterError

if TYPE_CHECKING:  # types only
    from ecozone.inputs.units import Units

__all__ = ["OVERVIEW_COLUMNS", "overview"]

#: Columns of the table ``overview`` (METHODS §5.0), in order.
OVERVIEW_COLUMNS = (
    "level",
    "unit_id",
    "year",
    "gdp",
    "population",
    "area_km2",
    "gdp_per_capita",
    "population_density",
    "gdp_share",
    "population_share",
    "area_share",
    "gdp_share_of_level",
    "population_share_of_level",
    "area_share_of_level",
    "n_members_over_2m",
    "share_members_over_2m",
)

_VALUES = ("gdp", "population")


def _row(df: pd.DataFrame, i: int) -> int:
    """Spreadsheet row number (header = row 1) of the i-th data row."""
    idx = df.index[i]
    return int(idx) + 2 if isinstance(idx, (int, np.integer)) else i + 2


def _check_economy(economy: pd.DataFrame, units: Units, where: str) -> pd.DataFrame:
    missing = [c for c in ("unit_id", "year", *_VALUES) if c not in economy.columns]
    if missing:
        raise InputError(
            f"the economy table lacks column(s) {missing}; columns are {list(economy.columns)}",
            where=where,
            fix="give columns unit_id, year, gdp (CNY), population (persons)",
        )
    e = economy[["unit_id", "year", *_VALUES]].copy()
    e["unit_id"] = e["unit_id"].astype(str).str.strip()
    known = set(units.frame["unit_id"].astype(str))
    unknown = ~e["unit_id"].isin(known)
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise InputError(
            f"row {_row(e, i)}: unit_id '{e['unit_id'].iloc[i]}' is not a unit of the study at any level "
            f"({int(unknown.sum())} row(s) with unknown ids)",
            where=where,
            fix="correct the id (ids must match the units layer's id columns) or remove the rows",
        )
    for c in _VALUES:
        v = pd.to_numeric(e[c], errors="coerce")
        bad = (v.isna() & e[c].notna()) | (v < 0) | np.isinf(v)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"row {_row(e, i)}: {c} {e[c].iloc[i]!r} is not a non-negative finite number",
                where=where,
                fix=f"give {c} as a number ≥ 0 ({'CNY' if c == 'gdp' else 'persons'}), or leave the cell empty",
            )
        e[c] = v.astype(float)
    y = pd.to_numeric(e["year"], errors="coerce")
    bad = y.isna() | (y != y.round())
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"row {_row(e, i)}: year {e['year'].iloc[i]!r} is not a whole number",
            where=where,
            fix="give the calendar year, e.g. 2020",
        )
    e["year"] = y.astype(np.int64)
    dup = e.duplicated(["unit_id", "year"], keep=False)
    if dup.any():
        rows = [str(_row(e, j)) for j in np.flatnonzero(dup)[:6]]
        i = int(np.flatnonzero(dup)[0])
        raise InputError(
            f"rows {', '.join(rows)} repeat unit_id {e['unit_id'].iloc[i]}, year {e['year'].iloc[i]}",
            where=where,
            fix="keep one row per unit_id and year",
        )
    return e


def _members(units: Units, child: str, level: str) -> pd.Series:
    """Id at ``child`` → id at ``level`` ("" dropped), for a level nesting ``child`` (consistent on loading)."""
    f = units.finest[[child, level]]
    f = f[(f[child] != "") & (f[level] != "")].drop_duplicates(child)
    return pd.Series(f[level].to_numpy(), index=f[child].to_numpy(), name=level)


def _cascade(e: pd.DataFrame, units: Units) -> dict[str, pd.DataFrame]:
    """Level → DataFrame indexed by (unit_id, year) with gdp, population (given or summed)."""
    levels = list(units.levels)
    order = {lv: i for i, lv in enumerate(levels)}
    # the lowest level each id names (an id shared by a unit and its same-territory parent)
    rank = units.frame["level"].map(order)
    lowest = rank.groupby(units.frame["unit_id"].astype(str).to_numpy()).min().map(dict(enumerate(levels)))
    e = e.assign(level=e["unit_id"].map(lowest))
    out: dict[str, pd.DataFrame] = {}
    for lv in levels:
        direct = e[e["level"] == lv].set_index(["unit_id", "year"])[list(_VALUES)]
        if lv == units.finest_level:
            out[lv] = direct.astype(float)
            continue
        child = units.parents.get(lv, levels[order[lv] - 1])
        m = _members(units, child, lv)
        n_members = m.value_counts()
        c = out[child].reset_index()
        c["up"] = c["unit_id"].map(m)
        c = c[c["up"].notna()]
        if len(c):
            g = c.groupby(["up", "year"])
            summed = g[list(_VALUES)].sum(min_count=1)
            counts = g[list(_VALUES)].count()
            need = n_members.reindex(summed.index.get_level_values(0)).to_numpy()
            for col in _VALUES:
                summed.loc[counts[col].to_numpy() < need, col] = np.nan
            summed.index.names = ["unit_id", "year"]
        else:
            summed = pd.DataFrame(
                columns=list(_VALUES), index=pd.MultiIndex.from_arrays([[], []], names=["unit_id", "year"])
            )
        out[lv] = direct.combine_first(summed).astype(float) if len(direct) else summed.astype(float)
    return out


def _study_totals(values: dict[str, pd.DataFrame], units: Units, years: np.ndarray) -> pd.DataFrame:
    """Study total of gdp and population per year (index year), see the module docstring."""
    covering = [lv for lv in units.levels if (units.membership(lv) != "").all()]
    totals = pd.DataFrame(np.nan, index=pd.Index(years, name="year"), columns=list(_VALUES))
    for lv in covering:  # finest first: coarser complete levels overwrite
        ids = units.ids(lv)
        v = values[lv].reset_index()
        v = v[v["unit_id"].isin(ids)]
        g = v.groupby("year")[list(_VALUES)]
        s, n = g.sum(), g.count()
        for col in _VALUES:
            ok = n[col] == len(ids)
            totals.loc[s.index[ok], col] = s.loc[ok, col].to_numpy()
    return totals


def overview(
    economy: pd.DataFrame,
    units: Units,
    large_population: float = 2_000_000,
    *,
    where: str = "economy",
) -> pd.DataFrame:
    """Economic overview per unit of every level and year (METHODS §5.0).

    Parameters
    ----------
    economy:
        Long table ``unit_id, year, gdp, population``: GDP in CNY, resident
        population in persons (already converted from any declared unit);
        ``unit_id`` may name a unit of any level; empty cells are unknown.
    units:
        The study's :class:`~ecozone.inputs.units.Units` (levels, their
        nesting and ``frame.area_km2`` in km² of the equal-area CRS).
    large_population:
        Threshold of ``n_members_over_2m`` (persons; members strictly above
        it count), ``overview.large_population``.
    where:
        The economy table's file, for error messages.

    Returns
    -------
    pandas.DataFrame
        Table ``overview``: one row per unit of every level and per year of
        ``economy``, columns :data:`OVERVIEW_COLUMNS` — ``gdp`` CNY,
        ``population`` persons, ``area_km2`` km², ``gdp_per_capita``
        CNY/person, ``population_density`` persons/km², the ``*_share`` and
        ``*_share_of_level`` columns and ``share_members_over_2m`` as
        fractions 0…1, ``n_members_over_2m`` a count (nullable integer).
        Empty cells mean "not known" (see the module docstring).

    Raises
    ------
    InputError
        Missing columns, unknown unit ids, negative or non-numeric values,
        repeated (unit_id, year).
    ParameterError
        ``large_population`` negative or not finite.
    """
    if not np.isfinite(large_population) or large_population < 0:
        raise ParameterError(
            f"large_population must be a finite number ≥ 0, not {large_population!r}",
            where="[overview] large_population",
            fix="give a resident population in persons, e.g. 2000000",
        )
    e = _check_economy(economy, units, where)
    years = np.array(sorted(e["year"].unique()), dtype=np.int64)
    values = _cascade(e, units)
    levels = list(units.levels)
    frame = units.frame[["level", "unit_id", "area_km2"]].copy()
    frame["unit_id"] = frame["unit_id"].astype(str)
    frame["area_km2"] = frame["area_km2"].astype(float)

    parts = []
    for lv in levels:
        u = frame[frame["level"] == lv]
        grid = pd.MultiIndex.from_product([u["unit_id"].to_numpy(), years], names=["unit_id", "year"])
        v = values[lv].reindex(grid).reset_index()
        v.insert(0, "level", lv)
        v["area_km2"] = v["unit_id"].map(u.set_index("unit_id")["area_km2"])
        parts.append(v)
    out = pd.concat(parts, ignore_index=True)

    pop = out["population"]
    out["gdp_per_capita"] = out["gdp"] / pop.where(pop > 0)
    out["population_density"] = pop / out["area_km2"].where(out["area_km2"] > 0)

    totals = _study_totals(values, units, years)
    study_area = float(frame.loc[frame["level"] == units.finest_level, "area_km2"].sum())
    for col in _VALUES:
        t = out["year"].map(totals[col])
        out[f"{col}_share"] = out[col] / t.where(t > 0)
    out["area_share"] = out["area_km2"] / study_area if study_area > 0 else np.nan

    # shares within the top grouping level
    for col in (*_VALUES, "area_km2"):
        name = "area_share_of_level" if col == "area_km2" else f"{col}_share_of_level"
        out[name] = np.nan
    if len(levels) > 1:
        top = levels[-1]
        is_top = out["level"] == top
        t = out[is_top]
        n_top = len(units.ids(top))
        for col in _VALUES:
            g = t.groupby("year")[col]
            s = g.sum().where(g.count() == n_top)
            tot = t["year"].map(s)
            out.loc[is_top, f"{col}_share_of_level"] = t[col] / tot.where(tot > 0)
        top_area = float(frame.loc[frame["level"] == top, "area_km2"].sum())
        if top_area > 0:
            out.loc[is_top, "area_share_of_level"] = t["area_km2"] / top_area

    # members with a large resident population
    out["n_members_over_2m"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["share_members_over_2m"] = np.nan
    for i, lv in enumerate(levels[1:], start=1):
        child = units.parents.get(lv, levels[i - 1])
        m = _members(units, child, lv)
        n_members = m.value_counts()
        cp = values[child]["population"].reset_index()
        cp["up"] = cp["unit_id"].map(m)
        cp = cp[cp["up"].notna()]
        known = cp.groupby(["up", "year"])["population"].count()
        over = (cp["population"] > large_population).groupby([cp["up"], cp["year"]]).sum()
        need = n_members.reindex(known.index.get_level_values(0)).to_numpy()
        complete = known.to_numpy() == need
        over = over[complete]
        share = over / n_members.reindex(over.index.get_level_values(0)).to_numpy()
        sel = out["level"] == lv
        key = pd.MultiIndex.from_arrays([out.loc[sel, "unit_id"], out.loc[sel, "year"]])
        out.loc[sel, "n_members_over_2m"] = pd.array(over.reindex(key).to_numpy(), dtype="Int64")
        out.loc[sel, "share_members_over_2m"] = share.reindex(key).to_numpy(dtype=float)

    order = {lv: i for i, lv in enumerate(levels)}
    out = out.sort_values(["level", "unit_id", "year"], key=lambda s: s.map(order) if s.name == "level" else s)
    out["year"] = out["year"].astype(np.int64)
    return out[list(OVERVIEW_COLUMNS)].reset_index(drop=True)
