"""Results in PostGIS (issue 14), against a real PostgreSQL + PostGIS server started here.

The module starts its own server (``initdb`` into a temporary folder, a
free port on 127.0.0.1, password authentication), as the ``postgres`` user
when run as root (PostgreSQL refuses to run as root). It is skipped, with
the reason, only where the server binaries or PostGIS are not installed
(Debian: ``postgresql`` and ``postgresql-NN-postgis-3``; ``make test``
installs them when run as root).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ecozone import store
from ecozone.cli import app
from ecozone.errors import EcozoneError, InputError
from ecozone.registry import ANALYSES
from ecozone.run import run_study
from ecozone.schema import SQL_TYPES
from ecozone.store_postgis import check_postgis, mask_url, parse_url, write_postgis

ADMIN, USER, DB = "ecozone_admin", "planner", "gis"
ADMIN_PW, USER_PW = "admin-pw-for-tests", "pw-for-tests"  # a throwaway server: these passwords guard nothing
RUN = ["capacity", "carbon"]  # the small study's analyses with map layers


# ----------------------------------------------------------------------------- the server


def _bindir() -> Path | None:
    """Folder of initdb/pg_ctl: on PATH, or Debian's /usr/lib/postgresql/NN/bin (newest)."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    cands = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(cands[-1]).parent if cands else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        # as root the server runs as `postgres`, which must reach its folder: /tmp, whatever TMPDIR says
        tmp = "/tmp" if self.as_root and os.path.isdir("/tmp") else None
        self.root = Path(tempfile.mkdtemp(prefix="ecozone-pg-", dir=tmp))
        self.data = self.root / "data"
        self.port = _free_port()
        if self.as_root:
            shutil.chown(self.root, user="postgres")

    def cmd(self, *args, check=True, timeout=60):
        argv = [str(self.bindir / args[0]), *map(str, args[1:])]
        if self.as_root:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=timeout)

    def start(self) -> None:
        pw = self.root / "pw"
        pw.write_text(ADMIN_PW + "\n")
        if self.as_root:
            shutil.chown(pw, user="postgres")
        self.cmd("initdb", "-D", self.data, "-U", ADMIN, f"--pwfile={pw}", "--auth=scram-sha-256", "--no-sync",
                 "-E", "UTF8", "--locale=C.UTF-8")
        opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off "
                "-c full_page_writes=off -c synchronous_commit=off")
        self.cmd("pg_ctl", "-D", self.data, "-l", self.root / "log", "-w", "-t", "60", "-o", opts, "start")

    def stop(self) -> None:
        if self.data.exists():
            self.cmd("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, user: str = USER, db: str = DB) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{db}"

    def connect(self, user: str = ADMIN, db: str = DB, password: str = ADMIN_PW, autocommit: bool = True):
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user=user, dbname=db, password=password,
                               autocommit=autocommit)


@pytest.fixture(scope="module")
def pg():
    """A PostgreSQL server with PostGIS: database ``gis`` owned by the login role ``planner``."""
    bindir = _bindir()
    if bindir is None or not (bindir / "pg_ctl").exists():
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not installed: apt-get install postgresql "
                    "postgresql-15-postgis-3 (make test does this when run as root)")
    srv = Server(bindir)
    try:
        try:
            srv.start()
        except subprocess.CalledProcessError as e:
            log = (srv.root / "log").read_text(errors="replace") if (srv.root / "log").exists() else ""
            pytest.fail(f"the test server did not start: {e.stderr}\n{log}")
        with srv.connect(db="postgres") as c:
            if not c.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone():
                pytest.skip("PostGIS is not installed for this PostgreSQL: apt-get install postgresql-NN-postgis-3")
            c.execute(f"CREATE ROLE {USER} LOGIN PASSWORD '{USER_PW}'")
            c.execute(f"CREATE DATABASE {DB} OWNER {USER}")
        with srv.connect() as c:  # PostGIS is not a trusted extension: the superuser installs it
            c.execute("CREATE EXTENSION postgis")
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def pw(monkeypatch):
    """The planner's password in the environment (libpq reads PGPASSWORD), no .pgpass."""
    monkeypatch.setenv("PGPASSWORD", USER_PW)
    monkeypatch.setenv("PGPASSFILE", os.devnull)


