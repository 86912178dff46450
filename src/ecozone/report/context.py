"""What every section builder gets: labels, the stored results, shapes, the page, the figure writer."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecozone.labels import Labels
from ecozone.report.data import DisplayGeometry, ReportData
from ecozone.report.figures import StaticFigures, unit_paths
from ecozone.report.page import Page, table_html

esc_chars = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


@dataclass
class Context:
    L: Labels
    data: ReportData
    geo: DisplayGeometry
    page: Page
    static: StaticFigures | None
    notes: list[str] = field(default_factory=list)
    _paths: dict = field(default_factory=dict)

    @property
    def params(self) -> dict:
        return self.data.manifest.get("parameters") or {}

    def param(self, *keys, default=None):
        d = self.params
        for k in keys:
            if not isinstance(d, dict) or k not in d:
                return default
            d = d[k]
        return d

    def paths(self, level: str) -> list:
        """matplotlib paths of a level's display shapes (computed once)."""
        if level not in self._paths:
            self._paths[level] = unit_paths(self.geo.levels[level].projected)
        return self._paths[level]

    def ids(self, level: str) -> list[str]:
        return self.geo.levels[level].ids

    def aligned(self, df: pd.DataFrame, level: str, year, col: str) -> pd.Series:
        """Values of ``col`` for ``level`` and ``year`` in the order of the level's shapes."""
        sub = df[(df["level"] == level)]
        if year is not None and "year" in sub.columns:
            sub = sub[sub["year"] == year]
        return sub.drop_duplicates("unit_id").set_index("unit_id")[col].reindex(self.ids(level))

    def outline_level(self, exclude: str | None = None) -> str | None:
        """The level whose boundaries are drawn over rasters and fine maps: the fewest units
        that still cover (nearly) the whole study area."""
        u = self.data.units
        finest = self.data.levels[0] if self.data.levels else None
        if finest is None:
            return None
        total = float(u.loc[u["level"] == finest, "area_km2"].sum())
        best = None
        for lv in self.data.levels[1:]:
            if lv == exclude or lv not in self.geo.levels:
                continue
            sub = u[u["level"] == lv]
            if len(sub) < 2 or float(sub["area_km2"].sum()) < 0.95 * total:
                continue
            if best is None or len(sub) < best[1]:
                best = (lv, len(sub))
        return best[0] if best else None

    def kv_table(self, rows: list[tuple[str, object]]) -> str:
        df = pd.DataFrame(rows, columns=["k", "v"])
        return table_html(df, headers=[self.L("ui.parameters"), self.L("ui.value")], cls="kv")

    def years_of(self, df: pd.DataFrame, col: str | None = None) -> list[int]:
        d = df if col is None else df[df[col].notna()]
        return sorted(int(y) for y in pd.unique(d["year"].dropna())) if "year" in d.columns else []


def flatten(d: dict, prefix: str = "") -> list[tuple[str, object]]:
    """``[("a.b.c", value), …]`` of a nested dict (lists and dicts of scalars shown as text)."""
    out = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v and all(not isinstance(x, dict) for x in v.values()) and len(v) > 12:
            out.append((key, ", ".join(f"{a}={b}" for a, b in v.items())))
        elif isinstance(v, dict) and v:
            out.extend(flatten(v, key + "."))
        elif isinstance(v, dict):
            out.append((key, "{}"))
        elif isinstance(v, (list, tuple)):
            out.append((key, ", ".join(map(str, v)) if v else "[]"))
        else:
            out.append((key, "" if v is None else v))
    return out


def color_array(L: Labels, category: str, codes, missing: str = "#f0f0f0") -> list[str]:
    return [L.color(f"{category}.{c}") if isinstance(c, str) and c else missing for c in codes]


def sig(v: float, digits: int = 3) -> str:
    if v is None or not np.isfinite(v):
        return ""
    return f"{v:.{digits}g}"
