"""The ``ecozone`` command line: demo, init, validate, run.

Thin by design: every command calls the public Python API. Errors are one
clear message (file, row/key/pixel, fix) and a non-zero exit code; a
traceback only with ``--debug``.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ecozone._version import __version__
from ecozone.errors import EcozoneError
from ecozone.progress import SilentReporter, Step

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="ecozone: carrying capacity, carbon budgets and zoning for regional planners.",
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out_console = Console(soft_wrap=True)
_state = {"debug": False}


class RichReporter(SilentReporter):
    """Progress bars (rich) for every step; notes printed as they come."""

    def __init__(self, progress: Progress):
        super().__init__()
        self.progress = progress
        self._tasks: dict[str, int] = {}

    def _make_step(self, description: str, total: float | None) -> Step:
        tid = self.progress.add_task(description, total=total)
        self._tasks[description] = tid
        return Step(lambda n: self.progress.advance(tid, n))

    def _end_step(self, description: str) -> None:
        tid = self._tasks.pop(description, None)
        if tid is not None:
            t = self.progress.tasks[[t.id for t in self.progress.tasks].index(tid)]
            self.progress.update(tid, total=t.total or 1, completed=t.total or 1)

    def note(self, message: str) -> None:
        super().note(message)
        self.progress.console.print(f"[dim]note:[/dim] {escape(message)}")


@contextmanager
def _progress():
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f}", justify="right"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal and os.environ.get("ECOZONE_PROGRESS") != "1",
    ) as p:
        yield RichReporter(p)


def _fail(e: BaseException) -> None:
    if _state["debug"]:
        raise e
    if isinstance(e, EcozoneError):
        console.print(f"[bold red]Error:[/bold red] {escape(e.message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    if isinstance(e, OSError) and e.filename is not None:
        # the file system refused (no permission, disk full, a file held open elsewhere): the user can fix it
        what = e.strerror or type(e).__name__
        console.print(
            f"[bold red]Error:[/bold red] {escape(str(e.filename))}: {escape(what)}\n"
            "Fix: check that the folder exists, that you may read and write there and that the disk has "
            "space (close the file if another program holds it open); earlier outputs are untouched.",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    console.print(
        f"[bold red]Unexpected error:[/bold red] {type(e).__name__}: {escape(str(e))}\n"
        "This is a bug in ecozone, not in your data. Rerun with --debug for the traceback and report it.",
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(3)


@contextmanager
def _errors():
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except KeyboardInterrupt:
        console.print("[red]Interrupted.[/red] Earlier outputs are untouched.")
        raise typer.Exit(130) from None
    except Exception as e:  # noqa: BLE001 - every error goes through _fail
        _fail(e)


def _version(value: bool):
    if value:
        out_console.print(f"ecozone {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    _state["debug"] = debug


def demo_cache_dir() -> Path:
    """Where the demo study is built (``$ECOZONE_CACHE`` or the user cache folder)."""
    base = os.environ.get("ECOZONE_CACHE") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    if not os.environ.get("ECOZONE_CACHE"):
        root = root / "ecozone"
    return root / f"demo-study-{__version__}"


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("ecozone-demo"),
    scheduler: Annotated[str | None, typer.Option(help="dask.distributed scheduler address.")] = None,
) -> None:
    """Build the embedded demo study (synthetic data on real boundaries) and run it."""
    from ecozone.demo import build_demo_study
    from ecozone.run import run_study

    with _errors(), _progress() as rep:
        with rep.step("building the demo study (cached)"):
            study_file = build_demo_study(demo_cache_dir(), progress=None)
        res = run_study(study_file, out=out, scheduler=scheduler, reporter=rep)
    _print_result(res, study_file)


def _print_result(res, study_file: Path | None = None) -> None:
    m = res.manifest
    if m.get("synthetic"):
        out_console.print("[bold yellow]synthetic demo data[/bold yellow] — not real measurements")
    if study_file is not None:
        out_console.print(f"study:   {study_file}")
    out_console.print(f"results: {res.out_dir / 'results.gpkg'}")
    out_console.print(f"tables:  {res.out_dir / 'results.xlsx'}")
    if res.rasters:
        out_console.print(f"rasters: {res.out_dir / 'rasters'} ({len(res.rasters)} COGs)")
    rep = res.out_dir / "report.html"
    if rep.exists():
        out_console.print(f"report:  {rep}")
    out_console.print(f"manifest: {res.out_dir / 'manifest.json'}")
    pg = getattr(res, "postgis", None)
    if pg is not None:
        out_console.print(f"postgis: {escape(pg.url)} schema {pg.schema} ({len(pg.tables)} tables, {len(pg.views)} map "
                          f"layers; run {pg.run_id})")
    for name, why in res.skipped.items():
        out_console.print(f"[yellow]skipped {name}[/yellow]: lacks {', '.join(why)}")
    out_console.print(f"done in {m['timings_s']['total']:.1f} s")


@app.command()
def init(directory: Annotated[Path, typer.Argument(help="Folder for the new study.")]) -> None:
    """Write a commented template study file into DIRECTORY."""
    from ecozone.template import study_template

    with _errors():
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / "ecozone.toml"
        if target.exists():
            raise EcozoneError(
                "a study file exists already",
                where=str(target),
                fix="choose another folder, or move the existing file away",
            )
        target.write_text(study_template(), encoding="utf-8")
    out_console.print(f"wrote {target}: edit the paths and levels, then run `ecozone validate {directory}`")


@app.command()
def validate(study: Annotated[Path, typer.Argument(help="Study file or folder.")]) -> None:
    """Check every input of a study; print which analyses can run and what each lacks."""
    from ecozone.run import ANALYSES, plan, read_inputs
    from ecozone.study import load_study

    with _errors(), _progress() as rep:
        st = load_study(study)
        inp = read_inputs(st, rep)
        lacks = plan(st, inp)
    t = Table(title=f"units of {st.study.name}")
    t.add_column("level")
    t.add_column("units", justify="right")
    t.add_column("area km²", justify="right")
    for lv in inp.units.levels:
        f = inp.units.of_level(lv)
        t.add_row(lv, str(len(f)), f"{f['area_km2'].sum():,.0f}")
    out_console.print(t)
    if inp.tables:
        tt = Table(title="tables")
        tt.add_column("table")
        tt.add_column("rows", justify="right")
        tt.add_column("years")
        for name, df in inp.tables.items():
            years = sorted(df["year"].unique()) if "year" in df else []
            tt.add_row(name, str(len(df)), f"{years[0]}-{years[-1]}" if years else "")
        out_console.print(tt)
    if inp.rasters.paths:
        g = inp.rasters.grid
        rt = Table(title=f"rasters on the reference grid {g.width} x {g.height} ({inp.rasters.reference.name})")
        rt.add_column("variable")
        rt.add_column("files", justify="right")
        for var, files in inp.rasters.paths.items():
            rt.add_row(var, str(len(files)))
        out_console.print(rt)
    if inp.layers:
        lt = Table(title="layers")
        lt.add_column("layer")
        lt.add_column("features", justify="right")
        lt.add_column("geometry")
        for name, gdf in inp.layers.items():
            lt.add_row(name, str(len(gdf)), ", ".join(sorted(set(gdf.geom_type))))
        out_console.print(lt)
    at = Table(title="analyses")
    at.add_column("analysis")
    at.add_column("can run")
    at.add_column("lacks")
    for name, a in ANALYSES.items():
        ok = not lacks[name]
        at.add_row(f"{name} — {a.title}", "[green]yes[/green]" if ok else "[red]no[/red]", ", ".join(lacks[name]))
    out_console.print(at)
    if not any(not v for v in lacks.values()):
        console.print("[red]No analysis can run with these inputs.[/red]")
        raise typer.Exit(1)
    out_console.print("[green]inputs are valid[/green]")


@app.command()
def run(
    study: Annotated[Path, typer.Argument(help="Study file or folder.")],
    out: Annotated[Path | None, typer.Option("--out", help="Output folder (default STUDY/out).")] = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only these analyses (repeatable).")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="dask.distributed scheduler address, e.g. tcp://host:8786.")
    ] = None,
    store: Annotated[
        str | None,
        typer.Option("--store", help="Also write the results into PostGIS: postgresql://USER@HOST:PORT/DB "
                     "(password from PGPASSWORD or .pgpass)."),
    ] = None,
    schema: Annotated[
        str | None, typer.Option("--schema", help="Schema for --store (default [store] schema, ecozone).")
    ] = None,
) -> None:
    """Run every analysis the study's inputs allow; write results atomically."""
    from ecozone.run import run_study

    names = [n.strip() for o in (only or []) for n in o.split(",") if n.strip()] or None
    with _errors(), _progress() as rep:
        res = run_study(study, out=out, only=names, scheduler=scheduler, reporter=rep, store=store, schema=schema)
    _print_result(res)


@app.command()
def report(
    out: Annotated[Path, typer.Argument(help="An output folder written by `ecozone run` or `ecozone demo`.")],
    lang: Annotated[str, typer.Option("--lang", help="Language of the report: en or zh.")] = "en",
) -> None:
    """Regenerate the report (HTML, figures) from an output folder without recomputing."""
    from ecozone.report import build_report
    from ecozone.store import read_manifest

    with _errors(), _progress() as rep:
        if lang not in ("en", "zh"):
            raise EcozoneError(f"unknown language {lang!r}", where="--lang", fix="use en or zh")
        read_manifest(out)
        with rep.step("writing report"):
            path = build_report(out, lang=lang)
    out_console.print(f"report:  {path}")


def entry() -> None:  # pragma: no cover
    app()
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    app()