@pytest.fixture(scope="module")
def ran(pg, small_study_template, tmp_path_factory):
    """The small study run once with --store (capacity and carbon): (RunResult, study folder)."""
    study = tmp_path_factory.mktemp("pg-study") / "study"
    shutil.copytree(small_study_template, study)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PGPASSWORD", USER_PW)
        res = run_study(study, out=study / "out", only=RUN, store=pg.url(), report=False)
    return res, study


def snapshot(pg, schema: str) -> dict:
    """Every relation of ``schema`` with its kind, columns and a digest of its rows; runs; styles."""
    out = {}
    with pg.connect() as c:
        rels = c.execute(
            "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'v') ORDER BY 1", (schema,)).fetchall()
        for name, kind in rels:
            rows = c.execute(f'SELECT md5(string_agg(t::text, \'|\' ORDER BY t::text)), count(*) FROM '
                             f'"{schema}"."{name}" t').fetchone()
            cols = c.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = %s "
                             "AND table_name = %s ORDER BY ordinal_position", (schema, name)).fetchall()
            out[name] = (kind, rows, cols)
        out["public.layer_styles"] = c.execute(
            "SELECT f_table_name, md5(styleqml::text), update_time FROM public.layer_styles WHERE f_table_schema = %s "
            "ORDER BY 1", (schema,)).fetchall() if c.execute(
            "SELECT to_regclass('public.layer_styles')").fetchone()[0] else None
    return out


# ----------------------------------------------------------------------------- a run into PostGIS


