"""Time `ecozone demo` against its goal: run and write the report in at most 60 s.

First builds the demo study in its cache folder (``build_demo_study``, the
step `ecozone demo` starts with; a cached study takes ~0 s) and reports that
time separately. Then runs the command itself, ``python -m ecozone demo
--out OUT``, in a fresh process, ``--repeat`` times, and prints for each run:

- the step timings of the run, from the manifest's ``timings_s`` (reading
  inputs, capacity, carbon steps …; "rest of the run" is the manifest's
  total minus its steps: the study file, planning and writing the results up
  to the manifest);
- the report: the time between the manifest and ``report.html`` being
  written (the report is built after the manifest; both files are written
  into the output folder and moved together, keeping their times);
- start-up and the end: the process's wall time minus the above (interpreter
  start, imports, the cached-study check, moving the folder into place);
- the total wall time, the CPU time of the process (user + system, all
  threads) and the ratio of the wall time to the 60 s goal.

The machine's load average is printed before and after each run: timings on
a shared machine vary; compare CPU times or the best of several runs.

    .venv/bin/python benchmarks/demo.py                          # one run (~40-60 s)
    .venv/bin/python benchmarks/demo.py --repeat 3 --json /tmp/demo.json
    .venv/bin/python benchmarks/demo.py --cache /tmp/democache --out /tmp/demo-out
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_S = 60.0


def build_study(cache: Path | None) -> tuple[Path, float]:
    """Build (or find) the cached demo study; return its file and the seconds taken."""
    from ecozone.cli import demo_cache_dir
    from ecozone.demo import build_demo_study

    t0 = time.perf_counter()
    study = build_demo_study(demo_cache_dir(), progress=None)
    return study, time.perf_counter() - t0


def run_demo(out: Path, env: dict[str, str]) -> dict:
    """Run ``python -m ecozone demo --out OUT`` once; wall, CPU and the step split."""
    if out.exists():
        shutil.rmtree(out)
    load0 = os.getloadavg()[0]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "ecozone", "demo", "--out", str(out)],
        env=env, capture_output=True, text=True,
    )
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"`ecozone demo` failed (exit code {proc.returncode})")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    timings = dict(manifest["timings_s"])
    total = float(timings.pop("total"))
    report = (out / "report.html").stat().st_mtime - (out / "manifest.json").stat().st_mtime
    return {
        "steps": timings,
        "rest_of_run": total - sum(timings.values()),
        "run_total": total,
        "report": report,
        "startup_and_end": wall - total - report,
        "wall": wall,
        "cpu": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime),
        "load_before": load0,
        "load_after": os.getloadavg()[0],
    }


def show(i: int, r: dict) -> None:
    w = max(len(k) for k in [*r["steps"], "rest of the run (study file, plan, results to the manifest)"])
    print(f"\nrun {i}  (load average {r['load_before']:.1f} → {r['load_after']:.1f})")
    for k, v in r["steps"].items():
        print(f"  {k:<{w}}  {v:7.2f} s")
    print(f"  {'rest of the run (study file, plan, results to the manifest)':<{w}}  {r['rest_of_run']:7.2f} s")
    print(f"  {'= run (manifest total)':<{w}}  {r['run_total']:7.2f} s")
    print(f"  {'report (manifest → report.html)':<{w}}  {r['report']:7.2f} s")
    print(f"  {'start-up and end (interpreter, imports, moving the folder)':<{w}}  {r['startup_and_end']:7.2f} s")
    print(f"  {'= total wall':<{w}}  {r['wall']:7.2f} s   {r['wall'] / GOAL_S:.2f} × the {GOAL_S:.0f} s goal")
    print(f"  {'CPU (user + system, all threads)':<{w}}  {r['cpu']:7.2f} s   {r['cpu'] / GOAL_S:.2f} × the goal")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=None,
                    help="demo study cache folder (sets ECOZONE_CACHE; default: $ECOZONE_CACHE or the user cache)")
    ap.add_argument("--out", type=Path, default=None, help="output folder, kept (default: a temporary one, deleted)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of `ecozone demo` (default 1)")
    ap.add_argument("--json", type=Path, default=None, help="write the timings here")
    a = ap.parse_args()

    env = dict(os.environ)
    if a.cache is not None:
        os.environ["ECOZONE_CACHE"] = env["ECOZONE_CACHE"] = str(a.cache.resolve())
    study, build_s = build_study(a.cache)
    print(f"demo study: {study}")
    print(f"building the demo study (cached after the first time): {build_s:.2f} s (not in the runs below)")

    tmp = None
    if a.out is None:
        tmp = Path(tempfile.mkdtemp(prefix="ecozone-demo-bench-"))
        out = tmp / "out"
    else:
        out = a.out
    runs = []
    try:
        for i in range(1, a.repeat + 1):
            r = run_demo(out, env)
            runs.append(r)
            show(i, r)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    if len(runs) > 1:
        walls = [r["wall"] for r in runs]
        cpus = [r["cpu"] for r in runs]
        print(f"\nover {len(runs)} runs: wall best {min(walls):.2f} s, median {statistics.median(walls):.2f} s "
              f"({min(walls) / GOAL_S:.2f} × and {statistics.median(walls) / GOAL_S:.2f} × the goal); "
              f"CPU best {min(cpus):.2f} s, median {statistics.median(cpus):.2f} s")
    if a.json is not None:
        a.json.write_text(json.dumps({"build_s": build_s, "goal_s": GOAL_S, "runs": runs}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
