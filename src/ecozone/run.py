"""Running a study: load and validate inputs, run the analyses, write the store.

This is the public API the CLI and notebooks share::

    from ecozone import load_study, run_study
    result = run_study("my-study/ecozone.toml")
"""

from __future__ import annotations

import contextlib
import platform
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ecozone._version import __version__
from ecozone.analysis import Analysis, AnalysisResult, Inputs
from ecozone.errors import EcozoneError, InputError, MissingInputs
from ecozone.inputs import rasters as rinputs
from ecozone.inputs.layers import load_layer
from ecozone.inputs.tables import load_table
from ecozone.inputs.units import load_units
from ecozone.progress import SilentReporter
from ecozone.registry import ANALYSES, order
from ecozone.study import TABLE_NAMES, Study, load_study

SYNTHETIC_LABEL = "synthetic demo data"


def read_inputs(study: Study, reporter: SilentReporter | None = None) -> Inputs:
    """Read and validate every input of a study (units, tables, rasters).

    Raises :class:`~ecozone.errors.EcozoneError` naming the first problem.
    """
    rep = reporter or SilentReporter()
    with rep.step("reading units"):
        u = study.units
        units = load_units(
            study.resolve(u.path),
            levels=u.levels,
            name=u.name,
            level_names=u.level_names,
            parents=u.parents,
            layer=u.layer,
            area_crs=study.study.area_crs,
            name_en=u.name_en,
            level_names_en=u.level_names_en,
        )
    for msg in units.repairs:
        rep.note(msg)
    ids = set(units.frame["unit_id"])
    tables = {}
    names = [n for n in TABLE_NAMES if getattr(study.tables, n) is not None]
    with rep.step("reading tables", total=len(names)) as st:
        for name in names:
            spec = study.tables.spec(name)
            if name not in _SUPPORTED_TABLES:
                rep.note(f"table '{name}' is not used by any analysis of ecozone {__version__}; skipped")
                st.advance()
                continue
            path = study.resolve(spec.path)
            if name == "ecological_function" and path.suffix.lower() in _VECTOR_SUFFIXES:
                tables[name] = _read_zone_polygons(path)
                st.advance()
                continue
            tables[name] = load_table(
                name,
                path,
                sheet=spec.sheet,
                declared_units=spec.units,
                unit_ids=ids,
                schema=_INPUT_TABLES.get(name),
                units=units.frame[["level", "unit_id"]],
            )
            for n in tables[name].attrs.get("notes", []):
                rep.note(n)
            st.advance()
    layers = {}
    given_layers = study.layers.given()
    if given_layers:
        with rep.step("reading layers", total=len(given_layers)) as st:
            for name in given_layers:
                lspec = study.layers.spec(name)
                layers[name] = load_layer(study.resolve(lspec.path), name, _LAYER_KINDS[name], layer=lspec.layer)
                if layers[name].attrs.get("repaired"):
                    rep.note(f"[layers] {name}: {layers[name].attrs['repaired']} invalid geometries repaired")
                st.advance()
    with rep.step("checking rasters"):
        rs = rinputs.discover(study)
        notes = rinputs.validate_rasters(study, rs)
    for n in notes:
        rep.note(n)
    return Inputs(study=study, units=units, tables=tables, rasters=rs, layers=layers, notes=list(rep.messages))


_VECTOR_SUFFIXES = {".gpkg", ".shp", ".geojson", ".json", ".fgb", ".gml", ".kml"}


def _read_zone_polygons(path: Path):
    """Key ecological functional zones given as a polygon layer (METHODS §1.5)."""
    import geopandas as gpd

    if not path.exists():
        raise InputError("file not found", where=str(path), fix="correct [tables] ecological_function")
    try:
        z = gpd.read_file(path)
    except Exception as e:  # noqa: BLE001
        raise InputError(f"cannot be read as a vector layer ({e})", where=str(path), fix="give a polygon layer") from None
    if z.crs is None:
        raise InputError(
            "polygon layer has no CRS", where=str(path), fix="assign the CRS of its coordinates (e.g. EPSG:4326)"
        )
    if len(z) == 0 or not z.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        raise InputError(
            "the layer must hold polygons of the key ecological functional zones",
            where=str(path),
            fix="give the zones as polygons, or a table of unit_id, zone_type",
        )
    return z[[z.geometry.name]]


