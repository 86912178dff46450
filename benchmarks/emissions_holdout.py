"""Hold-out check of the emissions gap-filling (METHODS §2.5) on real CEADs county series.

Reads the CEADs county CO2 inventory 1997–2017 (Mt CO2, one sheet, one row
per county; default: the copy in the ``shared`` folder beside the project,
``--ceads PATH`` for another) and keeps every county of the provinces given
(default Hubei, Hunan and Jiangxi; the province is the pooling group of the
pooled selection). For each period end E and hold-out length k it cuts the
series at E, hides the last k years (E−k+1 … E) of every county and
forecasts them from the years before only
(``ecozone.carbon.emissions.holdout_check``: every candidate and the
selection's own rolling-origin hold-out see only the training years).

Periods: **validation** ends 2011 and 2014 (hidden 2009–2011, 2010–2011,
2011 and 2012–2014, 2013–2014, 2014), the years the defaults were tuned
on; **test** end 2017 (hidden 2015–2017, 2016–2017, 2017), never used for
tuning. For each it prints the MAPE (mean absolute percentage error) per
forecast horizon and over all horizons and the 95 % interval coverage of
every candidate and of the selection, what the selection chose, and the
rule of issue 8: over all forecasts of a hold-out length the selection is
not worse than the best single method (naive, damped, drift, ARIMA) by
more than 0.5 MAPE points, and beats naive.

    .venv/bin/python benchmarks/emissions_holdout.py                  # validation + test (~1 min)
    .venv/bin/python benchmarks/emissions_holdout.py --ends 2017 --holdouts 3
    .venv/bin/python benchmarks/emissions_holdout.py --set selection=series --set holdout_horizon=1
    .venv/bin/python benchmarks/emissions_holdout.py --provinces 江西省 --csv /tmp/holdout.csv
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

DEFAULT_CEADS = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata" / "emissions"
    / "ceads_county_co2_1997_2017.xlsx"
)
SINGLES = ("naive", "damped", "drift", "arima")
ORIGINAL = ("naive", "drift", "arima")  # the single methods of issue 8
VALIDATION_ENDS = (2011, 2014)


def read_ceads(path: Path, provinces: list[str]) -> pd.DataFrame:
    """Long table ``unit_id, year, value, group`` (Mt CO2; group = province) of ``provinces``."""
    x = pd.read_excel(path, dtype={"DISTCODE地区代码": str})
    x = x[x["Province Name"].isin(provinces)]
    cols = [c for c in x.columns if str(c).startswith("C") and str(c)[1:].isdigit()]
    long = x.melt(id_vars=["DISTCODE地区代码", "Province Name"], value_vars=cols,
                  var_name="year", value_name="value")
    long["year"] = long["year"].str[1:].astype(int)
    long = long.rename(columns={"DISTCODE地区代码": "unit_id", "Province Name": "group"})
    return long.dropna(subset=["value"])


def _override(text: str):
    key, _, raw = text.partition("=")
    try:
        return key.strip(), json.loads(raw)
    except ValueError:
        return key.strip(), raw.strip()


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--ceads", type=Path, default=DEFAULT_CEADS,
                    help="CEADs county inventory xlsx (default: shared/realdata/emissions/…)")
    ap.add_argument("--provinces", nargs="+", default=["湖北省", "湖南省", "江西省"],
                    help="provinces (Chinese names as in the file)")
    ap.add_argument("--ends", nargs="+", type=int, default=[*VALIDATION_ENDS, 2017],
                    help="last year of the cut series (default 2011 2014: validation; 2017: test)")
    ap.add_argument("--holdouts", nargs="+", type=int, default=[1, 2, 3],
                    help="numbers of last years hidden (default 1 2 3)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override an EmissionsParams field (JSON value), e.g. selection=series")
    ap.add_argument("--no-groups", action="store_true",
                    help="pool all counties together instead of by province")
    ap.add_argument("--csv", type=Path, default=None, help="write every forecast here")
    a = ap.parse_args()

    if not a.ceads.is_file():
        print(
            f"CEADs county inventory not found: {a.ceads}\n"
            "Give its path with --ceads (the xlsx of Chen et al. 2020, Sci. Data 7, 391).",
            file=sys.stderr,
        )
        return 2

    from ecozone.carbon.emissions import holdout_check
    from ecozone.carbon.params import EmissionsParams

    series = read_ceads(a.ceads, a.provinces)
    if a.no_groups:
        series = series.drop(columns="group")
    p = EmissionsParams(**dict(_override(s) for s in a.set))
    print(
        f"CEADs counties of {', '.join(a.provinces)}: {series['unit_id'].nunique()} series, "
        f"{series['year'].min()}-{series['year'].max()} (Mt CO2)"
    )
    print(
        f"parameters: candidates {p.candidates} (damping {p.damping}); d by "
        f"{p.unit_root_test.upper()} (alpha {p.unit_root_alpha}), p, q <= {p.max_p}, {p.max_q} by "
        f"AIC; hold-out {p.holdout_origins} origins x {p.holdout_horizon} year(s) ahead, "
        f"{p.holdout_error.upper()}, ARIMA {p.arima_holdout}; selection {p.selection}"
        f"{' (all counties one pool)' if a.no_groups or p.selection == 'series' else ' by province'}"
        f", tie margin {p.tie_margin}; {p.interval:.0%} intervals"
    )
    summary, frames = [], []
    for end in a.ends:
        cut = series[series["year"] <= end]
        role = "test" if end > max(VALIDATION_ENDS) else "validation"
        for k in a.holdouts:
            t0 = time.process_time()
            res = holdout_check(cut, n_holdout=k, params=p)
            cpu = time.process_time() - t0
            res["end"], res["holdout"] = end, k
            frames.append(res)
            s = res.attrs["summary"]
            methods = ["select", *[m for m in p.candidates if m in set(s["method"])]]
            mape = s.pivot(index="method", columns="horizon", values="mape").loc[methods]
            cov = s.pivot(index="method", columns="horizon", values="coverage").loc[methods]
            print(
                f"\n[{role}] data to {end}, last {k} year(s) hidden ({end - k + 1}-{end}): "
                f"{res['unit_id'].nunique()} counties, {cpu:.1f} s CPU"
            )
            hs = [h for h in mape.columns if h != 0]
            print("  method        " + "".join(f"   h={h}" for h in hs) + "     all | coverage all")
            for m in methods:
                print(f"  {m:12s}  " + "".join(f"{mape.loc[m, h]:7.2f}" for h in hs) +
                      f" {mape.loc[m, 0]:7.2f} | {100 * cov.loc[m, 0]:6.1f} %")
            chosen = res[(res["method"] == "select") & (res["horizon"] == 1)]["model"]
            kinds = chosen.str.replace(r"ARIMA.*", "ARIMA", regex=True)
            kinds = kinds.str.replace(r"combination.*", "combination", regex=True).value_counts()
            print("  selection chose: " + ", ".join(f"{n} {c}" for c, n in kinds.items()))
            allh = mape[0]
            singles = [m for m in SINGLES if m in allh.index]
            best_m = allh[singles].idxmin()
            orig = [m for m in ORIGINAL if m in allh.index]
            summary.append({
                "role": role, "end": end, "k": k, **{m: allh[m] for m in methods},
                "cov_select": cov.loc["select", 0], "best": best_m, "gap": allh["select"] - allh[best_m],
                "gap_orig": allh["select"] - allh[orig].min(), "cpu": cpu,
            })

    print("\nrule check (all horizons of a hold-out length; MAPE %): selection <= best single "
          "(naive, damped, drift, ARIMA) + 0.5, and < naive")
    ok_test = True
    for r in summary:
        ok1, ok2 = r["gap"] <= 0.5, r["select"] < r["naive"]
        if r["role"] == "test":
            ok_test &= ok1 and ok2
        print(
            f"  [{r['role']:10s}] {r['end'] - r['k'] + 1}-{r['end']}: selection {r['select']:.2f} "
            f"(coverage {100 * r['cov_select']:.1f} %) vs best single ({r['best']}) "
            f"{r['select'] - r['gap']:.2f}: {r['gap']:+.2f} points {'ok' if ok1 else 'FAILS (> 0.5)'}"
            f" [vs naive/drift/ARIMA {r['gap_orig']:+.2f}]; vs naive {r['naive']:.2f}: "
            f"{'beats it' if ok2 else 'DOES NOT beat it'}"
        )
    if any(r["role"] == "test" for r in summary):
        print("  test: goal met" if ok_test else "  test: goal NOT met for every hold-out length")
    if a.csv:
        pd.concat(frames, ignore_index=True).to_csv(a.csv, index=False)
        print(f"\nevery forecast written to {a.csv}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