def test_run_writes_the_geopackage_results_into_postgis(pg, ran):
    res, _study = ran
    gpkg = store.read_results(res.out_dir)
    schemas = {t: s for n in RUN for t, s in ANALYSES[n].schema.items()}
    assert res.postgis is not None and res.postgis.schema == "ecozone"
    views = [n for n in gpkg if "_map_" in n]
    assert sorted(res.postgis.views) == sorted(views) and views
    with pg.connect() as c:
        rels = dict(c.execute("SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n "
                              "ON n.oid = c.relnamespace WHERE n.nspname = 'ecozone' AND c.relkind IN ('r', 'v')"))
        # every layer of the GeoPackage, the runs table; map layers are views
        assert set(rels) == (set(gpkg) - {"layer_styles"}) | {"runs"}
        assert all(rels[v] == "v" for v in views)
        for name, df in gpkg.items():
            if name == "layer_styles":
                continue
            # row counts
            assert c.execute(f'SELECT count(*) FROM ecozone."{name}"').fetchone()[0] == len(df), name
            # column types: the declared ones from the schemas
            types = dict(c.execute("SELECT column_name, data_type FROM information_schema.columns "
                                   "WHERE table_schema = 'ecozone' AND table_name = %s", (name,)).fetchall())
            if name in schemas:
                declared = {col.name: SQL_TYPES[col.dtype][1] for col in schemas[name].columns if col.name in df}
                assert {k: types[k] for k in declared} == declared, name
                assert set(types) == set(df.columns) - {"geometry"}, name
            # the same values as the GeoPackage
            if name not in views and name != "units":
                cur = c.execute(f'SELECT * FROM ecozone."{name}"')
                back = pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
                keys = [k for k in df.columns if k in ("level", "unit_id", "year", "key", "variable", "zone")]
                a = df.sort_values(keys).reset_index(drop=True) if keys else df
                b = back[list(df.columns)].sort_values(keys).reset_index(drop=True) if keys else back
                for col in df.columns:
                    x, y = a[col], b[col]
                    if x.dtype.kind == "f" or y.dtype.kind == "f":
                        # the same doubles (COPY sends the shortest exact text of each)
                        np.testing.assert_array_equal(pd.to_numeric(x).to_numpy(float),
                                                      pd.to_numeric(y).to_numpy(float), err_msg=f"{name}.{col}")
                    else:
                        assert [None if pd.isna(v) else str(v) for v in x] == [
                            None if pd.isna(v) else str(v) for v in y], f"{name}.{col}"
        # geometries: valid, SRID 4326, MultiPolygon, a GiST index; the views are geometry layers too
        n_valid, srids, kinds = c.execute(
            "SELECT count(*) FILTER (WHERE ST_IsValid(geometry)), array_agg(DISTINCT ST_SRID(geometry)), "
            "array_agg(DISTINCT GeometryType(geometry)) FROM ecozone.units").fetchone()
        assert n_valid == len(gpkg["units"]) and srids == [4326] and kinds == ["MULTIPOLYGON"]
        gc = dict(((t, (srid, typ)) for t, srid, typ in c.execute(
            "SELECT f_table_name, srid, type FROM geometry_columns WHERE f_table_schema = 'ecozone'")))
        assert gc == {t: (4326, "MULTIPOLYGON") for t in ["units", *views]}
        assert c.execute("SELECT count(*) FROM pg_indexes WHERE schemaname = 'ecozone' AND tablename = 'units' "
                         "AND indexdef ILIKE '%USING gist (geometry)%'").fetchone()[0] == 1
        # units geometry equals the GeoPackage's
        area = dict(c.execute("SELECT level || ':' || unit_id, ST_Area(geometry) FROM ecozone.units"))
        u = gpkg["units"]
        for (lv, uid), g in zip(zip(u["level"], u["unit_id"], strict=True), u.geometry, strict=True):
            assert area[f"{lv}:{uid}"] == pytest.approx(g.area, rel=1e-12)
        # styles: one default style per map layer, the GeoPackage's categories
        styles = c.execute(
            "SELECT f_table_catalog, f_table_name, f_geometry_column, useasdefault, styleqml::text, stylesld::text "
            "FROM public.layer_styles WHERE f_table_schema = 'ecozone'").fetchall()
        assert sorted(s[1] for s in styles) == sorted(views)
        gstyles = {r["f_table_name"]: r["styleQML"] for _, r in gpkg["layer_styles"].iterrows()}
        for catalog, view, gcol, default, qml, sld in styles:
            assert (catalog, gcol, default) == (DB, "geometry", True)
            r_pg, r_gp = ET.fromstring(qml).find("renderer-v2"), ET.fromstring(gstyles[view]).find("renderer-v2")
            assert r_pg.get("type") == "categorizedSymbol" and r_pg.get("attr") == r_gp.get("attr")
            assert [(x.get("value"), x.get("label")) for x in r_pg.iter("category")] == [
                (x.get("value"), x.get("label")) for x in r_gp.iter("category")]
            assert "StyledLayerDescriptor" in sld
        # the map layers hold the GeoPackage views' rows and columns
        for v in views:
            cols = [r[0] for r in c.execute(f'SELECT * FROM ecozone."{v}" LIMIT 0').description]
            assert cols == ["fid", "geometry", *[k for k in gpkg[v].columns if k != "geometry"]], v
        # runs: the run's id, version, parameters and input checksums, as in the manifest
        m = res.manifest
        row = c.execute("SELECT run_id, ecozone_version, parameters, inputs, study, tables FROM ecozone.runs").fetchall()
        assert len(row) == 1
        run_id, version, params, inputs, study_name, tables = row[0]
        assert run_id == m["store"]["run_id"] == res.postgis.run_id
        assert (version, study_name) == (m["ecozone_version"], m["study"])
        assert params == json.loads(json.dumps(m["parameters"], default=str)) and inputs == m["inputs"] and inputs
        assert set(tables) == set(rels) - {"runs"}