#: Input tables the analyses declare beyond the contract's, with their schemas.
_INPUT_TABLES = {t: sch for a in ANALYSES.values() for t, sch in a.input_tables.items()}
#: Geometry kinds accepted per layer (the union over the analyses reading it).
_LAYER_KINDS: dict[str, tuple[str, ...]] = {}
for _a in ANALYSES.values():
    for _name, _kinds in _a.layers.items():
        _LAYER_KINDS[_name] = tuple(dict.fromkeys((*_LAYER_KINDS.get(_name, ()), *_kinds)))
#: The tables some analysis reads (the others are noted as unused).
_SUPPORTED_TABLES = {t for a in ANALYSES.values() for t in (*a.tables_all, *a.tables_any, *a.optional_tables)}


def plan(study: Study, inputs: Inputs | None = None) -> dict[str, list[str]]:
    """For every analysis, what it lacks (an empty list means it can run)."""
    given = {n for n in TABLE_NAMES if getattr(study.tables, n) is not None}
    rs = inputs.rasters if inputs is not None else rinputs.discover(study)
    layers = set(study.layers.given())
    lacks = {name: a.lacks(given, rs, layers) for name, a in ANALYSES.items()}
    # an analysis that reads another's results runs only when that one runs, unless a table it
    # was given stands in for those results (``reads_unless``); registry order = dependency order
    for name, a in ANALYSES.items():
        if lacks[name] or _stands_in(name, given):
            continue
        for r in a.reads:
            if lacks[r]:
                lacks[name] = [f"the results of '{r}' (which lacks {', '.join(lacks[r])})"]
                break
    return lacks


def _stands_in(name: str, given: set[str]) -> bool:
    """Whether a table given to analysis ``name`` stands in for the results it reads."""
    return bool(given & set(ANALYSES[name].reads_unless))


@contextlib.contextmanager
def _scheduler(address: str | None):
    """Dask scheduler for raster work: a distributed client when an address is given."""
    import dask

    if address:
        try:
            from distributed import Client

            client = Client(address, timeout="10s")
        except Exception as e:  # noqa: BLE001
            raise EcozoneError(
                f"cannot connect to the dask scheduler at {address} ({e})",
                where="--scheduler",
                fix="start one with `dask scheduler` and `dask worker ADDRESS`, or omit --scheduler",
            ) from None
        try:
            yield client
        finally:
            client.close()
    else:
        with dask.config.set(scheduler="threads"):
            yield None


@dataclass
class RunResult:
    out_dir: Path
    tables: dict[str, pd.DataFrame]
    rasters: list[str]
    manifest: dict
    skipped: dict[str, list[str]]
    postgis: object | None = None  #: :class:`ecozone.store_postgis.PostgisResult` when written to a database


