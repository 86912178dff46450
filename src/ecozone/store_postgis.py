"""Results in PostGIS: the layers and tables of ``results.gpkg`` in one transaction (METHODS §0.4).

``ecozone run STUDY --store postgresql://user@host/db [--schema NAME]`` (or
``[store] url, schema`` in the study file) writes, besides the output folder,
into the schema (default ``ecozone``) of a PostgreSQL database with PostGIS:

``units``
    every unit of every level (``fid`` primary key, ``level``, ``unit_id``,
    ``name`` …, ``geometry`` MultiPolygon, SRID 4326, GiST index).
one table per result table
    with the column types the analyses declare (``schema.csv``:
    ``float`` → ``double precision``, ``int`` → ``bigint``, ``str`` →
    ``text``, ``bool`` → ``boolean``, :data:`ecozone.schema.SQL_TYPES`), an
    index on the key columns and the column labels and units as comments. A
    result table with geometries (a GeoDataFrame) is a geometry table (SRID
    4326, GiST index).
``<table>_map_<level>``
    the analyses' map layers (:class:`ecozone.analysis.MapLayer`): views
    joining ``units`` to the table, the same columns as the GeoPackage's
    views, with their default QGIS style (QML and SLD, :func:`ecozone.qgis.style_qml`)
    in ``public.layer_styles``, the table QGIS reads its styles from.
``about``
    the study, version and analyses of the run (key, value).
``runs``
    one row per run: ``run_id``, ``created``, ``study``, ``ecozone_version``,
    ``parameters``, ``inputs`` (file → SHA-256) … kept across runs.

Everything is written in **one transaction**: a run that fails (a refused
table, a lost connection, an interrupted process) leaves the schema and the
styles exactly as they were. A run replaces the tables and views of the
previous run in the same schema (listed in ``runs.tables``), so the schema
always holds one consistent run, like the output folder.

Passwords come only from libpq's usual places, the ``PGPASSWORD``
environment variable or a ``.pgpass`` file (``PGPASSFILE``); a URL holding
a password is refused, and URLs are shown and recorded without one.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from ecozone.errors import EcozoneError, InputError
from ecozone.schema import SQL_TYPES, TableSchema

DEFAULT_SCHEMA = "ecozone"
#: tables of the schema that outlive a run
KEPT = ("runs",)
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")

LAYER_STYLES_DDL = """
CREATE TABLE IF NOT EXISTS public.layer_styles (
  id serial PRIMARY KEY,
  f_table_catalog varchar,
  f_table_schema varchar,
  f_table_name varchar,
  f_geometry_column varchar,
  stylename text,
  styleqml xml,
  stylesld xml,
  useasdefault boolean,
  description text,
  owner varchar(63) DEFAULT CURRENT_USER,
  ui xml,
  update_time timestamp DEFAULT CURRENT_TIMESTAMP,
  type varchar
)
"""

RUNS_DDL = """
CREATE TABLE IF NOT EXISTS {schema}.runs (
  run_id text PRIMARY KEY,
  created timestamptz NOT NULL,
  study text,
  study_file text,
  ecozone_version text,
  synthetic boolean,
  analyses jsonb,
  skipped jsonb,
  parameters jsonb,
  inputs jsonb,
  tables text[],
  notes jsonb
)
"""


@dataclass
class PostgisResult:
    """What :func:`write_postgis` wrote."""

    url: str  #: the database URL, without password
    schema: str
    run_id: str
    tables: list[str] = field(default_factory=list)
    views: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _schema_where(where: str) -> str:
    """Where the schema was given, from where the URL was (``--store`` or the study file's key)."""
    return "--schema" if where == "--store" else where.replace("store.url", "store.schema")


def check_schema_name(name: str, where: str = "--schema") -> str:
    """``name`` if it is a plain PostgreSQL identifier (lower case, digits, ``_``), else an error."""
    if not isinstance(name, str) or not _IDENT.match(name) or name.startswith("pg_"):
        raise InputError(
            f"schema name {name!r} is not a plain lower-case identifier",
            where=where,
            fix="give a name of lower-case letters, digits and _ that starts with a letter, e.g. ecozone "
            "or my_study (not pg_…)",
        )
    return name


def mask_url(url) -> str:
    """The URL as text with any password replaced by ``***``."""
    from sqlalchemy.engine import make_url

    try:
        u = make_url(str(url))
    except Exception:  # noqa: BLE001 - not a URL: show only its scheme
        return str(url).split("://", 1)[0] + "://…"
    return u.render_as_string(hide_password=True)


def parse_url(url: str, where: str = "--store"):
    """A :class:`sqlalchemy.engine.URL` for psycopg from ``postgresql://user@host:port/db``.

    Raises :class:`InputError` for another scheme or a URL holding a password
    (give it in ``PGPASSWORD`` or a ``.pgpass`` file).
    """
    from sqlalchemy.engine import make_url

    text = str(url or "").strip()
    try:
        u = make_url(text)
    except Exception:  # noqa: BLE001 - sqlalchemy's ArgumentError and friends
        u = None
    if u is None or u.drivername not in _SCHEMES:
        shown = text.split("://", 1)[0] + "://…" if "://" in text else repr(text)
        raise InputError(
            f"{shown} is not a PostgreSQL URL",
            where=where,
            fix="give postgresql://USER@HOST:PORT/DATABASE (e.g. postgresql://planner@localhost/gis)",
        )
    if u.password is not None:
        raise InputError(
            f"the database URL {u.render_as_string(hide_password=True)} holds a password",
            where=where,
            fix="remove the password from the URL and give it in the environment variable PGPASSWORD or in a "
            ".pgpass file (see docs/store.md); passwords are never read from the command line or study file",
        )
    return u.set(drivername="postgresql+psycopg")


def _shown(u) -> str:
    """The URL as the user writes it (``postgresql://``), without password."""
    return u.set(drivername="postgresql").render_as_string(hide_password=True)


def _engine(u):
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(
        u, poolclass=NullPool, connect_args={"connect_timeout": 10, "application_name": "ecozone"}
    )


def _first_line(e: BaseException) -> str:
    """The server's message (and its detail, e.g. which view depends on a table) in one line."""
    orig = getattr(e, "orig", None) or e
    lines = [ln.strip() for ln in str(orig).splitlines() if ln.strip()]
    first = lines[0] if lines else type(orig).__name__
    detail = getattr(getattr(orig, "diag", None), "message_detail", None)
    return f"{first}: {detail.strip()}" if detail and detail.strip() not in first else first


def _connect_error(e: BaseException, shown: str, where: str) -> EcozoneError:
    return EcozoneError(
        f"cannot connect to PostgreSQL at {shown} ({_first_line(e)})",
        where=where,
        fix="check host, port, database and user of the URL and that the server runs; give the password in "
        "PGPASSWORD or a .pgpass file; earlier outputs are untouched",
    )


def _ensure_postgis(con, shown: str, where: str) -> None:
    from sqlalchemy import exc, text

    if con.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first():
        return
    available = con.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")).first()
    if available:
        try:
            with con.begin_nested():
                con.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            return
        except exc.DBAPIError as e:
            reason = _first_line(e)
    else:
        reason = "PostGIS is not installed on the server"
    raise EcozoneError(
        f"the database at {shown} has no PostGIS ({reason})",
        where=where,
        fix="ask the database owner to run CREATE EXTENSION postgis; in that database (or install PostGIS, "
        "e.g. the Debian package postgresql-NN-postgis-3)",
    )


def check_postgis(url: str, schema: str = DEFAULT_SCHEMA, *, where: str = "--store") -> str:
    """Check before a run that the database takes the results; return the URL without password.

    Connects, checks PostGIS (creating the extension when the user may) and
    the right to create the schema or its tables; nothing is changed.
    """
    from sqlalchemy import exc, text

    u = parse_url(url, where)
    check_schema_name(schema, _schema_where(where))
    shown = _shown(u)
    try:
        eng = _engine(u)
        with eng.connect() as con, con.begin() as tx:
            _ensure_postgis(con, shown, where)
            exists = con.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}).first()
            if exists:
                ok = con.execute(text("SELECT has_schema_privilege(:s, 'CREATE')"), {"s": schema}).scalar()
            else:
                ok = con.execute(text("SELECT has_database_privilege(current_database(), 'CREATE')")).scalar()
            tx.rollback()
    except EcozoneError:
        raise
    except exc.DBAPIError as e:
        raise _connect_error(e, shown, where) from None
    if not ok:
        raise EcozoneError(
            f"the user of {shown} may not create tables in schema {schema!r}",
            where=where,
            fix=f"GRANT CREATE ON {'SCHEMA ' + schema if exists else 'DATABASE'} TO the user, or give another "
            "--schema / database",
        )
    return shown