def test_no_password_in_outputs(pg, ran):
    res, _study = ran
    text = (res.out_dir / "manifest.json").read_text(encoding="utf-8")
    assert USER_PW not in text
    assert res.manifest["store"]["url"] == pg.url()
    with pg.connect() as c:
        dump = " ".join(str(r) for r in c.execute("SELECT * FROM ecozone.runs"))
        assert USER_PW not in dump
    with pytest.raises(InputError) as e:
        parse_url(f"postgresql://{USER}:{USER_PW}@127.0.0.1:{pg.port}/{DB}")
    assert USER_PW not in str(e.value) and "PGPASSWORD" in str(e.value)
    assert USER_PW not in mask_url(f"postgresql://{USER}:{USER_PW}@h/db")


def test_second_run_replaces_tables_and_a_failed_run_changes_nothing(pg, ran, pw):
    res, _study = ran
    units = store.read_results(res.out_dir)["units"]
    tables = dict(res.tables)
    schemas = {t: s for n in RUN for t, s in ANALYSES[n].schema.items()}
    maps = [m for n in RUN for m in ANALYSES[n].maps]
    about = pd.DataFrame({"key": ["study"], "value": ["second"]})
    # a second run with carbon only: capacity's tables, views and styles go, the runs table keeps both runs
    only_carbon = {k: v for k, v in tables.items() if k.startswith("carbon")}
    manifest = {**res.manifest, "store": {}}
    out = write_postgis(pg.url(), "second", units, tables, schemas, maps, about, manifest)
    before = snapshot(pg, "second")
    assert {"capacity", "capacity_map_county"} <= set(before)
    out2 = write_postgis(pg.url(), "second", units, only_carbon, schemas, maps, about, manifest)
    assert out2.run_id != out.run_id
    after = snapshot(pg, "second")
    assert not any(k.startswith("capacity") for k in after)
    assert {s[0] for s in after["public.layer_styles"]} == {v for v in out2.views}
    assert after["runs"][1][1] == 2
    assert after["carbon"] == before["carbon"]

    # a run that fails midway (a text the server refuses, after the old tables were dropped and
    # units and every carbon table rewritten) leaves the schema and the styles as they were
    bad = {**tables, "zz_notes": pd.DataFrame({"level": ["county"], "unit_id": ["101"], "note": ["a\x00b"]})}
    with pytest.raises(EcozoneError) as e:
        write_postgis(pg.url(), "second", units, bad, schemas, maps, about, manifest)
    msg = str(e.value)
    assert "table zz_notes" in msg and "schema is as it was" in msg and "Fix:" in msg
    assert snapshot(pg, "second") == after


def test_failed_postgis_write_leaves_the_output_folder_untouched(pg, ran, pw):
    """A database that refuses the run (a user's view on ecozone's units) fails the whole run:
    a clear error, the output folder byte for byte as before, the schema unchanged."""
    res, study = ran
    out = study / "out"
    with pg.connect(user=USER, password=USER_PW) as c:
        c.execute("CREATE VIEW ecozone.my_counties AS SELECT unit_id FROM ecozone.units WHERE level = 'county'")
    try:
        digest = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.rglob("*") if p.is_file()}
        before = snapshot(pg, "ecozone")
        with pytest.raises(EcozoneError) as e:
            run_study(study, out=out, only=["capacity"], store=pg.url(), report=False)
        msg = str(e.value)
        assert "view ecozone.my_counties depends on table ecozone.units" in msg and "views you made" in msg
        assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.rglob("*") if p.is_file()} == digest
        assert snapshot(pg, "ecozone") == before
        assert not [p for p in study.iterdir() if p.name.startswith(".out")]  # no temporary folder left
    finally:
        with pg.connect(user=USER, password=USER_PW) as c:
            c.execute("DROP VIEW ecozone.my_counties")


