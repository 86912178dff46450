"""The ``drivers`` analysis wired to a study: targets, factors, the geographical detector (METHODS §7).

Targets (``[drivers] targets``) are columns of the results of the analyses
that ran before (the ``carbon`` table first: ``cb_tc``, ``ce_tc``, ``cs_tc``
in t C, ``nep_mean`` in gC m-2 yr-1), or columns of the user's
``[tables] factors`` — which is how a study without carbon gives its target.
Factors are built by :mod:`ecozone.drivers.factors` at the analysed level
(``[drivers] level``, default the finest level at which a target has values);
every year of the study is analysed on its own with
:func:`ecozone.drivers.geodetector.detect`.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ecozone.analysis import AnalysisResult, Inputs
from ecozone.drivers import factors as fct
from ecozone.errors import InputError, ParameterError

KEY = ["level", "year"]
TABLES = ("drivers", "drivers_interaction", "drivers_risk", "drivers_ecological")
#: most notes shown in the run log (the rest are counted)
MAX_NOTES = 25


def run(inp: Inputs, rep) -> AnalysisResult:
    """Run the geographical detector on a study's units; return the four ``drivers`` tables.

    Parameters
    ----------
    inp : ecozone.analysis.Inputs
        The study's inputs; ``inp.results`` holds the tables of the analyses
        that ran before (``carbon``).
    rep : ecozone.progress.SilentReporter
        Progress and notes.

    Returns
    -------
    AnalysisResult
        Tables ``drivers`` (``level, year, target, factor, q, p, n_strata,
        method``), ``drivers_interaction`` (``level, year, target, factor_a,
        factor_b, q, type``), ``drivers_risk`` (``level, year, target, factor,
        stratum_a, stratum_b, mean_a, mean_b, t, df, significant``) and
        ``drivers_ecological`` (``level, year, target, factor_a, factor_b, f, p,
        significant``); q, p, t, f dimensionless, means in the target's unit.

    Raises
    ------
    InputError
        A target that is not found or not numeric; no factor available;
        nothing could be analysed (too few units, constant targets …), or,
        with ``[drivers] errors = "raise"``, any factor or target that cannot
        be analysed.
    ParameterError
        An unknown level, factor, excluded or categorical name.
    """
    from ecozone.drivers.geodetector import detect

    st = inp.study
    p = st.drivers
    units = inp.units
    notes: list[str] = []
    user = inp.tables.get("factors")
    user_cols = fct.factor_columns(user) if user is not None else []

    sources = _target_sources(p, inp.results, user, user_cols)
    level = _choose_level(p, units, sources, inp.results, user)
    targets = _targets_at(sources, units, level, inp.results, user)
    years = [y for y in st.study.years if y in set(targets["year"])]
    if not years:
        raise InputError(
            f"no target has a value at level '{level}' in the study years {st.study.years}",
            where="[drivers] targets",
            fix="give the targets for the study years, or choose another [drivers] level",
        )
    target_names = [t for t in sources if t in targets.columns]

    with rep.step("drivers: factors"):
        frames, available, why = _factor_frames(inp, level, years, user, user_cols, target_names, notes)
    chosen = _choose_factors(p, available, why, user_cols, target_names)
    categorical = [c for c in p.categorical if c in chosen]

    parts: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    messages: dict[str, list[int]] = {}
    for y in years:
        with rep.step(f"drivers: geographical detector {y}"):
            frame = targets[targets["year"] == y].drop(columns="year")
            frame = frames[y].merge(frame, on="unit_id", how="left")
            use = [f for f in chosen if f in frame.columns and _varies(frame[f], f, y, messages, p.errors, level)]
            tg = [t for t in target_names if frame[t].notna().any()]
            if not use or not tg:
                continue
            try:
                out = detect(frame, tg, use, discretisation=p.discretisation, n_classes=p.n_classes,
                             classes=p.classes, methods=p.methods,
                             categorical=[c for c in categorical if c in use], errors=p.errors)
            except InputError as e:
                raise InputError(e.what, where=f"drivers, level {level}, year {y}: {e.where}", fix=e.fix) from None
            for m in out["drivers"].attrs.get("messages", []):
                messages.setdefault(m, []).append(y)
            for name, t in zip(TABLES, ("drivers", "drivers_interaction", "drivers_risk", "drivers_ecological"),
                               strict=True):
                if len(out[t]):
                    parts[name].append(out[t].assign(level=level, year=y))
    if not parts["drivers"]:
        _raise_nothing(p, frames, targets, target_names, chosen, categorical, years, level, messages)

    tables = {}
    for name in TABLES:
        if parts[name]:
            df = pd.concat(parts[name], ignore_index=True)
            tables[name] = df[KEY + [c for c in df.columns if c not in KEY]]
    notes += _summarise(messages, level)
    return AnalysisResult(tables=tables, notes=notes)


# --------------------------------------------------------------------------- targets


def _target_sources(p, results: dict[str, pd.DataFrame], user, user_cols) -> dict[str, tuple[str, str]]:
    """Target name → ("results", table name) or ("factors", "") for every target found."""
    explicit = "targets" in p.model_fields_set
    unit_tables = [(name, t) for name, t in sorted(results.items(), key=lambda kv: kv[0] != "carbon")
                   if {"level", "unit_id", "year"} <= set(t.columns)]
    found: dict[str, tuple[str, str]] = {}
    unknown = []
    for name in p.targets:
        src = next(((("results", tn)) for tn, t in unit_tables if name in t.columns), None)
        if src is None and name in user_cols:
            src = ("factors", "")
        if src is None:
            unknown.append(name)
            continue
        col = results[src[1]][name] if src[0] == "results" else user[name]
        if not (pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)):
            raise InputError(
                f"target '{name}' is not numeric (it holds {col.dropna().astype(str).head(3).tolist()})",
                where="[drivers] targets",
                fix="choose numeric targets: the geographical detector explains the variance of a number",
            )
        found[name] = src
    if unknown and (explicit or not found):
        where = "[drivers] targets"
        if "carbon" not in results and any(t in fct.BUILTIN or t.endswith("_tc") or t == "nep_mean"
                                           for t in unknown):
            numeric = [c for c in user_cols if user is not None and pd.api.types.is_numeric_dtype(user[c])]
            example = f'targets = ["{numeric[0]}"]' if numeric else 'targets = ["<column>"]'
            fix = ("the carbon analysis did not run, so its columns (cb_tc, ce_tc, cs_tc, nep_mean) are not "
                   f"available: name the target columns of [tables] factors in [drivers] targets, e.g. {example}, "
                   "or give carbon's inputs")
            if user is None:
                fix = ("the carbon analysis did not run: give carbon's inputs, or a [tables] factors table with "
                       'the target as a column and [drivers] targets = ["<column>"]')
        else:
            cols = sorted({c for _, t in unit_tables for c in t.columns if c not in ("level", "unit_id", "year")}
                          | set(user_cols))
            fix = f"choose among the columns {', '.join(cols)}" if cols else "give the targets"
        raise InputError(f"target(s) {', '.join(map(repr, unknown))} not found", where=where, fix=fix)
    return found


def _level_ids(units, level: str) -> set[str]:
    return set(units.ids(level))


def _targets_at(sources, units, level: str, results: dict[str, pd.DataFrame], user) -> pd.DataFrame:
    """``unit_id, year, <targets>`` of the units of ``level``."""
    ids = _level_ids(units, level)
    out = None
    by_table: dict[tuple[str, str], list[str]] = {}
    for t, src in sources.items():
        by_table.setdefault(src, []).append(t)
    return_cols = []
    for (kind, tn), cols in by_table.items():
        if kind == "results":
            from_table = results[tn]
            t = from_table[from_table["level"] == level][["unit_id", "year", *cols]]
        else:
            t = user[user["unit_id"].isin(ids)][["unit_id", "year", *cols]]
        t = t.drop_duplicates(["unit_id", "year"])
        out = t if out is None else out.merge(t, on=["unit_id", "year"], how="outer")
        return_cols += cols
    if out is None:
        return pd.DataFrame(columns=["unit_id", "year"])
    out = out[out["unit_id"].isin(ids)]
    out = out.astype({c: float for c in return_cols})
    return out.reset_index(drop=True)


def _choose_level(p, units, sources, results: dict[str, pd.DataFrame], user) -> str:
    if p.level is not None:
        if p.level not in units.levels:
            raise ParameterError(
                f"unknown level '{p.level}'",
                where="[drivers] level",
                fix=f"use one of the levels of [units] levels: {', '.join(units.levels)}",
            )
        return p.level
    for lv in units.levels:
        t = _targets_at(sources, units, lv, results, user)
        if len(t) and t.drop(columns=["unit_id", "year"]).notna().any().any():
            return lv
    return units.finest_level


# --------------------------------------------------------------------------- factors


def _factor_frames(inp: Inputs, level: str, years: list[int], user, user_cols: list[str], targets: list[str],
                   notes: list[str]) -> tuple[dict[int, pd.DataFrame], list[str], dict[str, str]]:
    """One frame per year (``unit_id`` + every available factor at ``level``), the factors, why others lack."""
    from ecozone.inputs import rasters as rinputs
    from ecozone.landcover import load_classes

    st = inp.study
    units = inp.units
    ids = units.ids(level)
    membership = None if level == units.finest_level else units.membership(level)
    base = pd.DataFrame({"unit_id": ids})
    static: list[pd.DataFrame] = []
    yearly: list[pd.DataFrame] = []
    why: dict[str, str] = {}
    rs = inp.rasters
    has = {v: bool(rs.paths.get(v)) and not rs.missing.get(v) for v in ("dem", "landcover")}

    weights = None
    if (has["dem"] or has["landcover"]) and rs.grid is not None:
        weights = inp.zonal_weights(units.finest_level)
    if has["dem"] and weights is not None:
        dem = rinputs.open_dem(st, rs)
        slope = rinputs.slope_degrees(dem, rs.grid)
        static.append(fct.terrain_factors(weights, dem, slope, membership))
    else:
        for f in fct.TERRAIN:
            why[f] = "it needs [rasters] dem"
    if has["landcover"] and weights is not None:
        classes = load_classes(st.landcover.classes)
        shares = [fct.landuse_shares(weights, rinputs.open_landcover(st, rs, y), classes, membership).assign(year=y)
                  for y in years]
        lu = pd.concat(shares, ignore_index=True)
        cols = [c for c in fct.SHARES if c in lu.columns]  # a group absent in a year has share 0 there
        has = lu[cols].notna().any(axis=1)
        lu.loc[has, cols] = lu.loc[has, cols].fillna(0.0)
        yearly.append(lu[["unit_id", "year", *cols]])
    else:
        for f in fct.SHARES:
            why[f] = "it needs [rasters] landcover"
    if "economy" in inp.tables:
        areas = units.of_level(level).set_index("unit_id")["area_km2"]
        where = str(st.resolve(st.tables.spec("economy").path))
        eco = fct.economy_factors(inp.tables["economy"], areas, membership, where=where)
        yearly.append(eco[eco["year"].isin(years)])
        if "industry_share" not in eco.columns:
            why["industry_share"] = "the economy table has no industry_share column"
    else:
        for f in fct.ECONOMY:
            why[f] = "it needs [tables] economy"
    if user is not None:
        cols = [c for c in user_cols if c not in targets]
        if cols:
            u = fct.user_factors(user, ids, cols)
            if not len(u):
                found = sorted({lv for uid in user["unit_id"].unique() for lv in units.level_of(uid)})
                notes.append(
                    f"drivers: [tables] factors has no row for a unit of level '{level}' (its rows name units of "
                    f"level {', '.join(found) or 'none'}); its factors are left out. Set [drivers] level to "
                    "the level of its rows to use them"
                )
            else:
                clash = [c for c in cols if c in fct.BUILTIN]
                if clash:
                    notes.append(f"drivers: [tables] factors column(s) {', '.join(clash)} replace the factor(s) "
                                 "of the same name ecozone computes")
                    static = [s.drop(columns=[c for c in clash if c in s.columns]) for s in static]
                    yearly = [s.drop(columns=[c for c in clash if c in s.columns]) for s in yearly]
                yearly.append(u)
    frames = {}
    for y in years:
        f = base
        for s in static:
            f = f.merge(s, on="unit_id", how="left")
        for s in yearly:
            f = f.merge(s[s["year"] == y].drop(columns="year"), on="unit_id", how="left")
        frames[y] = f.drop_duplicates("unit_id")
    available = list(dict.fromkeys(c for f in frames.values() for c in f.columns if c != "unit_id"))
    return frames, available, why


def _choose_factors(p, available: list[str], why: dict[str, str], user_cols: list[str],
                    targets: list[str]) -> list[str]:
    known = set(fct.BUILTIN) | set(user_cols)
    for key, names in (("exclude", p.exclude), ("categorical", p.categorical)):
        unknown = [n for n in names if n not in known]
        if key == "categorical":
            unknown = [n for n in names if n not in user_cols]
        if unknown:
            raise ParameterError(
                f"unknown factor(s) {', '.join(map(repr, unknown))}",
                where=f"[drivers] {key}",
                fix=f"name {'columns of [tables] factors' if key == 'categorical' else 'factors'} among: "
                f"{', '.join(available if key == 'exclude' else user_cols) or '(none)'}",
            )
    if p.factors is not None:
        missing = [f for f in p.factors if f not in available]
        if missing:
            reasons = "; ".join(f"{f}: {why[f]}" if f in why else f"{f}: no such factor" for f in missing)
            raise ParameterError(
                f"factor(s) not available in this study ({reasons})",
                where="[drivers] factors",
                fix=f"choose among: {', '.join(available) or '(none)'}, or give the inputs named",
            )
        chosen = list(p.factors)
    else:
        chosen = [f for f in available if f not in targets]
    chosen = [f for f in chosen if f not in p.exclude and f not in targets]
    if not chosen:
        raise InputError(
            "no factor to analyse",
            where="[drivers]",
            fix="give [rasters] dem (terrain), [rasters] landcover (land use), [tables] economy or "
            "[tables] factors, or exclude fewer factors",
        )
    return chosen


def _varies(col: pd.Series, name: str, year: int, messages: dict[str, list[int]], errors: str = "note",
            level: str = "") -> bool:
    """A factor with fewer than two values among the units is left out with a note (or stops the run)."""
    v = col.dropna()
    if len(v) and v.nunique() >= 2:
        return True
    if len(v) == 0:
        what = f"factor {name!r} has no value for any unit"
    else:
        shown = v.iloc[0]
        shown = f"{shown:g}" if isinstance(shown, float | np.floating) else repr(shown)
        what = f"factor {name!r} has one value only ({shown}) in every unit"
    if errors == "raise":
        raise InputError(
            f"{what}, so it has one stratum",
            where=f"drivers, level {level}, year {year}: factor {name!r}",
            fix="choose a factor that varies between the units, or leave it out with [drivers] exclude",
        )
    messages.setdefault(f"{what}: left out", []).append(year)
    return False


# --------------------------------------------------------------------------- messages


#: notes of the detector that repeat for many factors and pairs: counted in one note each
_GROUPED = (
    (re.compile(r"^(?P<t>[^:]+): (?P<what>.+ ∩ .+: \d+ strata for \d+ units) \(fewer than two units per stratum "
                r"on average\); the q of the interaction is inflated$"),
     "{n} interaction(s) have fewer than two units per stratum on average (e.g. {t}: {what}); their q is "
     "inflated: read them with care, or analyse a level with more units"),
    (re.compile(r"^(?P<t>[^:]+): (?P<what>[^:]+: stratum/strata .+) have fewer than 2 units and are left out of "
                r"the risk detector$"),
     "{n} stratum/strata with fewer than 2 units are left out of the risk detector (e.g. {t}: {what})"),
)


def _summarise(messages: dict[str, list[int]], level: str) -> list[str]:
    """The detector's notes for the run log: repeated kinds counted, years merged, the count capped."""
    grouped: dict[int, list] = {}
    single: dict[str, set[int]] = {}
    for m, ys in messages.items():
        for k, (rx, _) in enumerate(_GROUPED):
            hit = rx.match(m)
            if hit:
                g = grouped.setdefault(k, [0, hit, set()])
                g[0] += 1
                g[2].update(ys)
                break
        else:
            single.setdefault(m, set()).update(ys)

    def yrs(ys) -> str:
        return ", ".join(str(y) for y in sorted(ys))

    out = [f"drivers ({level}, {yrs(ys)}): {m}" for m, ys in single.items()]
    for k, (n, hit, ys) in sorted(grouped.items()):
        out.append(f"drivers ({level}, {yrs(ys)}): " + _GROUPED[k][1].format(n=n, **hit.groupdict()))
    if len(out) > MAX_NOTES:
        out = out[:MAX_NOTES] + [f"drivers: … and {len(out) - MAX_NOTES} more notes"]
    return out


def _raise_nothing(p, frames, targets, target_names, chosen, categorical, years, level, messages) -> None:
    """Nothing could be analysed: raise the first reason as an error."""
    from ecozone.drivers.geodetector import detect

    for y in years:
        frame = frames[y].merge(targets[targets["year"] == y].drop(columns="year"), on="unit_id", how="left")
        use = [f for f in chosen if f in frame.columns and frame[f].dropna().nunique() >= 2]
        tg = [t for t in target_names if frame[t].notna().any()]
        if use and tg:
            try:
                detect(frame, tg, use, discretisation=p.discretisation, n_classes=p.n_classes, classes=p.classes,
                       methods=p.methods, categorical=[c for c in categorical if c in use], errors="raise")
            except InputError as e:
                raise InputError(
                    f"nothing could be analysed: {e.what}",
                    where=f"drivers, level {level}, year {y}: {e.where}",
                    fix=e.fix,
                ) from None
    shown = "; ".join(list(messages)[:3])
    raise InputError(
        f"nothing could be analysed at level '{level}'" + (f": {shown}" if shown else ""),
        where="[drivers]",
        fix="give factors that vary between the units and targets with values for at least 4 units",
    )


__all__ = ["run"]
