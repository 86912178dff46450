"""The drivers section (METHODS §7; seed 002 §3): the geographical detector's results.

Column contract of the tables read (written by :mod:`ecozone.drivers.run`):

``drivers``
    ``level, year, target, factor, q, p, n_strata, method`` — q and p dimensionless.
``drivers_interaction`` (optional)
    ``level, year, target, factor_a, factor_b, q, type`` — ``type`` one of
    ``weaken_nonlinear, weaken_uni, enhance_bi, independent, enhance_nonlinear``.
``drivers_risk`` (optional)
    ``level, year, target, factor, stratum_a, stratum_b, mean_a, mean_b, t, df,
    significant`` — means in the target's unit (t C shown as Mt C).
``drivers_ecological`` (optional)
    ``level, year, target, factor_a, factor_b, f, p, significant``.

Figures: q of every factor per target and year (bars coloured by p < 0.05),
the interaction matrix (q of every pair, its type marked), and the risk
detector's stratum means of the strongest factor (largest q) with the pairs
whose means differ significantly. Static PNGs of the latest year.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ecozone.report.context import Context, flatten, sig
from ecozone.report.page import Figure, Section, table_html

esc = html.escape

ITYPES = ["enhance_nonlinear", "enhance_bi", "independent", "weaken_uni", "weaken_nonlinear"]
#: short marks of the interaction types in the matrix cells
ITYPE_MARK = {"enhance_nonlinear": "↑↑", "enhance_bi": "↑", "independent": "=", "weaken_uni": "↓",
              "weaken_nonlinear": "↓↓"}
SIG_COLOUR, NOSIG_COLOUR = "#2c7fb8", "#bdd7e7"
MT = 1e-6  # t C -> Mt C
TARGET_TABLES = ("carbon",)


def drivers_section(ctx: Context) -> Section | None:
    """The section of the geographical detector, or None when the results hold no ``drivers`` table."""
    d = ctx.data.table("drivers")
    if d is None:
        return None
    L = ctx.L
    sec = Section("drivers", L("sec.drivers"), method=_method(ctx, d))
    rows = flatten(ctx.param("drivers", default={}) or {})
    if rows:
        sec.params_html = f'<details><summary>{esc(L("ui.parameters"))}</summary>{ctx.kv_table(rows)}</details>'
    d = d.copy()
    d["year"] = d["year"].astype(int)
    figs = [_q_bars(ctx, d), _interactions(ctx, d), _risk(ctx, d)]
    sec.figures = [f for f in figs if f is not None]
    return sec


# -- labels -------------------------------------------------------------------------------

def _method(ctx: Context, d: pd.DataFrame) -> str:
    p = ctx.param("drivers", default={}) or {}
    disc = p.get("discretisation", "optimal")
    classes = p.get("classes") or list(range(3, 9))
    if disc == "optimal":
        how = ctx.L("ui.drivers_optimal", methods=", ".join(p.get("methods") or []),
                    classes=f"{min(classes)}–{max(classes)}")
    else:
        how = f"{disc} ({p.get('n_classes', 5)})"
    levels = ", ".join(ctx.L.level(lv) for lv in _levels(ctx, d))
    return ctx.L("method.drivers", discretisation=how, level=levels)


def _levels(ctx: Context, d: pd.DataFrame) -> list[str]:
    have = set(d["level"])
    return [lv for lv in ctx.data.levels if lv in have] + sorted(have - set(ctx.data.levels))


def factor_label(L, name: str) -> str:
    """Label of a factor (``factor.<name>``; a user factor keeps its column name)."""
    return L(f"factor.{name}") if L.has(f"factor.{name}") else str(name)


def factor_unit(L, name: str) -> str:
    return L.unit(f"factor.{name}") if L.has(f"factor.{name}") else ""


def _target(L, name: str) -> tuple[str, str, float]:
    """(label, unit, scale) of a target: carbon masses in Mt C, as in the carbon section."""
    for table in TARGET_TABLES:
        lab = L.column(name, table)
        if lab != name:
            unit = L.column_unit(name, table)
            if unit == "t C":
                return lab, "Mt C", MT
            return lab, unit, 1.0
    return str(name), "", 1.0


def _controls(ctx: Context, d: pd.DataFrame) -> tuple[list[dict], list[str], list[tuple]]:
    """Selectors (level, target, year) and every (level, target, year) present, latest year first shown."""
    L = ctx.L
    levels = _levels(ctx, d)
    targets = list(dict.fromkeys(d["target"]))
    years = sorted(set(d["year"]))
    ctl, keys = [], []
    if len(levels) > 1:
        ctl.append(ctx.page.controls("level", L("ui.level"), [(lv, L.level(lv)) for lv in levels], levels[0]))
        keys.append("level")
    ctl.append(ctx.page.controls("target", L("ui.drivers_target"), [(t, _target(L, t)[0]) for t in targets],
                                 targets[0]))
    keys.append("target")
    ctl.append(ctx.page.controls("year", L("ui.year"), [(y, y) for y in years], years[-1]))
    keys.append("year")
    combos = [(lv, t, y) for lv in levels for t in targets for y in years]
    return ctl, keys, combos


def _variant_key(keys: list[str], lv: str, t: str, y: int) -> str:
    parts = {"level": lv, "target": t, "year": str(y)}
    return "|".join(parts[k] for k in keys)


# -- q per factor ---------------------------------------------------------------------------

def _q_bars(ctx: Context, d: pd.DataFrame) -> Figure | None:
    L = ctx.L
    ctl, keys, combos = _controls(ctx, d)
    variants = {}
    for lv, t, y in combos:
        sub = d[(d["level"] == lv) & (d["target"] == t) & (d["year"] == y)].sort_values("q")
        if not len(sub):
            continue
        labels = [factor_label(L, f) for f in sub["factor"]]
        sigs = sub["p"] < 0.05
        colours = [SIG_COLOUR if s else NOSIG_COLOUR for s in sigs]
        text = [f"{q:.2f}{'*' if s else ''}" for q, s in zip(sub["q"], sigs, strict=True)]
        custom = np.column_stack([sub["p"].map(lambda v: sig(v, 3)), sub["n_strata"].astype(int),
                                  sub["method"].astype(str)])
        fig = go.Figure(go.Bar(
            x=sub["q"].round(4).tolist(), y=labels, orientation="h", marker_color=colours, text=text, textposition="outside",
            customdata=custom, showlegend=False,
            hovertemplate=f"%{{y}}<br>q = %{{x:.3f}} · p = %{{customdata[0]}}<br>{esc(L.column('n_strata', 'drivers'))}: "
                          "%{customdata[1]} (%{customdata[2]})<extra></extra>",
        ))
        for colour, name in ((SIG_COLOUR, L("ui.drivers_significant")), (NOSIG_COLOUR, L("ui.drivers_not_significant"))):
            fig.add_bar(x=[None], y=[None], marker_color=colour, name=name, orientation="h")
        fig.update_layout(height=max(260, 28 * len(sub) + 120), margin=dict(l=170, r=40, t=30, b=50),
                          xaxis=dict(title=L("col.drivers.q"), range=[0, 1.08]), barmode="overlay",
                          legend=dict(orientation="h", y=1.08, x=0))
        variants[_variant_key(keys, lv, t, y)] = fig
    if not variants:
        return None
    fig = ctx.page.plotly_figure("drivers_q", L("fig.drivers_q"), variants, ctl, keys, height=460,
                                 note=L("ui.drivers_p_note"))
    if ctx.static is not None:
        lv = _levels(ctx, d)[0]
        y = max(d.loc[d["level"] == lv, "year"])
        sub = d[(d["level"] == lv) & (d["year"] == y)]
        panels = [(_target(L, t)[0], g.sort_values("q")) for t, g in sub.groupby("target", sort=False)]
        ctx.static.draw(_draw_q_bars, ctx.static, f"drivers_q_{y}", panels, L,
                        f"{L('fig.drivers_q')} ({L.level(lv)}, {y})")
    return fig


def _draw_q_bars(static, name: str, panels: list[tuple[str, pd.DataFrame]], L, suptitle: str):
    n = len(panels)
    ncols = min(n, 2)
    nrows = int(np.ceil(n / ncols))
    height = max(len(g) for _t, g in panels) * 0.22 + 1.0
    fig = static._new(3.6 * ncols, height * nrows + 0.7)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, (title, g) in zip(axes.ravel(), panels, strict=False):
        sigs = (g["p"] < 0.05).to_numpy()
        ypos = np.arange(len(g))
        ax.barh(ypos, g["q"], color=[SIG_COLOUR if s else NOSIG_COLOUR for s in sigs], height=0.7)
        for yi, q, s in zip(ypos, g["q"], sigs, strict=True):
            ax.text(q + 0.01, yi, f"{q:.2f}{'*' if s else ''}", va="center", fontsize=6)
        ax.set_yticks(ypos, [factor_label(L, f) for f in g["factor"]], fontsize=6.5)
        ax.set_xlim(0, 1.1)
        ax.set_xlabel(L("col.drivers.q"))
        ax.set_title(title)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in axes.ravel()[n:]:
        ax.set_axis_off()
    from matplotlib.patches import Patch

    fig.legend(handles=[Patch(color=SIG_COLOUR, label=L("ui.drivers_significant")),
                        Patch(color=NOSIG_COLOUR, label=L("ui.drivers_not_significant"))],
               loc="outside lower center", ncol=2, frameon=False)
    static._title(fig, suptitle)
    return static._save(fig, name)


# -- interactions ---------------------------------------------------------------------------

def _matrix(d: pd.DataFrame, inter: pd.DataFrame) -> tuple[list[str], np.ndarray, list[list[str]]]:
    """Factors ordered by q, the q matrix (diagonal: the factor alone) and the type of every pair."""
    factors = d.sort_values("q", ascending=False)["factor"].tolist()
    pos = {f: i for i, f in enumerate(factors)}
    n = len(factors)
    m = np.full((n, n), np.nan)
    types = [["" for _ in range(n)] for _ in range(n)]
    for f, q in zip(d["factor"], d["q"], strict=True):
        m[pos[f], pos[f]] = q
    for r in inter.itertuples(index=False):
        if r.factor_a in pos and r.factor_b in pos:
            i, j = sorted((pos[r.factor_a], pos[r.factor_b]), reverse=True)
            m[i, j] = r.q
            types[i][j] = r.type
    return factors, m, types


def _interactions(ctx: Context, d: pd.DataFrame) -> Figure | None:
    inter = ctx.data.table("drivers_interaction")
    if inter is None:
        return None
    L = ctx.L
    inter = inter.copy()
    inter["year"] = inter["year"].astype(int)
    ctl, keys, combos = _controls(ctx, d)
    variants = {}
    for lv, t, y in combos:
        sel_d = d[(d["level"] == lv) & (d["target"] == t) & (d["year"] == y)]
        sel_i = inter[(inter["level"] == lv) & (inter["target"] == t) & (inter["year"] == y)]
        if len(sel_d) < 2 or not len(sel_i):
            continue
        factors, m, types = _matrix(sel_d, sel_i)
        labels = [factor_label(L, f) for f in factors]
        text = [[("" if not np.isfinite(m[i, j]) else f"{m[i, j]:.2f}{ITYPE_MARK.get(types[i][j], '')}")
                 for j in range(len(factors))] for i in range(len(factors))]
        hover = [[("" if not np.isfinite(m[i, j]) else
                   (f"{labels[i]}: q = {m[i, j]:.3f}" if i == j else
                    f"{labels[i]} ∩ {labels[j]}: q = {m[i, j]:.3f}<br>{L.code('interaction', types[i][j])}"))
                  for j in range(len(factors))] for i in range(len(factors))]
        fig = go.Figure(go.Heatmap(
            z=np.where(np.isfinite(m), np.round(m, 4), None).tolist(), x=labels, y=labels, text=text,
            texttemplate="%{text}", textfont=dict(size=10), customdata=hover, hovertemplate="%{customdata}<extra></extra>",
            colorscale="YlGnBu", zmin=0, zmax=1, colorbar=dict(title=dict(text="q", side="top"), thickness=14),
        ))
        size = max(360, 42 * len(factors) + 200)
        fig.update_layout(height=size, margin=dict(l=170, r=20, t=30, b=150),
                          yaxis=dict(autorange="reversed"), xaxis=dict(tickangle=-40))
        variants[_variant_key(keys, lv, t, y)] = fig
    if not variants:
        return None
    legend = " · ".join(f"{ITYPE_MARK[k]} {L.code('interaction', k)}" for k in ITYPES)
    fig = ctx.page.plotly_figure("drivers_interaction", L("fig.drivers_interaction"), variants, ctl, keys,
                                 height=560, note=f"{L('ui.drivers_interaction_note')} {legend}")
    if ctx.static is not None:
        lv = _levels(ctx, d)[0]
        y = max(d.loc[d["level"] == lv, "year"])
        t = d["target"].iloc[0]
        sel_d = d[(d["level"] == lv) & (d["target"] == t) & (d["year"] == y)]
        sel_i = inter[(inter["level"] == lv) & (inter["target"] == t) & (inter["year"] == y)]
        if len(sel_d) >= 2 and len(sel_i):
            factors, m, types = _matrix(sel_d, sel_i)
            ctx.static.draw(_draw_matrix, ctx.static, f"drivers_interaction_{t}_{y}", m, types,
                            [factor_label(L, f) for f in factors], legend,
                            f"{L('fig.drivers_interaction')}: {_target(L, t)[0]} ({L.level(lv)}, {y})")
    return fig


def _draw_matrix(static, name: str, m: np.ndarray, types, labels: list[str], legend: str, suptitle: str):
    n = len(labels)
    fig = static._new(max(4.5, 0.42 * n + 2.4), max(4.0, 0.38 * n + 2.2))
    ax = fig.add_subplot(111)
    im = ax.imshow(np.ma.masked_invalid(m), cmap="YlGnBu", vmin=0, vmax=1)
    for i in range(n):
        for j in range(n):
            if np.isfinite(m[i, j]):
                ax.text(j, i, f"{m[i, j]:.2f}\n{ITYPE_MARK.get(types[i][j], '')}" if i != j else f"{m[i, j]:.2f}",
                        ha="center", va="center", fontsize=5, color="white" if m[i, j] > 0.6 else "#111111")
    ax.set_xticks(range(n), labels, rotation=40, ha="right", fontsize=6)
    ax.set_yticks(range(n), labels, fontsize=6)
    fig.colorbar(im, ax=ax, shrink=0.7, label="q")
    ax.set_xlabel(legend, fontsize=6)  # the marks of the interaction types
    static._title(fig, suptitle)
    return static._save(fig, name)


# -- risk detector of the strongest factor ---------------------------------------------------------

def _interval_key(label: str):
    """Sort key of a stratum label: intervals by their lower bound, other labels as text after them."""
    m = re.match(r"^[\[(]\s*([-+0-9.eEinf]+)\s*,", str(label))
    if m:
        try:
            return (0, float(m.group(1)), "")
        except ValueError:
            pass
    return (1, 0.0, str(label))


def _stratum_means(risk: pd.DataFrame) -> pd.Series:
    """Mean of the target in every stratum that has one (strata with ≥ 2 units), in stratum order."""
    a = risk[["stratum_a", "mean_a"]].set_axis(["stratum", "mean"], axis=1)
    b = risk[["stratum_b", "mean_b"]].set_axis(["stratum", "mean"], axis=1)
    s = pd.concat([a, b]).drop_duplicates("stratum").set_index("stratum")["mean"]
    return s.loc[sorted(s.index, key=_interval_key)]


def _risk(ctx: Context, d: pd.DataFrame) -> Figure | None:
    risk = ctx.data.table("drivers_risk")
    if risk is None:
        return None
    L = ctx.L
    risk = risk.copy()
    risk["year"] = risk["year"].astype(int)
    ctl, keys, combos = _controls(ctx, d)
    variants, bodies = {}, {}
    for lv, t, y in combos:
        sel = d[(d["level"] == lv) & (d["target"] == t) & (d["year"] == y)]
        if not len(sel):
            continue
        for _, top in sel.sort_values("q", ascending=False).iterrows():
            r = risk[(risk["level"] == lv) & (risk["target"] == t) & (risk["year"] == y) & (risk["factor"] == top["factor"])]
            if len(r):
                break
        else:
            continue
        label, unit, scale = _target(L, t)
        means = _stratum_means(r) * scale
        fl = factor_label(L, top["factor"])
        fu = factor_unit(L, top["factor"])
        fig = go.Figure(go.Bar(x=[str(s) for s in means.index], y=means.round(6), marker_color="#5e4fa2",
                               hovertemplate=f"{esc(fl)} %{{x}}<br>{esc(label)}: %{{y:.4g}} {esc(unit)}<extra></extra>"))
        fig.update_layout(height=420, margin=dict(l=80, r=20, t=40, b=90),
                          title=dict(text=esc(L("ui.drivers_strongest", factor=fl, q=f"{top['q']:.2f}")), font=dict(size=13)),
                          xaxis=dict(title=f"{fl}" + (f" ({fu})" if fu else "")),
                          yaxis=dict(title=f"{label}" + (f" ({unit})" if unit else ""), zeroline=True))
        key = _variant_key(keys, lv, t, y)
        variants[key] = fig
        bodies[key] = r
    if not variants:
        return None
    levels, targets, years = _levels(ctx, d), list(dict.fromkeys(d["target"])), sorted(set(d["year"]))
    shown = bodies.get(_variant_key(keys, levels[0], targets[0], years[-1])) if levels else None
    first = shown if shown is not None else next(iter(bodies.values()))
    sig_pairs = first[first["significant"].astype(bool)]
    body = ""
    if len(sig_pairs):
        tab = sig_pairs[["stratum_a", "stratum_b", "t", "df"]].copy()
        tab["t"] = tab["t"].map(lambda v: f"{v:.2f}")
        r0 = first.iloc[0]
        what = f"{_target(L, r0['target'])[0]} · {factor_label(L, r0['factor'])} · {L.level(r0['level'])} {r0['year']}"
        body = (f'<details><summary>{esc(L("ui.drivers_risk_table"))} ({esc(what)})</summary>'
                + table_html(tab, [L.column(c, "drivers_risk") for c in tab.columns], numeric={"t", "df"})
                + "</details>")
    fig = ctx.page.plotly_figure("drivers_risk", L("fig.drivers_risk"), variants, ctl, keys, height=420, body=body,
                                 note=L("ui.drivers_risk_note"))
    if ctx.static is not None:
        lv = _levels(ctx, d)[0]
        y = max(d.loc[d["level"] == lv, "year"])
        panels = []
        for t in dict.fromkeys(d["target"]):
            key = _variant_key(keys, lv, t, y)
            if key in bodies:
                sel = d[(d["level"] == lv) & (d["target"] == t) & (d["year"] == y)]
                fac = bodies[key]["factor"].iloc[0]
                q = float(sel.loc[sel["factor"] == fac, "q"].iloc[0])
                label, unit, scale = _target(L, t)
                panels.append((f"{label}: {factor_label(L, fac)} (q = {q:.2f})", _stratum_means(bodies[key]) * scale,
                               f"{label}" + (f" ({unit})" if unit else "")))
        if panels:
            ctx.static.draw(_draw_means, ctx.static, f"drivers_risk_{y}", panels,
                            f"{L('fig.drivers_risk')} ({L.level(lv)}, {y})")
    return fig


def _draw_means(static, name: str, panels: list[tuple[str, pd.Series, str]], suptitle: str):
    n = len(panels)
    ncols = min(n, 2)
    nrows = int(np.ceil(n / ncols))
    fig = static._new(3.6 * ncols, 2.8 * nrows + 0.6)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, (title, means, ylabel) in zip(axes.ravel(), panels, strict=False):
        x = np.arange(len(means))
        ax.bar(x, means.to_numpy(dtype=float), color="#5e4fa2", width=0.7)
        ax.axhline(0, color="#444444", lw=0.6)
        ax.set_xticks(x, [str(s) for s in means.index], rotation=35, ha="right", fontsize=5.5)
        ax.set_ylabel(ylabel, fontsize=6.5)
        ax.set_title(title, fontsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in axes.ravel()[n:]:
        ax.set_axis_off()
    static._title(fig, suptitle)
    return static._save(fig, name)


__all__ = ["drivers_section", "factor_label"]