def test_store_section_of_the_study_file_and_the_cli(pg, small_study, pw, tmp_path):
    toml = small_study / "ecozone.toml"
    toml.write_text(toml.read_text() + f'\n[store]\nurl = "{pg.url()}"\nschema = "from_file"\n')
    res = run_study(small_study, out=tmp_path / "a", only=["capacity"], report=False)
    assert res.postgis.schema == "from_file" and res.manifest["store"]["schema"] == "from_file"
    # the command line: the study file's URL, another schema
    runner = CliRunner()
    r = runner.invoke(app, ["run", str(small_study), "--only", "capacity", "--out", str(tmp_path / "b"),
                            "--schema", "from_cli"])
    assert r.exit_code == 0, r.output
    assert f"postgis: {pg.url()} schema from_cli" in r.output
    m = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert m["store"] == {"url": pg.url(), "schema": "from_cli", "run_id": m["store"]["run_id"]}
    n = len(res.tables["capacity"])
    with pg.connect() as c:
        assert [c.execute(f"SELECT count(*) FROM {s}.capacity").fetchone()[0] for s in ("from_file", "from_cli")] == [
            n, n]
        assert c.execute("SELECT run_id FROM from_cli.runs").fetchone()[0] == m["store"]["run_id"]
    # errors on the command line: one message naming the key or option and the fix, no traceback
    toml.write_text(toml.read_text().replace('schema = "from_file"', 'schema = "From File"'))
    r = runner.invoke(app, ["run", str(small_study), "--only", "capacity", "--out", str(tmp_path / "c")])
    assert r.exit_code == 1 and "key 'store.schema'" in r.output and "Fix:" in r.output, r.output
    r = runner.invoke(app, ["run", str(small_study), "--only", "capacity", "--out", str(tmp_path / "c"),
                            "--store", f"postgresql://{USER}:{USER_PW}@127.0.0.1:{pg.port}/{DB}"])
    assert r.exit_code == 1 and "--store" in r.output and "PGPASSWORD" in r.output, r.output
    assert USER_PW not in r.output and "Traceback" not in r.output
    assert not (tmp_path / "c").exists()


def test_passwords_from_pgpass_and_clear_connection_errors(pg, monkeypatch, tmp_path):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{pg.port}:{DB}:{USER}:{USER_PW}\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    assert check_postgis(pg.url(), "ecozone") == pg.url()
    # a wrong password: a clear error naming the URL (without any password), no traceback
    monkeypatch.setenv("PGPASSWORD", "wrong")
    monkeypatch.setenv("PGPASSFILE", os.devnull)
    with pytest.raises(EcozoneError) as e:
        check_postgis(pg.url(), "ecozone")
    assert "cannot connect" in str(e.value) and "password authentication failed" in str(e.value)
    # no server there
    with pytest.raises(EcozoneError, match="cannot connect"):
        check_postgis(f"postgresql://{USER}@127.0.0.1:{_free_port()}/{DB}", "ecozone")
    # a database without PostGIS that the user may not equip with it
    with pg.connect(db="postgres") as c:
        c.execute(f"CREATE DATABASE plain OWNER {USER}")
    monkeypatch.setenv("PGPASSWORD", USER_PW)
    with pytest.raises(EcozoneError, match="no PostGIS") as e:
        check_postgis(pg.url(db="plain"), "ecozone")
    assert "CREATE EXTENSION postgis" in str(e.value)


@pytest.mark.parametrize(
    ("url", "match"),
    [("sqlite:///x.db", "not a PostgreSQL URL"), ("localhost/gis", "not a PostgreSQL URL"),
     ("postgresql://u:secret@h/db", "holds a password")],
)
def test_bad_store_urls_are_input_errors(url, match):
    with pytest.raises(InputError, match=match) as e:
        parse_url(url)
    assert "secret" not in str(e.value) and e.value.fix


