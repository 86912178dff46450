"""Hold-out check of the ARIMA emissions gap-filling (METHODS §2.5) on the demo's counties.

Builds the demo study (``ecozone.demo.build_demo_study``; cached in the
folder given), reads its county emissions (``tables/emissions.csv``, t CO2,
converted to t C), draws a random sample of counties with a fixed seed among
those with a complete 2000–2020 series, holds out each sampled county's last
``--holdout`` observed years, fits the ARIMA order search (p, d, q ≤ 2, least
AIC) on the rest and forecasts the held-out years
(``ecozone.carbon.emissions.holdout_check``). Prints the MAPE (mean absolute
percentage error of the point forecasts), the coverage of the 95 % intervals
(share of held-out observations inside them) and their median width (% of the
forecast), per forecast horizon, beside the MAPE of a naive forecast (the
last training value carried forward), and the ARIMA orders chosen (a second
fit of every county; ``--no-orders`` skips it).

    .venv/bin/python benchmarks/emissions_holdout.py                       # 40 counties, 3 years
    .venv/bin/python benchmarks/emissions_holdout.py --n 80 --holdout 4 --seed 7
    .venv/bin/python benchmarks/emissions_holdout.py --demo /tmp/democache1/demo-study-0.1.0  # an existing demo build
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--demo", type=Path, default=Path("/tmp/ecozone-demo-holdout"),
                    help="folder of the demo study (built when missing)")
    ap.add_argument("--n", type=int, default=40, help="counties sampled (default 40)")
    ap.add_argument("--seed", type=int, default=2024, help="seed of the sample (default 2024)")
    ap.add_argument("--holdout", type=int, default=3, help="last years held out (default 3)")
    ap.add_argument("--csv", type=Path, default=None, help="write the per-year results here")
    ap.add_argument("--no-orders", action="store_true",
                    help="skip counting the ARIMA orders chosen (a second fit of every county: halves the time)")
    a = ap.parse_args()

    from ecozone.carbon.budget import emissions_to_tc
    from ecozone.carbon.emissions import holdout_check
    from ecozone.demo import build_demo_study

    study = build_demo_study(a.demo)
    em = pd.read_csv(study.parent / "tables" / "emissions.csv", dtype={"unit_id": str})
    em["value"] = emissions_to_tc(em["value"].astype(float), em["unit"])
    n_years = em.groupby("unit_id")["year"].nunique()
    complete = sorted(n_years[n_years == n_years.max()].index)
    rng = np.random.default_rng(a.seed)
    sample = sorted(rng.choice(complete, size=min(a.n, len(complete)), replace=False).tolist())
    series = em[em["unit_id"].isin(sample)][["unit_id", "year", "value"]]

    t0 = time.perf_counter()
    res = holdout_check(series, n_holdout=a.holdout)
    took = time.perf_counter() - t0
    last = series.groupby("unit_id")["year"].max()
    res["horizon"] = res["year"] - (res["unit_id"].map(last) - a.holdout)

    print(
        f"ARIMA hold-out check: {res['unit_id'].nunique()} of {len(complete)} demo counties with a "
        f"complete {em['year'].min()}-{em['year'].max()} series (seed {a.seed}); last {a.holdout} "
        f"years held out; {len(res)} forecasts; {took:.0f} s"
    )
    print(f"  MAPE                       {res.attrs['mape']:6.2f} %")
    print(f"  median |% error|           {res['pct_error'].abs().median():6.2f} %")
    print(f"  95 % interval coverage     {100 * res.attrs['coverage']:6.1f} %")
    # naive baseline: the last training year's value carried forward (a random walk without drift)
    last_train = series[series["year"] <= series["unit_id"].map(last) - a.holdout]
    naive = last_train.sort_values("year").groupby("unit_id")["value"].last()
    res["naive_pct_error"] = (res["unit_id"].map(naive) - res["observed"]) / res["observed"].abs() * 100
    res["width_pct"] = (res["upper"] - res["lower"]) / res["predicted"].abs() * 100
    print(f"  naive MAPE (last value)    {res['naive_pct_error'].abs().mean():6.2f} %")
    print("\n  horizon  MAPE %  coverage %  interval width %  naive MAPE %")
    for h, g in res.groupby("horizon"):
        print(
            f"  {h:7d}  {g['pct_error'].abs().mean():6.2f}  {100 * g['inside'].mean():10.1f}"
            f"  {g['width_pct'].median():16.1f}  {g['naive_pct_error'].abs().mean():12.2f}"
        )
    if a.csv:
        res.to_csv(a.csv, index=False)
        print(f"\n  per-year results written to {a.csv}")
    if a.no_orders:
        return
    # the chosen orders (refit on the training years) are not returned by holdout_check;
    # count them here for the record
    from ecozone.carbon.emissions import fit_arima

    orders = []
    for _, g in series.groupby("unit_id"):
        g = g.sort_values("year").iloc[: -a.holdout]
        f = fit_arima(g["year"], g["value"])
        orders.append(f.label if f is not None else "none")
    print("\n  orders chosen (training years):")
    for lab, c in pd.Series(orders).value_counts().items():
        print(f"    {lab:32s} {c:3d}")


if __name__ == "__main__":
    main()