# ----------------------------------------------------------------------------- frames


def _sql_type(name: str):
    from sqlalchemy import BigInteger, Boolean, Text
    from sqlalchemy.dialects.postgresql import DOUBLE_PRECISION

    return {"double precision": DOUBLE_PRECISION, "bigint": BigInteger, "text": Text, "boolean": Boolean}[name]()


def _inferred_type(s: pd.Series):
    """SQL type of an undeclared column from its pandas dtype."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return _sql_type(SQL_TYPES["bool"][1])
    if pd.api.types.is_integer_dtype(s.dtype):
        return _sql_type(SQL_TYPES["int"][1])
    if pd.api.types.is_float_dtype(s.dtype):
        return _sql_type(SQL_TYPES["float"][1])
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return None  # pandas' own timestamp type
    return _sql_type(SQL_TYPES["str"][1])


def _column_types(df: pd.DataFrame, schema: TableSchema | None, skip: str | None = None) -> dict:
    out = {}
    for c in df.columns:
        if c == skip:
            continue
        t = _sql_type(SQL_TYPES[schema[c].dtype][1]) if schema is not None and c in schema else _inferred_type(df[c])
        if t is not None:
            out[str(c)] = t
    return out


def _geometry_name(df) -> str | None:
    name = getattr(df, "_geometry_column_name", None)
    return name if name is not None and name in df.columns and getattr(df, "crs", None) is not None else None


def _to_4326(gdf):
    """EPSG:4326, polygons promoted to multipolygons where both occur (one geometry type per table)."""
    import geopandas as gpd
    from shapely.geometry import MultiLineString, MultiPoint, MultiPolygon

    g = gdf.to_crs(4326)
    col = g.geometry.name
    kinds = g.geometry.geom_type
    types = set(kinds.dropna())
    for multi, kind in ((MultiPolygon, "Polygon"), (MultiLineString, "LineString"), (MultiPoint, "Point")):
        if types == {kind, "Multi" + kind}:
            arr = g.geometry.to_numpy().copy()
            for i in np.flatnonzero((kinds == kind).to_numpy()):
                arr[i] = multi([arr[i]])
            g[col] = gpd.GeoSeries(arr, index=g.index, crs=g.crs)
    return g


def _copy_rows(table, conn, keys, data_iter) -> None:
    """pandas ``to_sql`` method: rows with PostgreSQL ``COPY`` (psycopg), NaN as NULL."""
    dbapi = conn.connection.driver_connection
    name = f"{_q(table.schema)}.{_q(table.name)}" if table.schema else _q(table.name)
    cols = ", ".join(_q(k) for k in keys)
    with dbapi.cursor() as cur, cur.copy(f"COPY {name} ({cols}) FROM STDIN") as cp:
        for row in data_iter:
            cp.write_row([None if isinstance(v, float) and v != v else v for v in row])


# ----------------------------------------------------------------------------- write


def write_postgis(
    url: str,
    schema: str | None,
    units_frame,
    tables: dict[str, pd.DataFrame],
    schemas: dict[str, TableSchema] | None,
    maps,
    about: pd.DataFrame,
    manifest: dict,
    *,
    lang: str = "en",
    where: str = "--store",
) -> PostgisResult:
    """Write a run's results into ``schema`` of a PostGIS database, in one transaction.

    Parameters
    ----------
    url: ``postgresql://user@host:port/db`` without password (PGPASSWORD or .pgpass give it).
    schema: the run's schema (default ``ecozone``), created when absent.
    units_frame: the units of every level (GeoDataFrame with ``level, unit_id, name``).
    tables: the result tables (``{name: DataFrame}``; GeoDataFrames become geometry tables).
    schemas: declared column types (``{table: TableSchema}``); undeclared columns are typed from pandas.
    maps: :class:`ecozone.analysis.MapLayer` declarations: a styled view per table and level.
    about: the ``about`` table (key, value).
    manifest: the run's manifest (``created``, ``study``, ``ecozone_version``, ``parameters``,
        ``inputs`` …) for the ``runs`` table; its ``store.run_id`` is used when given.

    The previous run's tables and views in the schema are replaced; a failure
    at any point rolls everything back (:class:`~ecozone.errors.EcozoneError`
    naming the table) and leaves the database as it was.
    """
    import psycopg
    from sqlalchemy import exc

    from ecozone.store import _sanitize, typed_tables

    schema = check_schema_name(schema or DEFAULT_SCHEMA, _schema_where(where))
    u = parse_url(url, where)
    shown = _shown(u)
    run_id = str((manifest.get("store") or {}).get("run_id") or uuid.uuid4())
    res = PostgisResult(url=shown, schema=schema, run_id=run_id)
    schemas = schemas or {}
    typed = typed_tables({k: v for k, v in tables.items() if k != "about"}, schemas)
    eng = _engine(u)
    step = "connecting"
    try:
        con = eng.connect()
    except exc.DBAPIError as e:
        raise _connect_error(e, shown, where) from None
    try:
        with con.begin():
            step = "checking PostGIS"
            _ensure_postgis(con, shown, where)
            step = "replacing the previous run's tables"
            previous = _prepare_schema(con, schema, [*typed, "about", "units"], maps)
            step = "table units"
            ucol = _write_units(con, schema, units_frame)
            res.tables.append("units")
            for name, df in typed.items():
                step = f"table {name}"
                _write_table(con, schema, name, df, schemas.get(name), _sanitize)
                res.tables.append(name)
            step = "table about"
            _write_table(con, schema, "about", about, None, _sanitize)
            res.tables.append("about")
            step = "map layers"
            made = _write_views(con, schema, typed, maps, units_frame, ucol, lang)
            res.views = [v for v, _qml, _sld, _title in made]
            step = "styles in public.layer_styles"
            note = _write_styles(con, schema, made, previous, ucol)
            if note:
                res.notes.append(note)
            step = "table runs"
            _write_run(con, schema, run_id, manifest, res.tables + res.views)
    except EcozoneError:
        raise
    except (exc.DBAPIError, psycopg.Error) as e:
        raise EcozoneError(
            f"PostgreSQL refused the results ({_first_line(e)}); nothing was written, the schema is as it was",
            where=f"{shown}, schema {schema}, {step}",
            fix=_fix_for(e),
        ) from None
    finally:
        con.close()
        eng.dispose()
    return res


def _fix_for(e) -> str:
    code = getattr(getattr(e, "orig", None) or e, "sqlstate", None) or ""
    if code == "2BP01":  # dependent objects still exist
        return ("drop or move the views you made on ecozone's tables in this schema (ecozone replaces its "
                "tables on every run), or write to another --schema")
    if code == "42501":
        return "grant the user the right to create tables in the schema (GRANT CREATE ON SCHEMA …), or use another"
    if code.startswith("08"):
        return "check the connection to the server and run again"
    if code.startswith("53"):
        return "free disk space or memory on the database server and run again"
    return "correct the cause named above and run again; the output folder and the database are unchanged"


def _relations(con, schema: str) -> dict[str, str]:
    """``{name: relkind}`` of the tables (r, p), views (v) and materialized views (m) of ``schema``."""
    from sqlalchemy import text

    rows = con.execute(
        text(
            "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :s AND c.relkind IN ('r', 'p', 'v', 'm')"
        ),
        {"s": schema},
    )
    return {r[0]: r[1] for r in rows}


def _prepare_schema(con, schema: str, names: list[str], maps) -> list[str]:
    """Create the schema and ``runs``; drop the previous run's relations and those about to be written.

    Returns the names the previous run wrote.
    """
    from sqlalchemy import text

    # one writer per schema at a time (a second run waits for the first to commit)
    con.execute(text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": "ecozone:" + schema})
    con.execute(text(f"CREATE SCHEMA IF NOT EXISTS {_q(schema)}"))
    con.execute(text(RUNS_DDL.format(schema=_q(schema))))
    prev = con.execute(text(f"SELECT tables FROM {_q(schema)}.runs ORDER BY created DESC LIMIT 1")).first()
    previous = list(prev[0] or []) if prev else []
    rels = _relations(con, schema)
    mine = set(previous) | set(names)
    prefixes = tuple(f"{m.table}_map_" for m in (maps or ()))
    mine |= {r for r, k in rels.items() if k == "v" and prefixes and r.startswith(prefixes)}
    mine -= set(KEPT)
    for kinds, what in ((("v",), "VIEW"), (("m",), "MATERIALIZED VIEW"), (("r", "p"), "TABLE")):
        for r in sorted(mine):
            if rels.get(r) in kinds:
                con.execute(text(f"DROP {what} {_q(schema)}.{_q(r)}"))
    return previous


def _write_units(con, schema: str, units_frame) -> str:
    """The ``units`` geometry table; returns its geometry column."""
    from sqlalchemy import text

    g = _to_4326(units_frame).reset_index(drop=True)
    gcol = g.geometry.name
    g.insert(0, "fid", np.arange(1, len(g) + 1, dtype="int64"))
    g = g.astype({c: object for c in g.columns if c != gcol and g[c].dtype == "category"})
    g.to_postgis("units", con, schema=schema, index=False, dtype=_column_types(g, None, skip=gcol))
    t = f"{_q(schema)}.{_q('units')}"
    con.execute(text(f"ALTER TABLE {t} ADD PRIMARY KEY (fid)"))
    con.execute(text(f"CREATE INDEX ON {t} (level, unit_id)"))
    _spatial_index(con, schema, "units", gcol)
    return gcol


def _spatial_index(con, schema: str, table: str, gcol: str) -> None:
    """A GiST index on the geometry column (GeoAlchemy2 makes one; made here when it did not)."""
    from sqlalchemy import text

    has = con.execute(
        text(
            "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
            "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = :s AND t.relname = :t AND a.amname = 'gist'"
        ),
        {"s": schema, "t": table},
    ).first()
    if not has:
        con.execute(text(f"CREATE INDEX ON {_q(schema)}.{_q(table)} USING GIST ({_q(gcol)})"))


def _write_table(con, schema: str, name: str, df: pd.DataFrame, sch: TableSchema | None, sanitize) -> None:
    from sqlalchemy import text

    from ecozone.labels import Labels, column_header

    gcol = _geometry_name(df)
    if gcol is not None:
        g = _to_4326(df).reset_index(drop=True)
        gcol = g.geometry.name
        attrs = sanitize(pd.DataFrame(g.drop(columns=gcol)))
        g = g[[gcol]].join(attrs)[list(g.columns)]
        g.to_postgis(name, con, schema=schema, index=False, dtype=_column_types(g, sch, skip=gcol))
        _spatial_index(con, schema, name, gcol)
    else:
        d = sanitize(pd.DataFrame(df).reset_index(drop=True))
        d.to_sql(name, con, schema=schema, index=False, dtype=_column_types(d, sch), method=_copy_rows,
                 chunksize=50_000)
    t = f"{_q(schema)}.{_q(name)}"
    cols = [c for c in df.columns if c != gcol]
    keys = [k for k in (sch.keys if sch is not None else []) if k in cols]
    if not keys:
        keys = [k for k in ("level", "unit_id", "year") if k in cols]
    if keys:
        con.execute(text(f"CREATE INDEX ON {t} ({', '.join(_q(k) for k in keys)})"))
    comments = []
    title = Labels("en")(f"table.{name}", default="")
    if title:
        comments.append(f"COMMENT ON TABLE {t} IS {_lit(title)}")
    for c in cols:
        en, zh, unit = column_header(str(c), name)
        label = " / ".join(x for x in (en, zh) if x and x != c)
        if unit and unit not in ("-", "–"):
            label = f"{label} [{unit}]" if label else f"[{unit}]"
        if label:
            comments.append(f"COMMENT ON COLUMN {t}.{_q(c)} IS {_lit(label)}")
    if comments:  # psycopg directly, without parameters: labels may hold % and :
        with con.connection.driver_connection.cursor() as cur:
            cur.execute(";\n".join(comments).encode("utf-8"))


def _lit(v) -> str:
    return "'" + str(v).replace("'", "''") + "'"


def _write_views(con, schema: str, tables: dict[str, pd.DataFrame], maps, units_frame, gcol: str, lang: str):
    """A view per map layer and level joining ``units`` to its table (as :mod:`ecozone.qgis` in the GeoPackage).

    Returns ``(view, qml, sld, title)`` of every view made.
    """
    from sqlalchemy import text

    from ecozone.labels import Labels
    from ecozone.qgis import _safe, style_qml, style_sld

    L = Labels(lang)
    made = []
    ucols = set(units_frame.columns)
    for m in maps or ():
        df = tables.get(m.table)
        if df is None or not {"level", "unit_id", "year", m.styled} <= set(df.columns):
            continue
        years = sorted(int(y) for y in pd.unique(df["year"].dropna()))
        if not years:
            continue
        latest = years[-1]
        levels = [lv for lv in pd.unique(df.loc[df[m.styled].notna(), "level"]) if lv is not None]
        present = {str(v) for v in pd.unique(df[m.styled].dropna()) if str(v)}
        codes = [c for c in L.order(m.category) if c in present] + sorted(present - set(L.order(m.category)))
        cats = [(c, L.code(m.category, c), L.color(f"{m.category}.{c}")) for c in codes]
        t = f"{_q(schema)}.{_q(m.table)}"
        for level in levels:
            view = f"{m.table}_map_{_safe(level)}"
            sel = ["u.fid AS fid", f"u.{_q(gcol)} AS {_q(gcol)}", "u.unit_id AS unit_id", "u.name AS name"]
            if "area_km2" in ucols:
                sel.append("u.area_km2 AS area_km2")
            for canon, alts in m.columns:
                src = next((c for c in (canon, *alts) if c in df.columns), None)
                if src is not None:
                    sel.append(f"y{latest}.{_q(src)} AS {_q(canon)}")
            joins = []
            for y in years:
                sel.append(f"y{y}.{_q(m.yearly)} AS {_q(f'{m.yearly}_{y}')}")
                joins.append(f"LEFT JOIN {t} y{y} ON y{y}.unit_id = u.unit_id AND y{y}.level = u.level "
                             f"AND y{y}.year = {y}")
            con.execute(text(
                f"CREATE VIEW {_q(schema)}.{_q(view)} AS SELECT {', '.join(sel)} FROM {_q(schema)}.units u "
                f"{' '.join(joins)} WHERE u.level = {_lit(level)}"
            ))
            title = f"{L(f'table.{m.table}')} — {L.column(m.styled)} · {L.level(level)} · {latest}"
            con.execute(text(f"COMMENT ON VIEW {_q(schema)}.{_q(view)} IS {_lit(title)}"))
            made.append((view, style_qml(m.styled, cats, L("ui.no_data")), style_sld(view, m.styled, cats), title))
    return made


def _write_styles(con, schema: str, made, previous: list[str], gcol: str) -> str | None:
    """Default styles of the views in ``public.layer_styles`` (created as QGIS does when absent).

    Returns a note when the user may not write there (the results are written all the same).
    """
    from sqlalchemy import text

    exists = con.execute(text("SELECT to_regclass('public.layer_styles') IS NOT NULL")).scalar()
    if exists:
        ok = con.execute(text("SELECT has_table_privilege('public.layer_styles', 'INSERT, DELETE')")).scalar()
    else:
        ok = con.execute(text("SELECT has_schema_privilege('public', 'CREATE')")).scalar()
    if not ok:
        return ("QGIS styles not written: the user may not write public.layer_styles (GRANT INSERT, DELETE ON "
                "public.layer_styles, or CREATE ON SCHEMA public, to give the map layers their default styles)")
    if not exists:
        con.execute(text(LAYER_STYLES_DDL))
    cols = {r[0] for r in con.execute(text(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name = 'layer_styles'"))}
    names = sorted({v for v, *_ in made} | set(previous))
    con.execute(
        text("DELETE FROM public.layer_styles WHERE f_table_catalog = current_database() "
             "AND f_table_schema = :s AND f_table_name = ANY(:n)"),
        {"s": schema, "n": names},
    )
    fields = ["f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "stylename", "styleqml",
              "stylesld", "useasdefault", "description", "owner", "update_time"]
    values = ["current_database()", ":s", ":v", ":g", ":name", "XMLPARSE(DOCUMENT CAST(:qml AS text))",
              "XMLPARSE(DOCUMENT CAST(:sld AS text))", "true", ":title", "CURRENT_USER", "CURRENT_TIMESTAMP"]
    if "type" in cols:
        fields.append("type")
        values.append("'Polygon'")
    sql = text(f"INSERT INTO public.layer_styles ({', '.join(fields)}) VALUES ({', '.join(values)})")
    for view, qml, sld, title in made:
        con.execute(sql, {"s": schema, "v": view, "g": gcol, "name": view, "qml": qml, "sld": sld,
                          "title": title})
    return None


def _write_run(con, schema: str, run_id: str, manifest: dict, written: list[str]) -> None:
    from sqlalchemy import text

    def js(v) -> str:
        return json.dumps(v, ensure_ascii=False, default=str)

    created = manifest.get("created") or datetime.now(UTC).isoformat(timespec="seconds")
    con.execute(
        text(
            f"INSERT INTO {_q(schema)}.runs (run_id, created, study, study_file, ecozone_version, synthetic, "
            "analyses, skipped, parameters, inputs, tables, notes) VALUES (:run_id, CAST(:created AS timestamptz), "
            ":study, :study_file, :version, :synthetic, CAST(:analyses AS jsonb), CAST(:skipped AS jsonb), "
            "CAST(:parameters AS jsonb), CAST(:inputs AS jsonb), :tables, CAST(:notes AS jsonb))"
        ),
        {
            "run_id": run_id,
            "created": str(created),
            "study": manifest.get("study"),
            "study_file": manifest.get("study_file"),
            "version": manifest.get("ecozone_version"),
            "synthetic": bool(manifest.get("synthetic", False)),
            "analyses": js(manifest.get("analyses", [])),
            "skipped": js(manifest.get("skipped", {})),
            "parameters": js(manifest.get("parameters", {})),
            "inputs": js(manifest.get("inputs", {})),
            "tables": list(written),
            "notes": js(manifest.get("notes", [])),
        },
    )


__all__ = ["DEFAULT_SCHEMA", "PostgisResult", "check_postgis", "check_schema_name", "mask_url", "parse_url",
           "write_postgis"]