def test_schema_without_a_database_is_an_error(small_study, tmp_path):
    with pytest.raises(EcozoneError, match="no database is given") as e:
        run_study(small_study, out=tmp_path / "out", only=["capacity"], schema="mine", report=False)
    assert e.value.where == "--schema" and not (tmp_path / "out").exists()


@pytest.mark.slow
def test_demo_results_into_postgis(pg, demo_run, pw):
    """The demo's results (all analyses, 1,000+ counties) written into PostGIS: counts and types."""
    out, _stdout = demo_run
    gpkg = store.read_results(out)
    units = gpkg.pop("units")
    about = gpkg.pop("about")
    gpkg.pop("layer_styles", None)
    tables = {k: v for k, v in gpkg.items() if "_map_" not in k}
    schemas = {t: s for a in ANALYSES.values() for t, s in a.schema.items()}
    maps = [m for a in ANALYSES.values() for m in a.maps]
    res = write_postgis(pg.url(), "demo", units, tables, schemas, maps, about, store.read_manifest(out))
    with pg.connect() as c:
        for name, df in tables.items():
            assert c.execute(f'SELECT count(*) FROM demo."{name}"').fetchone()[0] == len(df), name
            if name in schemas:
                types = dict(c.execute("SELECT column_name, data_type FROM information_schema.columns "
                                       "WHERE table_schema = 'demo' AND table_name = %s", (name,)).fetchall())
                for col in schemas[name].columns:
                    if col.name in types:
                        assert types[col.name] == SQL_TYPES[col.dtype][1], (name, col.name)
        assert c.execute("SELECT bool_and(ST_IsValid(geometry)) FROM demo.units").fetchone()[0]
    assert sorted(res.views) == sorted(k for k in gpkg if "_map_" in k)


# ----------------------------------------------------------------------------- write rights


def test_a_schema_without_write_rights_is_refused_before_anything_is_written(pg, small_study, pw, tmp_path):
    """A schema the user may not create tables in: a clear error before the run, no output folder,
    no password in the message, the schema untouched (command line and API)."""
    with pg.connect() as c:  # the admin's schema; the planner may use it but not create in it
        c.execute("CREATE SCHEMA locked")
        c.execute(f"GRANT USAGE ON SCHEMA locked TO {USER}")
        c.execute("CREATE TABLE locked.kept (x int)")
    before = snapshot(pg, "locked")
    with pytest.raises(EcozoneError) as e:
        check_postgis(pg.url(), "locked")
    assert "may not create tables in schema 'locked'" in str(e.value) and "GRANT CREATE ON SCHEMA locked" in e.value.fix
    with pytest.raises(EcozoneError, match="may not create tables"):
        run_study(small_study, out=tmp_path / "api", only=["capacity"], store=pg.url(), schema="locked", report=False)
    r = CliRunner().invoke(app, ["run", str(small_study), "--only", "capacity", "--out", str(tmp_path / "cli"),
                                 "--store", pg.url(), "--schema", "locked"])
    assert r.exit_code == 1 and "may not create tables in schema 'locked'" in r.output and "Fix:" in r.output
    assert "Traceback" not in r.output and USER_PW not in r.output
    assert not (tmp_path / "api").exists() and not (tmp_path / "cli").exists()
    assert not [p for p in small_study.iterdir() if p.name.startswith(".")]  # no temporary output folder left
    assert snapshot(pg, "locked") == before


