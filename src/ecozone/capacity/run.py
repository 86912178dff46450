"""The carrying-capacity analysis end to end (METHODS §1): validated tables in,
the ``capacity``, ``capacity_shares`` and ``capacity_pollutants`` tables out.

Pure: no files are read or written here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecozone.capacity import agglomeration as ag
from ecozone.capacity._checks import join_notes, require_columns
from ecozone.capacity.air import (
    air_concentrations_by_level,
    air_index_by_level,
    annual_statistics,
    check_air,
)
from ecozone.capacity.coupling import (
    SEP,
    environment_axis,
    four_quadrant,
    zone_share_from_ids,
    zone_share_from_polygons,
)
from ecozone.capacity.hierarchy import Hierarchy, sum_up
from ecozone.capacity.params import CapacityParams
from ecozone.capacity.standards import air_limits_by_year, air_phase, water_limits
from ecozone.capacity.state import classify_state, comprehensive, shares_by_level
from ecozone.capacity.water import (
    check_water,
    section_index,
    water_index_by_level,
    water_pollutant_index,
)
from ecozone.errors import InputError, MissingInputs, ParameterError

KEY = ["level", "unit_id", "year"]

CAPACITY_COLUMNS = [
    "level", "unit_id", "year",
    "r_air", "r_water", "r_total", "state_air", "state_water", "state", "media",
    "n_sections", "n_pollutants",
    "gdp_per_capita", "quadrant", "type", "dev_index", "coupling_c", "coupling_d", "coupling_grade",
    # beyond the minimum
    "air_primary", "air_missing", "water_primary", "air_standard",
    "gdp", "population", "regional_gdp_per_capita", "economic", "environment", "zone_share",
    "dev_class", "env_index", "coupling_t", "coupling_grade_no", "notes",
]


def _air(tables, hier: Hierarchy, p: CapacityParams, economy_levels: pd.DataFrame | None, messages):
    annual = tables.get("air")
    daily = tables.get("air_daily")
    parts = []
    daily_notes = pd.Series(dtype=object)
    if daily is not None and len(daily):
        st = annual_statistics(
            daily,
            min_days=p.air.daily_min_days,
            min_days_month=p.air.daily_min_days_month,
            min_days_february=p.air.daily_min_days_february,
            co_max_mg_m3=p.air.co_max_mg_m3,
        )
        bad = st[~st["valid"]]
        if len(bad) and p.air.daily_incomplete == "error":
            r = bad.iloc[0]
            raise InputError(
                f"unit '{r['unit_id']}': {r['note']}",
                where=f"table 'air_daily', unit_id '{r['unit_id']}', year {r['year']}, pollutant {r['pollutant']}",
                fix="complete the daily series, or set [capacity.air] daily_incomplete = \"skip\" to leave "
                "such years out",
            )
        daily_notes = st[st["note"] != ""].groupby(["unit_id", "year"])["note"].agg(lambda s: join_notes(*s))
        parts.append(st[st["valid"]][["unit_id", "year", "pollutant", "value"]].assign(_src=1))
    if annual is not None and len(annual):
        parts.append(check_air(annual, co_max_mg_m3=p.air.co_max_mg_m3).assign(_src=0))
    if not parts:
        return None, None
    conc = pd.concat(parts, ignore_index=True)
    # the annual table's statistic wins over one computed from daily data
    conc = conc.sort_values("_src").drop_duplicates(["unit_id", "year", "pollutant"]).drop(columns="_src")
    if p.air.aggregation == "area":
        weights, wname, wtable = hier.area, "area", "units"
    else:
        if economy_levels is None:
            raise ParameterError(
                "population-weighted aggregation needs the economy table (population)",
                where="[capacity.air] aggregation",
                fix='add the economy table to [tables], or set aggregation = "area"',
            )
        e = economy_levels.dropna(subset=["population"])
        weights = pd.Series(
            e["population"].to_numpy(dtype=float),
            index=pd.MultiIndex.from_arrays([e["unit_id"].to_numpy(), e["year"].to_numpy()]),
        )
        weights = weights[~weights.index.duplicated()]
        wname, wtable = "population", "economy"
    levels = air_concentrations_by_level(conc, hier, weights, weight_name=wname, weight_table=wtable)
    years = sorted(levels["year"].unique())
    limits = air_limits_by_year(
        years, p.air.standard, p.air.grade, phase=p.air.phase, overrides=p.air.limits or None
    )
    units, pidx = air_index_by_level(levels, limits)
    std = {
        y: " ".join(x for x in (p.air.standard, air_phase(p.air.standard, p.air.phase, y), f"grade {p.air.grade}") if x)
        + (" (limits overridden: " + ", ".join(p.air.limits) + ")" if p.air.limits else "")
        for y in years
    }
    units["air_standard"] = units["year"].map(std)
    if len(daily_notes):
        k = pd.Series(list(zip(units["unit_id"], units["year"], strict=True)), index=units.index)
        dn = k.map(daily_notes).fillna("")
        fin = units["level"] == hier.finest
        units["air_note"] = [
            join_notes(a, d) if f else a for a, d, f in zip(units["air_note"], dn, fin, strict=True)
        ]
    units["state_air"] = classify_state(units["r_air"], p.air.critical_threshold)
    pidx = pidx.assign(medium="air").rename(columns={"value": "concentration"})
    pidx = pidx[["level", "unit_id", "year", "medium", "pollutant", "concentration", "limit", "r",
                 "n_members", "coverage"]]
    return units, pidx


def _water(tables, hier: Hierarchy, p: CapacityParams):
    w = tables.get("water")
    if w is None or len(w) == 0:
        return None, None
    w = check_water(w)
    lim = water_limits(p.water.standard, tn_rivers=p.water.tn_rivers)
    pidx, left_out = water_pollutant_index(w, lim)
    if len(pidx) == 0:
        return None, None
    sidx = section_index(pidx)
    units, pols = water_index_by_level(pidx, sidx, hier)
    units["water_note"] = ""
    if len(left_out):
        for lv in hier.levels:
            lo = left_out.assign(u=hier.to_level(left_out["unit_id"], lv))
            lo = lo[lo["u"] != ""]
            n = lo.groupby(["u", "year"])["section_id"].nunique()
            m = (units["level"] == lv).to_numpy()
            k = pd.Series(list(zip(units.loc[m, "unit_id"], units.loc[m, "year"], strict=True)))
            cnt = k.map(n).fillna(0).astype(int).to_numpy()
            units.loc[m, "water_note"] = [
                f"TN left out at {c} river section(s) (tn_rivers = skip)" if c else "" for c in cnt
            ]
    units["state_water"] = classify_state(units["r_water"], p.water.critical_threshold)
    pols = pols.assign(medium="water", concentration=np.nan, limit=np.nan, n_members=0, coverage=1.0)
    return units, pols


def _economy(tables, hier: Hierarchy) -> pd.DataFrame | None:
    e = tables.get("economy")
    if e is None or len(e) == 0:
        return None
    require_columns(e, "economy", ("unit_id", "year", "gdp", "population"))
    e = e.assign(unit_id=e["unit_id"].astype(str), year=e["year"].astype(int))
    unknown = ~e["unit_id"].isin(hier.level_of.index)
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputError(
            f"unit_id '{e['unit_id'].iloc[i]}' is not a unit of the study",
            where=f"table 'economy', column 'unit_id', row {i + 2}",
            fix="correct the id or remove the row",
        )
    return sum_up(e, hier, ("gdp", "population"))


def _zone_share(tables, units, hier: Hierarchy, level: str, area_crs: str | None) -> pd.Series | None:
    z = tables.get("ecological_function")
    if z is None or len(z) == 0:
        return None
    geom = getattr(z, "geometry", None) if hasattr(z, "crs") else None
    if geom is not None and "unit_id" not in z.columns:
        if units is None or not hasattr(units, "of_level"):
            raise MissingInputs(
                "an ecological-zone polygon layer needs the units' geometries",
                where="table 'ecological_function'",
                fix="run with the study's Units, or give the zones as a table of unit ids",
            )
        return zone_share_from_polygons(units.of_level(level)[["unit_id", "geometry"]], z, area_crs)
    require_columns(z, "ecological_function", ("unit_id",))
    return zone_share_from_ids(z["unit_id"].astype(str), hier, level)


def run_capacity(units, tables: dict[str, pd.DataFrame], params=None) -> dict[str, pd.DataFrame]:
    """Environmental carrying capacity at every level and year (METHODS §1).

    Parameters
    ----------
    units:
        :class:`ecozone.inputs.units.Units` (or a :class:`Hierarchy`).
    tables:
        Validated tables by contract name; used when present: ``air``,
        ``air_daily``, ``water``, ``economy``, ``development``,
        ``ecological_function`` (ids, or a GeoDataFrame of zone polygons).
    params:
        :class:`CapacityParams` (defaults when None).

    Returns
    -------
    ``capacity``: one row per level, unit and year with at least one medium
    (columns :data:`CAPACITY_COLUMNS`; indices dimensionless, GDP in CNY, per
    capita in CNY/person); ``capacity_shares``: members' counts, shares (%)
    and majority verdict for every upper unit; ``capacity_pollutants``:
    per-pollutant indices (air eq. 1 with concentration and limit; water
    eq. 4). Run-level messages are in ``capacity.attrs["messages"]``.
    """
    p = params if params is not None else CapacityParams()
    if hasattr(p, "capacity"):
        p = p.capacity
    hier = units if isinstance(units, Hierarchy) else Hierarchy.from_units(units)
    area_crs = getattr(units, "area_crs", None)
    messages: list[str] = []
    tables = {k: v for k, v in (tables or {}).items() if v is not None}

    econ = _economy(tables, hier)
    air_u, air_p = _air(tables, hier, p, econ, messages)
    water_u, water_p = _water(tables, hier, p)
    if air_u is None and water_u is None:
        raise MissingInputs(
            "the capacity analysis needs the air, air_daily or water table",
            where="[tables]",
            fix="add at least one of air, air_daily, water to [tables]",
        )
    cap = None
    for df in (air_u, water_u):
        if df is None:
            continue
        cap = df if cap is None else cap.merge(df, on=KEY, how="outer")
    for c, default in (("r_air", np.nan), ("r_water", np.nan), ("state_air", None), ("state_water", None),
                       ("n_sections", 0), ("n_pollutants", 0), ("air_note", ""), ("water_note", ""),
                       ("air_primary", None), ("air_missing", None), ("water_primary", None),
                       ("air_standard", None)):
        if c not in cap.columns:
            cap[c] = default
    cap = cap.reset_index(drop=True)
    comp = comprehensive(cap["r_air"], cap["r_water"], cap["state_air"], cap["state_water"])
    cap[["r_total", "state", "media"]] = comp[["r_total", "state", "media"]].to_numpy()
    cap["r_total"] = cap["r_total"].astype(float)
    cap["n_sections"] = cap["n_sections"].fillna(0).astype(int)
    cap["n_pollutants"] = cap["n_pollutants"].fillna(0).astype(int)
    cap["state_air"] = cap["state_air"].astype(object).where(cap["state_air"].notna(), None)
    cap["state_water"] = cap["state_water"].astype(object).where(cap["state_water"].notna(), None)

    if econ is not None:
        cap = cap.merge(econ, on=KEY, how="left")
    else:
        cap["gdp"] = np.nan
        cap["population"] = np.nan

    shares = shares_by_level(cap, hier, critical_as=p.coupling.critical_as)

    # four quadrants at the coupling level
    for c in ("gdp_per_capita", "regional_gdp_per_capita", "zone_share"):
        cap[c] = np.nan
    for c in ("economic", "environment", "quadrant", "type", "dev_class", "coupling_grade"):
        cap[c] = None
    cap["q_note"] = ""
    cap["gdp_per_capita"] = cap["gdp"] / cap["population"]
    clv = p.coupling.level
    if clv not in hier.levels:
        messages.append(f"four-quadrant coupling skipped: level '{clv}' is not a level of the units "
                        f"({', '.join(hier.levels)}); set [capacity.coupling] level")
    else:
        m = (cap["level"] == clv).to_numpy()
        share = _zone_share(tables, units, hier, clv, area_crs)
        zs = cap.loc[m, "unit_id"].map(share) if share is not None else pd.Series(np.nan, index=cap.index[m])
        cap.loc[m, "zone_share"] = zs.to_numpy(dtype=float)
        q = four_quadrant(
            pd.DataFrame(
                {
                    "unit_id": cap.loc[m, "unit_id"], "year": cap.loc[m, "year"], "state": cap.loc[m, "state"],
                    "gdp": cap.loc[m, "gdp"], "population": cap.loc[m, "population"],
                    "in_zone": (zs.fillna(0.0) > p.coupling.zone_share).to_numpy(),
                }
            ),
            regional_gdp=p.coupling.regional_gdp,
            critical_as=p.coupling.critical_as,
        )
        for c in ("regional_gdp_per_capita", "economic", "environment", "quadrant", "type"):
            cap.loc[m, c] = q[c].to_numpy()
        cap.loc[m, "q_note"] = q["note"].to_numpy()
        if econ is None:
            messages.append("four-quadrant coupling without economy table: no quadrants")

    # development index, typing and coupling coordination (U1 and U2 normalised alike, §1.6)
    norm = p.coupling.normalisation
    cap["dev_index"] = np.nan
    cap["dev_note"] = ""
    dev = tables.get("development")
    dev_rows = []
    if dev is not None and len(dev):
        require_columns(dev, "development", ("unit_id", "year"))
        dv, ind = ag.indicator_matrix(dev)
        dv = dv.assign(unit_id=dv["unit_id"].astype(str), year=dv["year"].astype(int))
        dv["level"] = dv["unit_id"].map(hier.level_of)
        unknown = dv["level"].isna()
        if unknown.any():
            i = int(np.flatnonzero(unknown.to_numpy())[0])
            raise InputError(
                f"unit_id '{dv['unit_id'].iloc[i]}' is not a unit of the study",
                where=f"table 'development', column 'unit_id', row {i + 2}",
                fix="correct the id or remove the row",
            )
        for lv, sub in dv.groupby("level"):
            u1, notes = ag.development_typing(
                sub, ind, weights=p.typing.weights, directions=p.typing.directions,
                normalisation=norm,
            )
            messages.extend(f"development index, {lv}, {n}" for n in notes)
            dev_rows.append(u1.assign(level=lv))
    dev_u1 = pd.concat(dev_rows, ignore_index=True) if dev_rows else pd.DataFrame(
        columns=["level", "unit_id", "year", "dev_index", "dev_weights"])
    if (
        clv in hier.levels
        and p.coupling.development_fallback == "gdp_per_capita"
        and not (dev_u1["level"] == clv).any()
    ):
        sub = cap[(cap["level"] == clv) & cap["gdp_per_capita"].notna()]
        fb = []
        for yr, s in sub.groupby("year"):
            if len(s) >= 2:
                fb.append(pd.DataFrame({"level": clv, "unit_id": s["unit_id"], "year": yr,
                                        "dev_index": ag.normalise_values(s["gdp_per_capita"], "+", norm),
                                        "dev_weights": "gdp_per_capita=1 (fallback)"}))
        if fb:
            dev_u1 = pd.concat([dev_u1, *fb], ignore_index=True)
    if len(dev_u1):
        # units with a development index but no environmental row still get a row
        extra = dev_u1[KEY].merge(cap[KEY], on=KEY, how="left", indicator=True)
        extra = extra[extra["_merge"] == "left_only"][KEY]
        if len(extra):
            cap = pd.concat([cap, extra], ignore_index=True)
        k = pd.MultiIndex.from_frame(cap[KEY].astype({"year": int}))
        d = dev_u1.set_index(KEY)
        cap["dev_index"] = d["dev_index"].reindex(k).to_numpy(dtype=float)
        cap["dev_note"] = d["dev_weights"].reindex(k).fillna("").map(
            lambda s: f"development weights: {s}" if s else "").to_numpy()

    cap["env_index"] = np.nan
    for _key, s in cap[cap["dev_index"].notna() & cap["r_total"].notna()].groupby(["level", "year"]):
        if len(s) >= 2:
            cap.loc[s.index, "env_index"] = ag.normalise_values(-s["r_total"].to_numpy(dtype=float), "+", norm)
    c, t, d = ag.coupling_coordination(cap["dev_index"], cap["env_index"], p.typing.a, p.typing.b)
    cap["coupling_c"], cap["coupling_t"], cap["coupling_d"] = c, t, d
    gr = ag.coordination_grade(d)
    cap["coupling_grade"] = gr["code"].to_numpy()
    cap["coupling_grade_no"] = gr["grade"].to_numpy()

    tlv = p.typing.level
    if tlv in hier.levels:
        for yr, s in cap[(cap["level"] == tlv) & cap["dev_index"].notna()].groupby("year"):
            try:
                cls = ag.classify_development(s["dev_index"], p.typing.classes)
            except ValueError as e:
                messages.append(f"development classes of level '{tlv}' in {yr} not formed: {e}; "
                                "give thresholds in [capacity.typing] classes")
                continue
            cap.loc[s.index, "dev_class"] = cls.to_numpy()
            if p.typing.state_from == "majority":
                if tlv == hier.finest:
                    sh = shares.iloc[:0]
                else:
                    sh = shares[(shares["level"] == tlv) & (shares["member_level"] == hier.parents[tlv])
                                & (shares["medium"] == "total") & (shares["year"] == yr)]
                env = s["unit_id"].map(sh.set_index("unit_id")["state_majority"]).to_numpy()
            else:
                env = environment_axis(s["state"], p.coupling.critical_as)
            cap.loc[s.index, "type"] = [
                f"{k}{SEP}{e}" if isinstance(e, str) else None for k, e in zip(cls, env, strict=True)
            ]
    elif dev is not None:
        messages.append(f"development typing skipped: level '{tlv}' is not a level of the units")

    cap["notes"] = [
        join_notes(*r) for r in zip(cap["air_note"].fillna(""), cap["water_note"].fillna(""),
                                    cap["q_note"].fillna(""), cap["dev_note"].fillna(""), strict=True)
    ]
    cap["year"] = cap["year"].astype(int)
    order = {lv: i for i, lv in enumerate(hier.levels)}
    cap = cap.assign(_o=cap["level"].map(order)).sort_values(["_o", "unit_id", "year"]).drop(columns="_o")
    cap["n_sections"] = cap["n_sections"].fillna(0).astype(int)
    cap["n_pollutants"] = cap["n_pollutants"].fillna(0).astype(int)
    cap["media"] = cap["media"].fillna("")
    out = cap[CAPACITY_COLUMNS].reset_index(drop=True)
    out.attrs["messages"] = messages
    pols = pd.concat([x for x in (air_p, water_p) if x is not None], ignore_index=True)
    if "n_sections" not in pols.columns:
        pols["n_sections"] = 0
    pols = pols[["level", "unit_id", "year", "medium", "pollutant", "concentration", "limit", "r",
                 "n_sections", "n_members", "coverage"]].copy()
    pols["n_sections"] = pols["n_sections"].fillna(0).astype(int)
    return {"capacity": out, "capacity_shares": shares.reset_index(drop=True), "capacity_pollutants": pols}


def run_analysis(inp, rep):
    """The ``capacity`` analysis on validated inputs (:class:`ecozone.analysis.Inputs`)."""
    from ecozone.analysis import AnalysisResult

    with rep.step("capacity: excess indices, states, coupling"):
        tables = run_capacity(inp.units, inp.tables, inp.study.capacity)
    notes = [f"capacity: {m}" for m in tables["capacity"].attrs.get("messages", [])]
    return AnalysisResult(tables=tables, notes=notes)
