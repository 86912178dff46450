"""What every analysis shares: its inputs, its result and its declaration.

An analysis package (``ecozone.capacity``, ``ecozone.carbon`` …) declares
itself in one module ``spec.py`` with an :class:`Analysis`: its name, the
inputs it needs, the analyses whose results it reads, its parameter section,
its run function, its output table schemas, its map layers and its report
section. :mod:`ecozone.registry` lists the declarations (one line each);
:mod:`ecozone.run` only orchestrates them. See ``docs/adding-an-analysis.md``.

This module sits below every analysis: it imports nothing of theirs, of the
study file model, of the store or of the report.
"""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ecozone.schema import TableSchema

if TYPE_CHECKING:  # types only: no import at run time
    from ecozone.inputs.rasters import RasterSet
    from ecozone.inputs.units import Units
    from ecozone.progress import SilentReporter
    from ecozone.study import Study


@dataclass
class Inputs:
    """A study's inputs, read and validated.

    ``results`` holds the tables of the analyses that ran before in the same
    run (an analysis that ``reads`` another finds its tables here).
    """

    study: Study
    units: Units
    tables: dict[str, pd.DataFrame]
    rasters: RasterSet
    layers: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    results: dict[str, pd.DataFrame] = field(default_factory=dict)
    _zonal: dict = field(default_factory=dict)

    def zonal_weights(self, level: str):
        """Coverage weights of the units of ``level`` over the reference grid (cached)."""
        from ecozone.zonal import zonal_weights

        if level not in self._zonal:
            units = self.units.of_level(level)
            self._zonal[level] = zonal_weights(units, "unit_id", self.rasters.grid, cache_dir=self.cache_dir)
        return self._zonal[level]

    @property
    def cache_dir(self) -> Path:
        """The study's cache folder (``[compute] cache_dir``, default ``<study>/.ecozone-cache``)."""
        cache = self.study.compute.cache_dir
        return self.study.resolve(cache) if cache else self.study.root / ".ecozone-cache"

    def input_files(self) -> list[Path]:
        """Every input file read (for the manifest's checksums)."""
        files = []
        if self.units.source is not None:
            files.append(self.units.source)
        for name in self.tables:
            spec = self.study.tables.spec(name)
            files.append(self.study.resolve(spec.path))
        for name in self.layers:
            files.append(self.study.resolve(self.study.layers.spec(name).path))
        files += self.rasters.files()
        return files


@dataclass
class AnalysisResult:
    """What an analysis returns: tables, rasters (name → (y, x) DataArray with ``attrs["grid"]``), notes."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    rasters: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    scratch: list[Path] = field(default_factory=list)  # temporary folders backing the rasters

    def cleanup(self) -> None:
        """Delete the scratch folders (after the store has written the rasters)."""
        for p in self.scratch:
            shutil.rmtree(p, ignore_errors=True)


@dataclass(frozen=True)
class MapLayer:
    """A styled map layer of an analysis in ``results.gpkg`` (a view per level).

    ``table`` keyed by ``level, unit_id, year``; the view joins it to the
    units' geometry, shows ``columns`` of the latest year (canonical name,
    alternative source names) and ``yearly``'s value of every year, and is
    styled by ``styled`` with the colours of the label category ``category``.
    """

    table: str
    styled: str
    category: str
    columns: tuple[tuple[str, tuple[str, ...]], ...]
    yearly: str


@dataclass(frozen=True)
class LayerStyle:
    """A default QGIS style for a spatial output table of an analysis (points, lines or polygons).

    The table (a GeoDataFrame result, e.g. ``parks_map``) is styled by the
    codes of ``column`` with the labels and colours of the label category
    ``category``; without a column, one symbol of ``color``.
    """

    table: str
    column: str | None = None
    category: str | None = None
    color: str = "#3182bd"


def load_entry(ref: str) -> Callable:
    """The function a ``"module:function"`` reference names (imported on first use)."""
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Analysis:
    """The declaration of one analysis.

    Parameters
    ----------
    name: the analysis' name (``--only NAME``, the manifest, the report).
    title: one line saying what it computes.
    run: ``"module:function"``: ``function(inputs: Inputs, reporter) -> AnalysisResult``.
    schema: its output tables (``{table: TableSchema}``, from its ``schema.csv``).
    params: the pydantic model of its study-file section (``[<section>]``), or None.
    section: the study-file section of its parameters (default: ``name``).
    tables_all, tables_any, rasters_all, layers_all: the inputs it needs (all of / one of).
    reads: the analyses whose results it reads (run before it; ``--only`` adds them).
    reads_unless: tables that stand in for the results of ``reads``: when one of them is given,
        the analysis also runs when an analysis it reads cannot (``--only`` then runs those only
        when they can run).
    optional_tables: tables it uses when given (for the docs and the schema test).
    input_tables: the tables it adds to the contract (``{name: ecozone.inputs.tables.TableSchema}``):
        ``[tables] <name>`` is then read and validated with that schema.
    layers: the vector layers it reads from ``[layers]`` (``{name: geometry kinds}``, kinds among
        ``"polygon"``, ``"line"``, ``"point"``); ``layers_all`` names those it needs.
    maps: its styled map layers in ``results.gpkg`` (views of unit tables).
    styles: default QGIS styles of its spatial tables (points, lines, polygons of its own).
    report: ``"module:function"`` of its report section (``function(ctx) -> str | None``).
    package: the package holding it (its ``schema.csv``, its docs).
    """

    name: str
    title: str
    run: str
    schema: dict[str, TableSchema] = field(default_factory=dict)
    params: type | None = None
    section: str | None = None
    tables_all: tuple[str, ...] = ()
    tables_any: tuple[str, ...] = ()
    rasters_all: tuple[str, ...] = ()
    layers_all: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    reads_unless: tuple[str, ...] = ()
    optional_tables: tuple[str, ...] = ()
    input_tables: dict[str, Any] = field(default_factory=dict)
    layers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    maps: tuple[MapLayer, ...] = ()
    styles: tuple[LayerStyle, ...] = ()
    report: str | None = None
    package: str = ""

    @property
    def params_section(self) -> str | None:
        return (self.section or self.name) if self.params is not None else None

    def runner(self) -> Callable[[Inputs, SilentReporter], AnalysisResult]:
        """The run function."""
        return load_entry(self.run)

    def lacks(self, inp_tables: set[str], rs: RasterSet, layers: set[str] | None = None) -> list[str]:
        """What inputs this analysis lacks (empty list = it can run)."""
        out = [f"table '{t}'" for t in self.tables_all if t not in inp_tables]
        if self.tables_any and not (set(self.tables_any) & inp_tables):
            out.append("one of the tables " + " / ".join(f"'{t}'" for t in self.tables_any))
        for r in self.rasters_all:
            if r not in rs.paths or not rs.paths[r]:
                out.append(f"raster '{r}'")
            elif rs.missing.get(r):
                out.append(f"{len(rs.missing[r])} file(s) of raster '{r}'")
        out += [f"layer '{name}'" for name in self.layers_all if name not in (layers or set())]
        return out


__all__ = ["Analysis", "AnalysisResult", "Inputs", "LayerStyle", "MapLayer", "load_entry"]