def test_a_database_without_create_rights_is_refused(pg, small_study, pw, tmp_path):
    """The schema does not exist and the user may not create one in the database."""
    with pg.connect(db="postgres") as c:
        c.execute("CREATE DATABASE readonly")  # owned by the admin: PUBLIC may connect, not create
    with pg.connect(db="readonly") as c:
        c.execute("CREATE EXTENSION postgis")
    with pytest.raises(EcozoneError) as e:
        run_study(small_study, out=tmp_path / "out", only=["capacity"], store=pg.url(db="readonly"), report=False)
    assert "may not create tables in schema 'ecozone'" in str(e.value) and "GRANT CREATE ON DATABASE" in e.value.fix
    assert not (tmp_path / "out").exists()
    with pg.connect(db="readonly") as c:
        assert c.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'ecozone'").fetchone() is None


def test_a_table_of_another_owner_fails_the_write_and_leaves_the_schema_as_it_was(pg, ran, pw):
    """The user may create in the schema but a table ecozone would replace belongs to someone else:
    the write stops at that table (insufficient privilege), rolls back, and says what to grant."""
    res, _study = ran
    units = store.read_results(res.out_dir)["units"]
    schemas = {t: s for n in RUN for t, s in ANALYSES[n].schema.items()}
    maps = [m for n in RUN for m in ANALYSES[n].maps]
    about = pd.DataFrame({"key": ["study"], "value": ["shared"]})
    with pg.connect() as c:
        c.execute("CREATE SCHEMA shared")
        c.execute(f"GRANT USAGE, CREATE ON SCHEMA shared TO {USER}")
        c.execute("CREATE TABLE shared.capacity (unit_id text)")  # the admin's table, named as ecozone's
        c.execute("INSERT INTO shared.capacity VALUES ('kept')")
    before = snapshot(pg, "shared")
    with pytest.raises(EcozoneError) as e:
        write_postgis(pg.url(), "shared", units, dict(res.tables), schemas, maps, about, {**res.manifest, "store": {}})
    msg = str(e.value)
    assert "must be owner of table capacity" in msg and "GRANT" in e.value.fix and USER_PW not in msg
    assert snapshot(pg, "shared") == before


# ----------------------------------------------------------------------------- read back as QGIS does (GDAL)


def _ogrinfo(pg, *args) -> str:
    exe = shutil.which("ogrinfo")
    if exe is None:
        pytest.skip("GDAL's ogrinfo is not installed: apt-get install gdal-bin (make test does this when run as root)")
    conn = f"PG:host=127.0.0.1 port={pg.port} dbname={DB} user={USER} active_schema=ecozone"
    env = {**os.environ, "PGPASSWORD": USER_PW, "PGPASSFILE": os.devnull}
    p = subprocess.run([exe, "-ro", conn, *args], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_ogrinfo_opens_the_layers_and_reads_the_styles_over_the_pg_connection(pg, ran):
    """GDAL's PostgreSQL driver (what QGIS uses) lists the units and every map layer as polygon layers
    in EPSG:4326 with their features, and reads the default styles from public.layer_styles."""
    res, _study = ran
    gpkg = store.read_results(res.out_dir)
    views = sorted(n for n in gpkg if "_map_" in n)
    listing = _ogrinfo(pg)
    layers = {}
    for line in listing.splitlines():
        head, _, kind = line.partition(": ")[2].partition(" (")
        if head:
            layers[head] = kind.rstrip(")")
    for name in ["units", *views]:
        assert layers.get(name) == "Multi Polygon", (name, listing)
    for name in ["units", views[0]]:
        summary = _ogrinfo(pg, "-so", name)
        assert f"Feature Count: {len(gpkg[name])}" in summary, summary
        assert 'ID["EPSG",4326]' in summary and "Geometry: Multi Polygon" in summary, summary
    styles = _ogrinfo(pg, "-sql", "SELECT f_table_name, useasdefault, length(styleqml::text) AS qml "
                      "FROM public.layer_styles WHERE f_table_schema = 'ecozone' ORDER BY 1")
    assert f"Feature Count: {len(views)}" in styles, styles
    for v in views:
        assert f"f_table_name (String) = {v}" in styles, styles
    assert "useasdefault (Integer(Boolean)) = 1" in styles, styles
