"""The provenance section: version, run time, parameters, input checksums, notes, timings."""

from __future__ import annotations

import html

import pandas as pd

from ecozone.report.context import Context, flatten
from ecozone.report.page import Section, table_html

esc = html.escape


def provenance_section(ctx: Context, report_seconds: dict[str, float] | None = None) -> Section:
    L = ctx.L
    m = ctx.data.manifest
    u = ctx.data.units
    counts = u.groupby("level").size()
    levels = ", ".join(f"{L.level(lv)} ({int(counts.get(lv, 0))})" for lv in ctx.data.levels)
    skipped = m.get("skipped") or {}
    rows = [
        (L("ui.study"), m.get("study", "")),
        (L("ui.data"), L("ui.synthetic") if m.get("synthetic") else L("ui.user_data")),
        (L("ui.version"), m.get("ecozone_version", "")),
        (L("ui.created"), m.get("created", "")),
        (L("ui.python"), m.get("python", "")),
        (L("ui.years"), ", ".join(map(str, m.get("years") or []))),
        (L("ui.levels"), levels),
        (L("ui.analyses"), ", ".join(m.get("analyses") or [])),
    ]
    if skipped:
        rows.append((L("ui.skipped"), "; ".join(f"{k}: {L('ui.lacks')} {', '.join(v)}" for k, v in skipped.items())))
    body = [table_html(pd.DataFrame(rows, columns=["k", "v"]), headers=["", ""], cls="kv")]
    params = flatten(m.get("parameters") or {})
    if params:
        body.append(f'<details><summary>{esc(L("ui.parameters"))} ({len(params)})</summary>'
                    + table_html(pd.DataFrame(params, columns=["k", "v"]), headers=[L("ui.parameters"), L("ui.value")],
                                 cls="kv") + "</details>")
    inputs = m.get("inputs") or {}
    if inputs:
        df = pd.DataFrame(sorted(inputs.items()), columns=["file", "sha256"])
        body.append(f'<details><summary>{esc(L("ui.inputs"))} ({len(df)})</summary>'
                    + table_html(df, headers=["file", "SHA-256"]) + "</details>")
    notes = m.get("notes") or []
    if notes:
        body.append(f'<details open><summary>{esc(L("ui.notes"))} ({len(notes)})</summary><ul>'
                    + "".join(f"<li>{esc(str(n))}</li>" for n in notes) + "</ul></details>")
    timings = dict(m.get("timings_s") or {})
    for k, v in (report_seconds or {}).items():
        timings[f"report: {k}"] = round(v, 2)
    if timings:
        df = pd.DataFrame([(k, f"{float(v):.2f}") for k, v in timings.items()], columns=["step", "s"])
        body.append(f'<details><summary>{esc(L("ui.timings"))}</summary>'
                    + table_html(df, headers=["", L("ui.seconds")], numeric={"s"}) + "</details>")
    outputs = m.get("outputs") or []
    if outputs:
        body.append(f'<details><summary>{esc(L("ui.outputs"))} ({len(outputs)})</summary><ul>'
                    + "".join(f"<li>{esc(str(o))}</li>" for o in outputs) + "</ul></details>")
    if ctx.static is not None and ctx.static.written:
        items = "".join(f'<li><a href="figures/{esc(p.name)}">figures/{esc(p.name)}</a></li>' for p in ctx.static.written)
        body.append(f'<details><summary>{esc(L("ui.figures_note"))}</summary><ul>{items}</ul></details>')
    return Section("provenance", L("sec.provenance"), method=L("method.provenance"), body="".join(body))
