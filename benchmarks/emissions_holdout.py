"""Hold-out check of the emissions gap-filling (METHODS §2.5) on real CEADs county series.

Reads the CEADs county CO2 inventory 1997–2017 (Mt CO2, one sheet, one row
per county; default: the copy in the ``shared`` folder beside the project,
``--ceads PATH`` for another), keeps every county of the provinces given
(default Hubei, Hunan and Jiangxi) and, for each hold-out length k = 1, 2, 3,
hides the last k years (2017; 2016–2017; 2015–2017) of every county and
forecasts them from the years before only
(``ecozone.carbon.emissions.holdout_check``: every candidate and the
selection's own rolling-origin hold-out see only the training years). It
prints, per hold-out length and per forecast horizon, the MAPE (mean
absolute percentage error) and the 95 % interval coverage of ARIMA, drift,
naive and the selection, then the rule check of issue 8: over all forecasts
of a hold-out length, the selection is never worse than the best single
method by more than 0.5 MAPE points, and beats naive.

    .venv/bin/python benchmarks/emissions_holdout.py                    # Hubei, Hunan, Jiangxi (~30 s)
    .venv/bin/python benchmarks/emissions_holdout.py --provinces 江西省 --csv /tmp/holdout.csv
    .venv/bin/python benchmarks/emissions_holdout.py --ceads /path/to/ceads.xlsx --holdouts 1 2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

DEFAULT_CEADS = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata" / "emissions"
    / "ceads_county_co2_1997_2017.xlsx"
)
METHODS = ("arima", "drift", "naive", "select")


def read_ceads(path: Path, provinces: list[str]) -> pd.DataFrame:
    """Long table ``unit_id, year, value`` (Mt CO2) of the counties of ``provinces``."""
    x = pd.read_excel(path, dtype={"DISTCODE地区代码": str})
    x = x[x["Province Name"].isin(provinces)]
    cols = [c for c in x.columns if str(c).startswith("C") and str(c)[1:].isdigit()]
    long = x.melt(id_vars="DISTCODE地区代码", value_vars=cols, var_name="year", value_name="value")
    long["year"] = long["year"].str[1:].astype(int)
    return long.rename(columns={"DISTCODE地区代码": "unit_id"}).dropna(subset=["value"])


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--ceads", type=Path, default=DEFAULT_CEADS,
                    help="CEADs county inventory xlsx (default: shared/realdata/emissions/…)")
    ap.add_argument("--provinces", nargs="+", default=["湖北省", "湖南省", "江西省"],
                    help="provinces (Chinese names as in the file)")
    ap.add_argument("--holdouts", nargs="+", type=int, default=[1, 2, 3],
                    help="numbers of last years hidden (default 1 2 3)")
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
    p = EmissionsParams()
    print(
        f"CEADs counties of {', '.join(a.provinces)}: {series['unit_id'].nunique()} series, "
        f"{series['year'].min()}-{series['year'].max()} (Mt CO2)"
    )
    print(
        f"defaults: candidates {p.candidates}; d by {p.unit_root_test.upper()} (alpha "
        f"{p.unit_root_alpha}), p, q <= {p.max_p}, {p.max_q} by AIC; hold-out {p.holdout_origins} "
        f"origins x {p.holdout_horizon} year(s) ahead, {p.holdout_error.upper()}; "
        f"{p.interval:.0%} intervals"
    )
    checks, frames = [], []
    for k in a.holdouts:
        t0 = time.perf_counter()
        res = holdout_check(series, n_holdout=k, params=p)
        took = time.perf_counter() - t0
        res["holdout"] = k
        frames.append(res)
        s = res.attrs["summary"]
        mape = s.pivot(index="horizon", columns="method", values="mape")[list(METHODS)]
        cov = s.pivot(index="horizon", columns="method", values="coverage")[list(METHODS)]
        last = int(series["year"].max())
        print(
            f"\nlast {k} year(s) hidden ({last - k + 1}-{last}): {res['unit_id'].nunique()} counties, "
            f"{took:.1f} s"
        )
        print("  horizon   " + "".join(f"{m:>8s}" for m in METHODS) + "   |  coverage " +
              "".join(f"{m:>8s}" for m in METHODS))
        for h in mape.index:
            lab = "all" if h == 0 else str(h)
            print(f"  {lab:>7s}   " + "".join(f"{v:8.2f}" for v in mape.loc[h]) + "   |           " +
                  "".join(f"{100 * v:7.1f}%" for v in cov.loc[h]))
        chosen = res[(res["method"] == "select") & (res["horizon"] == 1)]["model"]
        kinds = chosen.str.replace(r"ARIMA.*", "ARIMA", regex=True).value_counts()
        print("  selection chose: " + ", ".join(f"{n} {c}" for n, c in kinds.items()))
        allh = mape.loc[0]
        best_m = allh[["arima", "drift", "naive"]].idxmin()
        gap = allh["select"] - allh[best_m]
        checks.append((k, allh["select"], best_m, allh[best_m], gap, allh["naive"]))

    print("\nrule check (all horizons of a hold-out length; MAPE %):")
    ok_all = True
    for k, sel, best_m, best, gap, naive in checks:
        ok1, ok2 = gap <= 0.5, sel < naive
        ok_all &= ok1 and ok2
        print(
            f"  last {k}: selection {sel:.2f} vs best single ({best_m}) {best:.2f}: "
            f"{gap:+.2f} points {'ok' if ok1 else 'FAILS (> 0.5)'}; vs naive {naive:.2f}: "
            f"{'beats it' if ok2 else 'DOES NOT beat it'}"
        )
    print("  goal met" if ok_all else "  goal NOT met for every hold-out length")
    if a.csv:
        pd.concat(frames, ignore_index=True).to_csv(a.csv, index=False)
        print(f"\nevery forecast written to {a.csv}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