def run_study(
    study: Study | str | Path,
    out: str | Path | None = None,
    *,
    only: list[str] | None = None,
    scheduler: str | None = None,
    reporter: SilentReporter | None = None,
    report: bool = True,
    store: str | None = None,
    schema: str | None = None,
) -> RunResult:
    """Run every analysis the study's inputs allow and write the outputs atomically.

    Parameters
    ----------
    study: a :class:`Study` or the path of a study file / folder.
    out: output folder (default ``<study>/out``); replaced only when the run succeeds.
    only: names of analyses to run (default: all that can run).
    scheduler: dask.distributed scheduler address for raster work (default: local threads).
    store: PostgreSQL URL (``postgresql://user@host/db``) to write the results into PostGIS too
        (default: ``[store] url``); schema: its schema (default ``[store] schema``, ``ecozone``).
    reporter: receives progress and step timings.
    """
    rep = reporter or SilentReporter()
    t_start = time.perf_counter()
    st = study if isinstance(study, Study) else load_study(study)
    out_dir = Path(out) if out is not None else st.root / "out"
    if only:
        unknown = [n for n in only if n not in ANALYSES]
        if unknown:
            raise EcozoneError(
                f"unknown analysis {', '.join(unknown)}",
                where="--only",
                fix=f"choose among: {', '.join(ANALYSES)}",
            )
    inp = read_inputs(st, rep)
    lacks = plan(st, inp)
    wanted = order(only) if only else list(ANALYSES)
    if only:
        given = set(inp.tables)
        for n in [n for n in wanted if n not in only]:
            readers = [m for m in wanted if n in ANALYSES[m].reads]
            if lacks[n] and readers and all(_stands_in(m, given) for m in readers):
                rep.note(f"{n} cannot run (it lacks {', '.join(lacks[n])}); "
                         f"{', '.join(readers)} runs without its results")
                wanted.remove(n)
        added = [n for n in wanted if n not in only]
        if added:
            rep.note(f"running {', '.join(added)} first: {', '.join(only)} reads its results")
    for name in wanted:
        if only and lacks[name]:
            raise MissingInputs(
                f"analysis '{name}' cannot run: it lacks {', '.join(lacks[name])}",
                where=str(st.source),
                fix="add the inputs to the study file, or leave the analysis out of --only",
            )
    to_run = [n for n in wanted if not lacks[n]]
    skipped = {n: lacks[n] for n in wanted if lacks[n]}
    for n, why in skipped.items():
        rep.note(f"{n} skipped: lacks {', '.join(why)}")
    if not to_run:
        raise MissingInputs(
            "no analysis can run with these inputs: "
            + "; ".join(f"{n} lacks {', '.join(w)}" for n, w in skipped.items()),
            where=str(st.source),
            fix="add the inputs an analysis needs (see `ecozone validate`)",
        )

    db = _postgis_target(st, store, schema)
    results: dict[str, AnalysisResult] = {}
    try:
        with _scheduler(scheduler or st.compute.scheduler):
            for name in to_run:
                results[name] = ANALYSES[name].runner()(inp, rep)
                inp.results.update(results[name].tables)
                for n in results[name].notes:
                    rep.note(n)
        return _write_outputs(st, inp, results, to_run, skipped, out_dir, rep, report, t_start, db=db)
    finally:
        for r in results.values():
            r.cleanup()


def _postgis_target(st: Study, store: str | None, schema: str | None) -> dict | None:
    """The database a run writes into (``--store`` / ``[store]``), checked before the analyses run."""
    url = store or st.store.url
    if not url:
        if schema:
            raise EcozoneError("--schema names a schema of a database, but no database is given",
                               where="--schema", fix="add --store postgresql://USER@HOST/DB (or [store] url), "
                               "or leave --schema out")
        return None
    from ecozone import store_postgis

    where = "--store" if store else f"{st.source}, key 'store.url'"
    sch = schema or st.store.db_schema
    shown = store_postgis.check_postgis(url, sch, where=where)
    return {"url": url, "schema": sch, "where": where, "shown": shown}


