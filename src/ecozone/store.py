"""The one way out: results written atomically with a manifest (METHODS §0.4).

Everything is written into a temporary sibling folder; only when every file
is complete is the previous output folder replaced by it. A run that fails
leaves the previous outputs untouched.

Layout of an output folder::

    results.gpkg      layer `units` (all levels) + one attribute table per analysis
    results.xlsx      one sheet per table
    rasters/*.tif     Cloud-Optimized GeoTIFFs of gridded results
    manifest.json     version, parameters, input checksums, timings
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from ecozone.errors import EcozoneError
from ecozone.schema import TableSchema, conform


@contextmanager
def atomic_output(out_dir: Path) -> Iterator[Path]:
    """Yield a fresh temporary folder; on success it replaces ``out_dir``.

    On any exception the temporary folder is deleted and ``out_dir`` is left
    exactly as it was.
    """
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if out_dir.exists():
        old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
        if old.exists():
            shutil.rmtree(old)
        os.replace(out_dir, old)
    try:
        os.replace(tmp, out_dir)
    except BaseException:
        if old is not None:
            os.replace(old, out_dir)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def sha256(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while b := f.read(chunk):
            h.update(b)
    return h.hexdigest()


def checksums(paths: list[Path], root: Path | None = None) -> dict[str, str]:
    """``{path (relative to root where possible): sha256}`` for input files."""
    out = {}
    for p in sorted(set(paths)):
        key = str(p)
        if root is not None:
            try:
                key = str(Path(p).resolve().relative_to(Path(root).resolve()))
            except ValueError:
                pass
        out[key] = sha256(p)
    return out


def _sanitize(df: pd.DataFrame) -> pd.DataFrame:
    """Columns GeoPackage / Excel can hold (no object mixtures, no categoricals)."""
    df = df.copy()
    for c in df.columns:
        s = df[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            df[c] = s.astype(str)
        elif s.dtype == object:
            if s.map(lambda v: isinstance(v, (bool, np.bool_)) or v is None).all() and s.notna().any():
                df[c] = s.astype("boolean")
            else:
                df[c] = s.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    return df


def _geometry_column(df: pd.DataFrame) -> str | None:
    """The geometry column of a GeoDataFrame table (None for an attribute table)."""
    name = getattr(df, "_geometry_column_name", None)
    return name if name is not None and name in df.columns else None


def typed_tables(tables: dict[str, pd.DataFrame], schemas: dict[str, TableSchema]) -> dict[str, pd.DataFrame]:
    """Every table with a declared schema cast to its declared column types (:func:`ecozone.schema.conform`).

    Tables without a schema pass unchanged; a declared column whose values
    cannot take its type raises :class:`~ecozone.schema.SchemaError`.
    """
    return {
        name: (conform(df, schemas[name], strict=False) if name in schemas else df) for name, df in tables.items()
    }


def write_gpkg(
    path: Path,
    units_frame,
    tables: dict[str, pd.DataFrame],
    *,
    schemas: dict[str, TableSchema] | None = None,
    maps=None,
    styles=None,
) -> None:
    """GeoPackage with layer ``units`` (all levels, WGS84), one attribute table per analysis, map styles.

    A table that is a GeoDataFrame (e.g. ``parks_map``) is written as a spatial
    layer in EPSG:4326; the XLSX gets its attributes only.

    ``schemas`` (``{table: TableSchema}``) casts the tables to their declared
    types first (REAL, INTEGER, TEXT, BOOLEAN whatever pandas inferred);
    ``maps`` (:class:`ecozone.analysis.MapLayer` list) adds styled map views
    for QGIS (:func:`ecozone.qgis.add_layer_styles`).
    """
    import pyogrio

    from ecozone.qgis import add_layer_styles

    if schemas:
        tables = typed_tables(tables, schemas)
    units = units_frame.to_crs(4326) if units_frame.crs is not None else units_frame
    pyogrio.write_dataframe(units, path, layer="units", driver="GPKG", promote_to_multi=True)
    for name, df in tables.items():
        if _geometry_column(df) is not None and df.crs is not None:  # a point/line/polygon table: a spatial layer
            df = df.to_crs(4326)
        pyogrio.write_dataframe(_sanitize(df.reset_index(drop=True)), path, layer=name, driver="GPKG")
    if maps or styles:
        add_layer_styles(path, maps=maps or [], styles=styles or [])


def _with_names(df: pd.DataFrame, names: pd.DataFrame | None) -> pd.DataFrame:
    """``df`` with the units' names inserted after ``unit_id`` (tables keyed by level and unit_id)."""
    if names is None or not {"level", "unit_id"} <= set(df.columns) or "name" in df.columns:
        return df
    cols = [c for c in ("name", "name_en") if c in names.columns]
    nm = names[["level", "unit_id", *cols]].drop_duplicates(["level", "unit_id"])
    nm = nm.astype({"level": str, "unit_id": str})
    key = df[["level", "unit_id"]].astype(str)
    found = key.merge(nm, on=["level", "unit_id"], how="left")
    out = df.copy()
    at = list(out.columns).index("unit_id") + 1
    for i, c in enumerate(cols):
        out.insert(at + i, c, found[c].fillna("").to_numpy())
    return out


