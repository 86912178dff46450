"""Static figures (PNG, 300 dpi) for papers and slides, drawn with matplotlib.

Object-oriented matplotlib only (``matplotlib.figure.Figure`` on the Agg
canvas): no pyplot, no global backend switch, nothing left open. Text uses
a CJK-capable font when one is installed (Noto Sans CJK, Source Han Sans,
WenQuanYi …; Debian: ``apt-get install fonts-noto-cjk``), with DejaVu Sans for
Latin text; unit names in Chinese need it in both languages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

CJK_FAMILIES = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "Droid Sans Fallback", "AR PL UMing CN", "SimHei", "Microsoft YaHei", "PingFang SC",
)
CJK_FILE_HINTS = ("notosanscjk", "sourcehansans", "wqy", "droidsansfallback", "uming", "ukai", "simhei", "msyh")

DPI = 300


@lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """The family name of an installed CJK font (registered with matplotlib), or None."""
    from matplotlib import font_manager as fm

    names = {f.name for f in fm.fontManager.ttflist}
    for fam in CJK_FAMILIES:
        if fam in names:
            return fam
    # fonts installed after matplotlib built its cache: register them
    try:
        files = fm.findSystemFonts()
    except Exception:  # noqa: BLE001 - no font folders
        files = []
    for f in files:
        if any(h in Path(f).name.lower().replace("-", "").replace("_", "") for h in CJK_FILE_HINTS):
            try:
                fm.fontManager.addfont(f)
            except Exception:  # noqa: BLE001 - unreadable font file
                continue
    names = {f.name for f in fm.fontManager.ttflist}
    for fam in CJK_FAMILIES:
        if fam in names:
            return fam
    return None


def font_rc(lang: str) -> dict:
    cjk = cjk_family()
    fams = ["DejaVu Sans"]
    if cjk:
        fams = [cjk, "DejaVu Sans"] if lang == "zh" else ["DejaVu Sans", cjk]
    return {
        "font.family": fams,  # a list of families: per-glyph fallback (matplotlib >= 3.6)
        "axes.unicode_minus": False,
        "font.size": 8,
        "axes.titlesize": 9,
        "legend.fontsize": 7,
        "figure.titlesize": 10,
    }


def unit_paths(geoms) -> list:
    """matplotlib Paths (with holes) of polygon geometries in map coordinates."""
    import shapely
    from matplotlib.path import Path as MPath

    out = []
    for g in geoms:
        verts, codes = [], []
        for p in shapely.get_parts(g) if g is not None else []:
            if p.geom_type != "Polygon" or p.is_empty:
                continue
            for ring in (p.exterior, *p.interiors):
                c = np.asarray(ring.coords)[:, :2]
                if len(c) < 4:
                    continue
                verts.append(c)
                k = np.full(len(c), MPath.LINETO, dtype=np.uint8)
                k[0], k[-1] = MPath.MOVETO, MPath.CLOSEPOLY
                codes.append(k)
        if verts:
            out.append(MPath(np.concatenate(verts), np.concatenate(codes)))
        else:
            out.append(MPath(np.zeros((1, 2)), [MPath.MOVETO]))
    return out


@dataclass
class MapPanel:
    """One map: paths of the level, a colour per unit, and a legend."""

    title: str
    paths: list
    facecolors: list
    legend: list[tuple[str, str]] | None = None  # categorical: (colour, label)
    cmap: object = None  # numeric: a ScalarMappable for the colour bar
    cbar_label: str = ""
    cbar_ticks: tuple[list, list] | None = None
    outline: list | None = None  # paths of an upper level drawn on top
    linewidth: float = 0.15


@dataclass
class StaticFigures:
    """Writes the report's PNGs into ``out_dir/figures``."""

    out_dir: Path
    lang: str
    synthetic: bool
    synthetic_text: str = ""
    extent: tuple[float, float, float, float] | None = None
    written: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    def __post_init__(self):
        self.dir = Path(self.out_dir) / "figures"
        self.dir.mkdir(parents=True, exist_ok=True)

    # -- plumbing ----------------------------------------------------------
    def _new(self, w: float, h: float):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(w, h), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        return fig

    def _title(self, fig, text: str) -> None:
        import textwrap

        width = max(40, int(fig.get_figwidth() * 13))
        fig.suptitle(textwrap.fill(text, width), fontweight="bold")

    def _save(self, fig, name: str) -> Path:
        if self.synthetic and self.synthetic_text:
            fig.supxlabel(self.synthetic_text, x=0.995, ha="right", fontsize=6.5, color="#9a6b00", style="italic")
        path = self.dir / f"{name}.png"
        fig.savefig(path, dpi=DPI, facecolor="white", pil_kwargs={"compress_level": 2})
        self.written.append(path)
        return path

    def draw(self, fn, *args, **kwargs) -> Path | None:
        """Run one drawing function inside the language's font settings; timing accumulated."""
        import matplotlib

        t = time.perf_counter()
        with matplotlib.rc_context(font_rc(self.lang)):
            out = fn(*args, **kwargs)
        self.seconds += time.perf_counter() - t
        return out

    # -- maps ----------------------------------------------------------------
    def _panel(self, size: tuple[float, float], legend_h: float) -> tuple[float, float]:
        """Panel width and height (inches) following the study area's aspect ratio."""
        w = size[0]
        if self.extent:
            x0, y0, x1, y1 = self.extent
            ratio = (y1 - y0) / max(x1 - x0, 1e-9)
            return w, min(max(w * ratio, 1.2), w * 1.6) + 0.35 + legend_h
        return w, size[1] + legend_h
    def _map_ax(self, ax, panel: MapPanel):
        from matplotlib.collections import PatchCollection
        from matplotlib.patches import PathPatch

        coll = PatchCollection([PathPatch(p) for p in panel.paths], facecolors=panel.facecolors,
                               edgecolors="white", linewidths=panel.linewidth)
        ax.add_collection(coll)
        if panel.outline:
            ax.add_collection(PatchCollection([PathPatch(p) for p in panel.outline], facecolors="none",
                                              edgecolors="#333333", linewidths=0.5))
        if self.extent:
            x0, y0, x1, y1 = self.extent
            dx, dy = (x1 - x0) * 0.02, (y1 - y0) * 0.02
            ax.set_xlim(x0 - dx, x1 + dx)
            ax.set_ylim(y0 - dy, y1 + dy)
        else:
            ax.autoscale_view()
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.set_title(panel.title)
        self._scalebar(ax)

    def _scalebar(self, ax):
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        span = (x1 - x0) / 5
        mag = 10 ** np.floor(np.log10(span))
        length = max(m * mag for m in (1, 2, 5) if m * mag <= span)
        km = length / 1000
        xa = x1 - (x1 - x0) * 0.04 - length
        ya = y0 + (y1 - y0) * 0.04
        ax.plot([xa, xa + length], [ya, ya], color="#222222", lw=1.4, solid_capstyle="butt")
        ax.text(xa + length / 2, ya + (y1 - y0) * 0.012, f"{km:g} km", ha="center", va="bottom", fontsize=6)

    def _legend(self, fig, ax, panel: MapPanel):
        from matplotlib.patches import Patch

        if panel.legend:  # below the map, never over it
            n = len(panel.legend)
            ax.legend(handles=[Patch(facecolor=c, edgecolor="#888888", linewidth=0.3, label=lab)
                               for c, lab in panel.legend],
                      loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=1 if n <= 2 else (2 if n <= 8 else 3),
                      frameon=False, fontsize=6.5, handlelength=1.2, columnspacing=1.0)
        elif panel.cmap is not None:
            cb = fig.colorbar(panel.cmap, ax=ax, orientation="horizontal", fraction=0.045, pad=0.02, shrink=0.8)
            cb.set_label(panel.cbar_label, fontsize=7)
            cb.ax.tick_params(labelsize=6)
            if panel.cbar_ticks:
                cb.set_ticks(panel.cbar_ticks[0], labels=panel.cbar_ticks[1])

    def maps(self, name: str, panels: list[MapPanel], suptitle: str, ncols: int | None = None,
             panel_size: tuple[float, float] = (3.6, 2.9)) -> Path:
        n = len(panels)
        ncols = ncols or min(n, 3)
        nrows = int(np.ceil(n / ncols))
        legend_h = 0.0 if (n > 1 and all(p.legend and p.legend == panels[0].legend for p in panels)) else max(
            (0.16 * int(np.ceil(len(p.legend) / (1 if len(p.legend) <= 2 else (2 if len(p.legend) <= 8 else 3))))
             if p.legend else (0.55 if p.cmap is not None else 0.0)) for p in panels)
        w, h = self._panel(panel_size, legend_h)
        fig = self._new(w * ncols, h * nrows + 0.5 + (0.3 if legend_h == 0 else 0))
        axes = fig.subplots(nrows, ncols, squeeze=False)
        shared = n > 1 and all(p.legend and p.legend == panels[0].legend for p in panels)
        for ax, p in zip(axes.ravel(), panels, strict=False):
            self._map_ax(ax, p)
            if not shared:
                self._legend(fig, ax, p)
        for ax in axes.ravel()[n:]:
            ax.set_axis_off()
        if shared:
            from matplotlib.patches import Patch

            fig.legend(handles=[Patch(facecolor=c, edgecolor="#888888", linewidth=0.3, label=lab)
                                for c, lab in panels[0].legend],
                       loc="outside lower center", ncol=min(len(panels[0].legend), 5), frameon=False, fontsize=7)
        self._title(fig, suptitle)
        return self._save(fig, name)

    def shared_legend_maps(self, name: str, panels: list[MapPanel], suptitle: str, legend: list[tuple[str, str]],
                           ncols: int = 2, panel_size: tuple[float, float] = (3.6, 2.8)) -> Path:
        """Several categorical maps (e.g. zones by year) with one legend below."""
        from matplotlib.patches import Patch

        n = len(panels)
        ncols = min(ncols, n)
        nrows = int(np.ceil(n / ncols))
        w, h = self._panel(panel_size, 0.0)
        fig = self._new(w * ncols, h * nrows + 0.5 + 0.2 * int(np.ceil(len(legend) / 3)))
        axes = fig.subplots(nrows, ncols, squeeze=False)
        for ax, p in zip(axes.ravel(), panels, strict=False):
            self._map_ax(ax, p)
        for ax in axes.ravel()[n:]:
            ax.set_axis_off()
        fig.legend(handles=[Patch(facecolor=c, edgecolor="#888888", linewidth=0.3, label=lab) for c, lab in legend],
                   loc="outside lower center", ncol=min(3, len(legend)), frameon=False, fontsize=7)
        self._title(fig, suptitle)
        return self._save(fig, name)

    # -- rasters ---------------------------------------------------------------
    def rasters(self, name: str, panels: list[dict], suptitle: str) -> Path:
        """Raster panels: dict(title, array, extent (l, r, b, t), cmap, norm, label, outline paths)."""
        from matplotlib.collections import PatchCollection
        from matplotlib.patches import PathPatch

        n = len(panels)
        fig = self._new(3.9 * n, 3.4)
        axes = fig.subplots(1, n, squeeze=False)[0]
        for ax, p in zip(axes, panels, strict=True):
            im = ax.imshow(p["array"], extent=p["extent"], cmap=p["cmap"], norm=p["norm"], interpolation="nearest")
            if p.get("outline"):
                ax.add_collection(PatchCollection([PathPatch(q) for q in p["outline"]], facecolors="none",
                                                  edgecolors="#333333", linewidths=0.35))
            ax.set_xlim(p["extent"][0], p["extent"][1])
            ax.set_ylim(p["extent"][2], p["extent"][3])
            ax.set_aspect("equal")
            ax.set_axis_off()
            ax.set_title(p["title"])
            self._scalebar(ax)
            cb = fig.colorbar(im, ax=ax, orientation="horizontal", fraction=0.045, pad=0.02, shrink=0.8,
                              extend=p.get("extend", "neither"))
            cb.set_label(p["label"], fontsize=7)
            cb.ax.tick_params(labelsize=6)
        self._title(fig, suptitle)
        return self._save(fig, name)

    # -- charts ------------------------------------------------------------------
    def grouped_bars(self, name: str, groups: list[dict], suptitle: str, ylabel: str,
                     series: list[tuple[str, str, str]]) -> Path:
        """Panels of grouped bars: each group dict(title, years, values {series: array}); series (key, label, colour)."""
        n = len(groups)
        ncols = min(n, 3)
        nrows = int(np.ceil(n / ncols))
        fig = self._new(3.4 * ncols, 2.6 * nrows + 0.6)
        axes = fig.subplots(nrows, ncols, squeeze=False)
        for ax, g in zip(axes.ravel(), groups, strict=False):
            x = np.arange(len(g["years"]))
            w = 0.8 / len(series)
            for k, (key, label, color) in enumerate(series):
                ax.bar(x + (k - (len(series) - 1) / 2) * w, g["values"][key], width=w, color=color, label=label)
            ax.axhline(0, color="#444444", lw=0.6)
            ax.set_xticks(x, [str(y) for y in g["years"]])
            ax.set_title(g["title"])
            ax.set_ylabel(ylabel)
            ax.spines[["top", "right"]].set_visible(False)
            ax.grid(axis="y", color="#e5e5e5", lw=0.5)
            ax.set_axisbelow(True)
        for ax in axes.ravel()[n:]:
            ax.set_axis_off()
        handles, labels = axes.ravel()[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=len(series), frameon=False)
        self._title(fig, suptitle)
        return self._save(fig, name)

    def stacked_shares(self, name: str, rows: list[str], shares: dict[str, np.ndarray],
                       series: list[tuple[str, str, str]], suptitle: str, xlabel: str) -> Path:
        """Horizontal 100 % bars: one row per label, segments per series (key, label, colour)."""
        legend_rows = int(np.ceil(len(series) / 3))
        fig = self._new(7.0, max(0.22 * len(rows), 1.0) + 1.2 + 0.22 * legend_rows)
        ax = fig.add_subplot(111)
        y = np.arange(len(rows))[::-1]
        left = np.zeros(len(rows))
        for key, label, color in series:
            v = np.nan_to_num(np.asarray(shares[key], dtype=float))
            ax.barh(y, v, left=left, color=color, label=label, height=0.75, edgecolor="white", linewidth=0.3)
            for yi, li, vi in zip(y, left, v, strict=True):
                if vi >= 9:
                    ax.text(li + vi / 2, yi, f"{vi:.0f}", ha="center", va="center", fontsize=5.5, color="#111111")
            left += v
        ax.set_yticks(y, rows)
        ax.tick_params(axis="y", labelsize=6.5)
        ax.set_xlim(0, 100)
        ax.set_xlabel(xlabel)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=min(3, len(series)), frameon=False)
        self._title(fig, suptitle)
        return self._save(fig, name)

    def quadrant(self, name: str, x, y, labels, colors, markers, legend, xlabel: str, ylabel: str,
                 suptitle: str, corner_labels: dict[str, str]) -> Path:
        fig = self._new(7.0, 5.6)
        ax = fig.add_subplot(111)
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        lx = np.log10(np.clip(x, 1e-6, None))
        mx = float(np.nanmax(np.abs(lx))) * 1.12 if len(lx) else 1.0
        my = float(np.nanmax(np.abs(y))) * 1.12 if len(y) else 1.0
        mx, my = max(mx, 0.05), max(my, 0.05)
        ax.axvspan(-mx, 0, 0.5, 1, color="#fff7e6", zorder=0)
        ax.axvspan(0, mx, 0.5, 1, color="#eaf4ea", zorder=0)
        ax.axvspan(-mx, 0, 0, 0.5, color="#fdecea", zorder=0)
        ax.axvspan(0, mx, 0, 0.5, color="#fff3e0", zorder=0)
        ax.axvline(0, color="#555555", lw=0.8, ls="--")
        ax.axhline(0, color="#555555", lw=0.8, ls="--")
        for m in sorted(set(markers)):
            sel = np.asarray([mm == m for mm in markers])
            ax.scatter(lx[sel], y[sel], c=[c for c, s in zip(colors, sel, strict=True) if s], marker=m,
                       s=22 if m == "o" else 34, edgecolors="#333333", linewidths=0.4, zorder=3)
        for xi, yi, t in zip(lx, y, labels, strict=True):
            ax.annotate(t, (xi, yi), xytext=(2, 2), textcoords="offset points", fontsize=4.6, color="#222222", zorder=4)
        ax.set_xlim(-mx, mx)
        ax.set_ylim(-my, my)
        ticks = [t for t in (0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5) if abs(np.log10(t)) <= mx]
        ax.set_xticks([np.log10(t) for t in ticks], [f"{t:g}" for t in ticks])
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        for pos, text in corner_labels.items():
            ha = "right" if "right" in pos else "left"
            va = "top" if "top" in pos else "bottom"
            ax.text(0.99 if ha == "right" else 0.01, 0.99 if va == "top" else 0.01, text, transform=ax.transAxes,
                    ha=ha, va=va, fontsize=7, color="#444444", fontweight="bold")
        from matplotlib.lines import Line2D

        ax.legend(handles=[Line2D([], [], marker=m, ls="", markerfacecolor=c, markeredgecolor="#333333",
                                  markersize=5 if m == "o" else 6, label=lab) for c, m, lab in legend],
                  loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, frameon=False)
        self._title(fig, suptitle)
        return self._save(fig, name)

    def gravity(self, name: str, paths: list, min_span: float, tracks: list[tuple], suptitle: str) -> Path:
        """Gravity-centre tracks (label, colour, xy array in the map CRS, years) over unit outlines, zoomed in."""
        from matplotlib.collections import PatchCollection
        from matplotlib.patches import PathPatch

        fig = self._new(6.0, 4.8)
        ax = fig.add_subplot(111)
        ax.add_collection(PatchCollection([PathPatch(p) for p in paths], facecolors="#f0f0f0", edgecolors="#999999",
                                          linewidths=0.4))
        pts = np.vstack([t[2] for t in tracks]) if tracks else np.zeros((1, 2))
        for label, color, xy, years in tracks:
            ax.plot(xy[:, 0], xy[:, 1], "-o", color=color, lw=1.6, ms=4, mec="#333333", mew=0.4, label=label)
            for k, ((x, y), yr) in enumerate(zip(xy, years, strict=True)):
                if k in (0, len(years) - 1):
                    ax.annotate(str(yr), (x, y), xytext=(3, 3), textcoords="offset points", fontsize=6.5)
        (x0, y0), (x1, y1) = np.nanmin(pts, axis=0), np.nanmax(pts, axis=0)
        span = max(1.5 * max(x1 - x0, y1 - y0), min_span) * 0.8
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        ax.set_xlim(cx - span, cx + span)
        ax.set_ylim(cy - span * 0.75, cy + span * 0.75)
        ax.set_aspect("equal")
        ax.set_axis_off()
        self._scalebar(ax)
        ax.legend(loc="upper left", frameon=True, framealpha=0.9)
        self._title(fig, suptitle)
        return self._save(fig, name)

    def matrix(self, name: str, m: np.ndarray, rows: list[str], cols: list[str], suptitle: str,
               xlabel: str, ylabel: str) -> Path:
        fig = self._new(6.4, 5.2)
        ax = fig.add_subplot(111)
        ax.imshow(np.log1p(m), cmap="Blues", aspect="auto")
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                if m[i, j]:
                    ax.text(j, i, f"{int(m[i, j])}", ha="center", va="center", fontsize=7,
                            color="white" if np.log1p(m[i, j]) > 0.6 * np.log1p(m.max()) else "#111111")
        ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right", fontsize=6.5)
        ax.set_yticks(range(len(rows)), rows, fontsize=6.5)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        self._title(fig, suptitle)
        return self._save(fig, name)