def _write_outputs(st, inp, results, to_run, skipped, out_dir, rep, report, t_start, db=None) -> RunResult:
    """Write every output into a temporary folder and swap it in (store layer)."""
    from ecozone import store

    tables: dict[str, pd.DataFrame] = {}
    for r in results.values():
        tables.update(r.tables)
    schemas = {t: s for n in to_run for t, s in ANALYSES[n].schema.items()}
    maps = [m for n in to_run for m in ANALYSES[n].maps]
    styles = [st for n in to_run for st in ANALYSES[n].styles]
    tables = store.typed_tables(tables, schemas)
    raster_names: list[str] = []
    with store.atomic_output(out_dir) as tmp:
        about = _about_table(st, to_run, skipped)
        # the workbook is written by a process of its own while the rest goes on (large tables)
        xlsx_done = store.start_xlsx(tmp / "results.xlsx", {"about": about, **tables}, names=inp.units.frame)
        try:
            n_steps = len(tables) + sum(len(r.rasters) for r in results.values()) + 3
            with rep.step("writing results", total=n_steps) as s:
                store.write_gpkg(tmp / "results.gpkg", inp.units.frame, {**tables, "about": about}, maps=maps,
                                 styles=styles)
                s.advance()
                rdir = tmp / "rasters"
                for r in results.values():
                    for rname, da in r.rasters.items():
                        rdir.mkdir(exist_ok=True)
                        if st.study.synthetic:
                            da.attrs["note"] = SYNTHETIC_LABEL
                        store.write_cog(rdir / f"{rname}.tif", da)
                        raster_names.append(f"rasters/{rname}.tif")
                        s.advance()
                s.advance()
                with rep.step("checksumming inputs"):
                    sums = store.checksums(inp.input_files(), st.root)
                manifest = {
                    "ecozone_version": __version__,
                    "study": st.study.name,
                    "study_file": str(st.source),
                    "synthetic": st.study.synthetic,
                    "label": SYNTHETIC_LABEL if st.study.synthetic else None,
                    "created": datetime.now(UTC).isoformat(timespec="seconds"),
                    "python": platform.python_version(),
                    "years": st.study.years,
                    "levels": inp.units.levels,
                    "analyses": to_run,
                    "skipped": skipped,
                    "parameters": st.parameters(),
                    "inputs": sums,
                    "outputs": sorted(["results.gpkg", "results.xlsx", "manifest.json", *raster_names]),
                    "notes": rep.messages,
                    "timings_s": dict(rep.timings),
                }
                if db:  # the URL without password; the run's id is the row of the schema's `runs` table
                    manifest["store"] = {"url": db["shown"], "schema": db["schema"], "run_id": str(uuid.uuid4())}
                manifest["timings_s"]["total"] = round(time.perf_counter() - t_start, 3)
                store.write_manifest(tmp / "manifest.json", manifest)
                s.advance()
            if report:
                _write_report(tmp, rep)
            with rep.step("writing results.xlsx"):
                xlsx_done()
        except BaseException:
            xlsx_done(cancel=True)
            raise
        pg = None
        if db:  # last: a refused database write leaves the output folder untouched (and vice versa)
            from ecozone import store_postgis

            with rep.step(f"writing PostGIS schema {db['schema']}"):
                pg = store_postgis.write_postgis(db["url"], db["schema"], inp.units.frame, tables, schemas, maps,
                                                 about, manifest, where=db["where"])
            for n in pg.notes:
                rep.note(n)
    return RunResult(out_dir=out_dir.resolve(), tables=tables, rasters=raster_names, manifest=manifest, skipped=skipped,
                     postgis=pg)


def _write_report(out_dir: Path, rep: SilentReporter) -> None:
    """Write ``report.html`` and the static figures into the output folder."""
    from ecozone.report import build_report

    with rep.step("writing report"):
        build_report(out_dir)


def _about_table(st: Study, ran: list[str], skipped: dict[str, list[str]]) -> pd.DataFrame:
    rows = [
        ("study", st.study.name),
        ("ecozone_version", __version__),
        ("data", SYNTHETIC_LABEL if st.study.synthetic else "user data"),
        ("years", ", ".join(map(str, st.study.years))),
        ("analyses", ", ".join(ran)),
        ("skipped", "; ".join(f"{k}: lacks {', '.join(v)}" for k, v in skipped.items()) or "none"),
        ("area_crs", st.study.area_crs),
    ]
    return pd.DataFrame(rows, columns=["key", "value"])


__all__ = [
    "ANALYSES",
    "SYNTHETIC_LABEL",
    "Analysis",
    "AnalysisResult",
    "InputError",
    "Inputs",
    "RunResult",
    "plan",
    "read_inputs",
    "run_study",
]