def write_xlsx(
    path: Path,
    tables: dict[str, pd.DataFrame],
    headers: dict[str, dict[str, str]] | None = None,
    names: pd.DataFrame | None = None,
) -> None:
    """One sheet per table with bilingual headers and a units row, plus a legend sheet.

    Every sheet (name cut to Excel's 31 characters) starts with three header
    rows: the column's English label, its Chinese label and its unit, all from
    the label table ``params/labels.csv``; the panes are frozen below them and
    the data start on row 4. ``headers`` (``{table: {column: label}}``)
    replaces the English label of a column. A last sheet ``columns`` lists,
    for every sheet, each column's name in ``results.gpkg``, both labels and
    the unit, and the codes found in coded columns (states, zones …) with
    both labels. Written with XlsxWriter in constant-memory mode (openpyxl
    when XlsxWriter is not installed). ``names`` (``level, unit_id, name``
    and optionally ``name_en``) adds the unit's names after ``unit_id`` in
    every sheet keyed by ``level, unit_id``, so a sheet reads without a join.
    """
    import math

    from ecozone.labels import CODE_CATEGORIES, Labels, column_header

    path = Path(path)
    en, zh = Labels("en"), Labels("zh")
    legend: list[tuple] = []
    sheets: list[tuple[str, pd.DataFrame, list[tuple[str, str, str]]]] = []
    used: set[str] = set()
    for name, df in tables.items():
        sheet = name[:31]
        k = 1
        while sheet.lower() in used:  # Excel sheet names are case-insensitive and unique
            k += 1
            sheet = f"{name[:28]}~{k}"
        used.add(sheet.lower())
        geom = _geometry_column(df)
        if geom is not None:  # the GeoPackage holds the geometries; a sheet holds the attributes
            df = pd.DataFrame(df.drop(columns=geom))
        d = _sanitize(_with_names(df.reset_index(drop=True), names))
        hdr = []
        for c in d.columns:
            h_en, h_zh, unit = column_header(str(c), name)
            if headers and name in headers and c in headers[name]:
                h_en = headers[name][c]
            hdr.append((h_en, h_zh, unit))
            legend.append((sheet, str(c), h_en, h_zh, unit))
        sheets.append((sheet, d, hdr))
    codes: list[tuple] = []
    for cat, columns in CODE_CATEGORIES.items():
        seen: set[str] = set()
        for _sheet, d, _hdr in sheets:
            for c in columns:
                if c in d.columns:
                    seen.update(str(v) for v in d[c].dropna().unique() if str(v))
        for v in sorted(seen):
            codes.append((cat, v, en.code(cat, v), zh.code(cat, v)))
    legend_rows = [("sheet", "column", "English", "中文", "unit / 单位"), *legend]
    code_rows = [("category / 类别", "code / 代码", "English", "中文", ""), *codes]

    def cells(d: pd.DataFrame):
        """Column-wise Python lists with None for missing values, and the kind of each column."""
        cols, kinds = [], []
        for c in d.columns:
            s = d[c]
            if s.dtype.kind in "fiu":
                cols.append(s.to_numpy(dtype=float).tolist())
                kinds.append("n")
            elif s.dtype.kind == "b" or str(s.dtype) == "boolean":
                cols.append([None if v is pd.NA or v is None else bool(v) for v in s.astype(object)])
                kinds.append("b")
            elif s.dtype.kind == "M":
                cols.append([None if pd.isna(v) else str(v) for v in s])
                kinds.append("s")
            else:
                cols.append([None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)
                             for v in s.astype(object)])
                kinds.append("s")
        return cols, kinds

    try:
        import xlsxwriter
    except ImportError:  # pragma: no cover - XlsxWriter is a dependency; openpyxl as a fallback
        xlsxwriter = None

    if xlsxwriter is None:  # pragma: no cover
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        for sheet, d, hdr in sheets:
            ws = wb.create_sheet(sheet)
            for i in range(3):
                ws.append([h[i] for h in hdr])
            cols, _kinds = cells(d)
            for row in zip(*cols, strict=True):
                ws.append([None if isinstance(v, float) and not math.isfinite(v) else v for v in row])
        for title, rows in (("columns", legend_rows + [()] + code_rows),):
            ws = wb.create_sheet(title)
            for r in rows:
                ws.append(list(r))
        wb.save(path)
        return

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_urls": False})
    bold = wb.add_format({"bold": True, "bg_color": "#e8eef4", "text_wrap": True, "valign": "top"})
    head_zh = wb.add_format({"bg_color": "#e8eef4", "text_wrap": True, "valign": "top"})
    head_unit = wb.add_format({"italic": True, "font_color": "#555555", "bg_color": "#f4f6f8", "bottom": 1})
    isf = math.isfinite
    for sheet, d, hdr in sheets:
        ws = wb.add_worksheet(sheet)
        # constant-memory mode: rows strictly in order
        for j, (h_en, h_zh, _unit) in enumerate(hdr):
            ws.set_column(j, j, min(max(10, len(h_en) * 0.9, len(h_zh) * 1.8), 40))
        for i, fmt in ((0, bold), (1, head_zh), (2, head_unit)):
            for j, h in enumerate(hdr):
                if h[i]:
                    ws.write_string(i, j, h[i], fmt)
                else:
                    ws.write_blank(i, j, None, fmt)
        ws.freeze_panes(3, 0)
        cols, kinds = cells(d)
        wn, wstr, wbool = ws.write_number, ws.write_string, ws.write_boolean
        for i, row in enumerate(zip(*cols, strict=True), start=3):
            for j, v in enumerate(row):
                if v is None:
                    continue
                k = kinds[j]
                if k == "n":
                    if isf(v):
                        wn(i, j, v)
                elif k == "s":
                    if v:
                        wstr(i, j, v)
                else:
                    wbool(i, j, v)
    ws = wb.add_worksheet("columns" if "columns" not in used else "_columns")
    ws.set_column(0, 1, 22)
    ws.set_column(2, 3, 40)
    ws.set_column(4, 4, 22)
    r = 0
    for rows in (legend_rows, code_rows):
        for k, row in enumerate(rows):
            for j, v in enumerate(row):
                ws.write_string(r, j, str(v), bold if k == 0 else None)
            r += 1
        r += 1
    wb.close()


#: Tables of more cells than this are written to XLSX in a separate process (see :func:`start_xlsx`).
XLSX_BACKGROUND_CELLS = 300_000


def start_xlsx(
    path: Path,
    tables: dict[str, pd.DataFrame],
    names: pd.DataFrame | None = None,
    background_cells: int = XLSX_BACKGROUND_CELLS,
):
    """Start :func:`write_xlsx`; return a function that waits for it and raises its error.

    XlsxWriter writes cell by cell in Python (about 3.5 µs per cell: 8 s for
    the demo's 2.3 million cells). When the tables hold more than
    ``background_cells`` cells, the workbook is written by a separate Python
    process (``python -m ecozone.xlsx_worker``, fed a pickle of the tables
    without their geometries) while the caller goes on — the report, on the
    other core; smaller workbooks are written at once. The returned
    function blocks until the file is complete and raises
    :class:`~ecozone.errors.EcozoneError` naming the file when the worker
    failed (the output folder is then not swapped in); called with
    ``cancel=True`` it stops the worker (the caller failed).
    """
    import pickle
    import subprocess
    import sys

    path = Path(path)
    slim = {}
    for name, df in tables.items():
        geom = _geometry_column(df)
        slim[name] = pd.DataFrame(df.drop(columns=geom)) if geom is not None else df
    if names is not None:
        names = pd.DataFrame(names[[c for c in ("level", "unit_id", "name", "name_en") if c in names.columns]])
    cells = sum(df.shape[0] * max(df.shape[1], 1) for df in slim.values())
    if cells <= background_cells:
        write_xlsx(path, slim, names=names)
        return lambda cancel=False: None
    work = Path(tempfile.mkdtemp(prefix=".xlsx-", dir=path.parent))
    job = work / "tables.pickle"
    with open(job, "wb") as f:
        pickle.dump({"path": str(path), "tables": slim, "names": names}, f, protocol=pickle.HIGHEST_PROTOCOL)
    pkg_root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [pkg_root, os.environ.get("PYTHONPATH")]))}
    env.setdefault("OMP_NUM_THREADS", "1")
    proc = subprocess.Popen([sys.executable, "-m", "ecozone.xlsx_worker", str(job)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env)

    state = {"done": False}

    def wait(cancel: bool = False) -> None:
        if state["done"]:
            return
        state["done"] = True
        try:
            if cancel:
                proc.kill()
            _out, err = proc.communicate()
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if cancel:
            return
        if proc.returncode != 0 or not path.is_file():
            lines = err.decode("utf-8", "replace").strip().splitlines()
            raise EcozoneError(
                f"writing the workbook failed: {lines[-1] if lines else f'exit code {proc.returncode}'}",
                where=str(path.name),
                fix="check free disk space and memory; the previous output folder is unchanged",
            )

    return wait


def write_cog(path: Path, da, nodata: float = np.nan) -> None:
    """Write a (y, x) DataArray (numpy or dask) on a :class:`~ecozone.grid.Grid` as a COG.

    The array is written block by block to a tiled GeoTIFF (dask blocks are
    computed one at a time, so memory stays bounded), then copied to a
    Cloud-Optimized GeoTIFF with overviews by GDAL's COG driver.
    """
    import dask.array as dska
    import rasterio
    import rasterio.shutil
    from rasterio.windows import Window

    grid = da.attrs["grid"]
    data = da.data
    dtype = np.dtype(data.dtype)
    tmp = Path(str(path) + ".tmp.tif")
    profile = dict(
        driver="GTiff",
        width=grid.width,
        height=grid.height,
        count=1,
        dtype=dtype.name,
        crs=grid.crs.to_wkt(),
        transform=grid.transform,
        nodata=nodata,
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="deflate",
        BIGTIFF="IF_SAFER",
    )
    with rasterio.open(tmp, "w", **profile) as dst:
        if isinstance(data, dska.Array):
            offsets_y = np.concatenate([[0], np.cumsum(data.chunks[0])])
            offsets_x = np.concatenate([[0], np.cumsum(data.chunks[1])])
            for i in range(len(data.chunks[0])):
                for j in range(len(data.chunks[1])):
                    block = np.asarray(data.blocks[i, j].compute())
                    dst.write(
                        block,
                        1,
                        window=Window(offsets_x[j], offsets_y[i], block.shape[1], block.shape[0]),
                    )
        else:
            dst.write(np.asarray(data), 1)
        if "units" in da.attrs:
            dst.update_tags(1, units=str(da.attrs["units"]))
        if "note" in da.attrs:
            dst.update_tags(note=str(da.attrs["note"]))
        if "long_name" in da.attrs:
            dst.update_tags(1, long_name=str(da.attrs["long_name"]))
    rasterio.shutil.copy(tmp, path, driver="COG", compress="DEFLATE", predictor="2" if dtype.kind == "f" else "1")
    tmp.unlink()


def write_manifest(path: Path, manifest: dict) -> None:
    """``manifest.json``, pretty-printed UTF-8."""
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str), encoding="utf-8")


def read_manifest(out_dir: Path) -> dict:
    """Read an output folder's manifest."""
    p = Path(out_dir) / "manifest.json"
    if not p.exists():
        raise EcozoneError(
            "no manifest.json: this is not an ecozone output folder",
            where=str(out_dir),
            fix="give the folder `ecozone run` or `ecozone demo` wrote",
        )
    return json.loads(p.read_text(encoding="utf-8"))


def read_results(out_dir: Path) -> dict[str, pd.DataFrame]:
    """All tables of ``results.gpkg`` (the ``units`` layer as a GeoDataFrame)."""
    import pyogrio

    path = Path(out_dir) / "results.gpkg"
    if not path.exists():
        raise EcozoneError(
            "no results.gpkg", where=str(out_dir), fix="run `ecozone run STUDY` first"
        )
    out = {}
    for name, _geom in pyogrio.list_layers(path):
        out[str(name)] = pyogrio.read_dataframe(path, layer=name)
    return out
