"""QGIS-ready GeoPackage: map layers with default styles in ``layer_styles``.

The result tables of ``results.gpkg`` are attribute tables keyed by
``level, unit_id, year``; a style needs a spatial layer. So
:func:`add_layer_styles` adds, per analysis and level, a **spatial view**
joining the ``units`` geometry with that level's rows, one column per year:

``capacity_map_<level>``
    ``unit_id, name, area_km2``, the latest year's ``state`` (comprehensive),
    ``state_air``, ``state_water``, ``r_total``, ``r_air``, ``r_water``, and
    ``state_<year>`` for every year; styled by ``state``.
``carbon_map_<level>``
    the latest year's ``zone``, ``budget_state``, ``ce``, ``cs``, ``cb``
    (t C), ``cbi``, ``ecc``, ``esc``, and ``zone_<year>`` for every year;
    styled by ``zone``.

Views cost no space (the geometry stays in ``units``) and are registered in
``gpkg_contents`` / ``gpkg_geometry_columns`` so GDAL and QGIS list them as
layers. Each gets a default style (QML for QGIS, SLD for other clients) in
the standard ``layer_styles`` table, with the colours and labels of the
label table in the chosen language, so the layers open coloured in QGIS.
To colour by another year, pick ``state_<year>`` / ``zone_<year>`` in the
layer's symbology.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from ecozone.labels import Labels

LAYER_STYLES_DDL = """
CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  f_table_catalog TEXT(256),
  f_table_schema TEXT(256),
  f_table_name TEXT(256),
  f_geometry_column TEXT(256),
  styleName TEXT(30),
  styleQML TEXT,
  styleSLD TEXT,
  useAsDefault BOOLEAN,
  description TEXT,
  owner TEXT(30),
  ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)
"""

def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _lit(v) -> str:
    return "'" + str(v).replace("'", "''") + "'"


def _safe(level: str) -> str:
    return re.sub(r"[^0-9A-Za-z_]+", "_", str(level)).strip("_").lower() or "level"


def add_layer_styles(gpkg_path: Path, lang: str = "en", maps=None, styles=None) -> list[str]:
    """Add styled spatial views of the analyses' map layers to a results GeoPackage.

    ``maps``: :class:`ecozone.analysis.MapLayer` declarations (default: those
    of every registered analysis). Idempotent (views and their styles are
    replaced). Returns the names of the styled layers. Tables that are absent
    are skipped.
    """
    if maps is None or styles is None:
        from ecozone.registry import ANALYSES

        if maps is None:
            maps = [m for a in ANALYSES.values() for m in a.maps]
        if styles is None:
            styles = [st for a in ANALYSES.values() for st in a.styles]
    L = Labels(lang)
    path = Path(gpkg_path)
    con = sqlite3.connect(path)
    try:
        cur = con.cursor()
        tables = {r[0] for r in cur.execute("SELECT table_name FROM gpkg_contents")}
        if "units" not in tables:
            return []
        gcol = cur.execute(
            "SELECT column_name, geometry_type_name, srs_id FROM gpkg_geometry_columns WHERE table_name = 'units'"
        ).fetchone()
        if gcol is None:
            return []
        geom_col, geom_type, srs_id = gcol
        ucols = [r[1] for r in cur.execute("PRAGMA table_info(units)")]
        fid = next((r[1] for r in cur.execute("PRAGMA table_info(units)") if r[5] == 1), "fid")
        bounds = cur.execute("SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = 'units'").fetchone()
        cur.execute(LAYER_STYLES_DDL)
        if "layer_styles" not in tables:
            cur.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
                "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', ?)",
                (_now(),),
            )
        made = []
        for m in maps:
            table, styled, category, latest_cols, yearly = m.table, m.styled, m.category, m.columns, m.yearly
            if table not in tables:
                continue
            tcols = {r[1] for r in cur.execute(f"PRAGMA table_info({_q(table)})")}
            if not {"level", "unit_id", "year", styled} <= tcols:
                continue
            years = [int(r[0]) for r in cur.execute(
                f"SELECT DISTINCT year FROM {_q(table)} WHERE year IS NOT NULL ORDER BY year")]
            if not years:
                continue
            latest = years[-1]
            levels = [r[0] for r in cur.execute(f"SELECT DISTINCT level FROM {_q(table)} WHERE {_q(styled)} IS NOT NULL")]
            for level in levels:
                view = f"{table}_map_{_safe(level)}"
                sel = [f"u.{_q(fid)} AS fid", f"u.{_q(geom_col)} AS {_q(geom_col)}", "u.unit_id AS unit_id",
                       "u.name AS name"]
                if "area_km2" in ucols:
                    sel.append("u.area_km2 AS area_km2")
                # one join per year (direct column references keep their declared types for GDAL/QGIS)
                for canon, alts in latest_cols:
                    src = next((c for c in (canon, *alts) if c in tcols), None)
                    if src is not None:
                        sel.append(f"y{latest}.{_q(src)} AS {_q(canon)}")
                joins = []
                for y in years:
                    sel.append(f"y{y}.{_q(yearly)} AS {_q(f'{yearly}_{y}')}")
                    joins.append(f"LEFT JOIN {_q(table)} y{y} ON y{y}.unit_id = u.unit_id AND y{y}.level = u.level "
                                 f"AND y{y}.year = {y}")
                sql = (
                    f"CREATE VIEW {_q(view)} AS SELECT {', '.join(sel)} FROM units u {' '.join(joins)} "
                    f"WHERE u.level = {_lit(level)}"
                )
                cur.execute(f"DROP VIEW IF EXISTS {_q(view)}")
                cur.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = ?", (view,))
                cur.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (view,))
                cur.execute(sql)
                title = f"{L(f'table.{table}')} — {L.column(styled)} · {L.level(level)} · {latest}"
                cur.execute(
                    "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, "
                    "min_x, min_y, max_x, max_y, srs_id) VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?, ?)",
                    (view, view, title, _now(), *(bounds or (None,) * 4), srs_id),
                )
                cur.execute(
                    "INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) "
                    "VALUES (?, ?, ?, ?, 0, 0)",
                    (view, geom_col, geom_type, srs_id),
                )
                codes = [c for c in L.order(category)]
                present = {r[0] for r in cur.execute(f"SELECT DISTINCT {_q(styled)} FROM {_q(table)}") if r[0]}
                codes = [c for c in codes if c in present] + sorted(present - set(codes))
                cats = [(c, L.code(category, c), L.color(f"{category}.{c}")) for c in codes]
                qml = style_qml(styled, cats, L("ui.no_data"))
                sld = style_sld(view, styled, cats)
                cur.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (view,))
                cur.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                    "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                    "VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, 'ecozone', NULL, ?)",
                    (view, geom_col, f"{view} ({L.lang})", qml, sld, title, _now()),
                )
                made.append(view)
        for st in styles or []:
            row = cur.execute(
                "SELECT column_name, geometry_type_name FROM gpkg_geometry_columns WHERE table_name = ?", (st.table,)
            ).fetchone()
            if row is None:
                continue
            gcol_t, gtype = row
            kind = _kind(gtype)
            tcols = {r[1] for r in cur.execute(f"PRAGMA table_info({_q(st.table)})")}
            if st.column and st.column in tcols:
                codes = [c for c in L.order(st.category or st.column)]
                present = {str(r[0]) for r in cur.execute(f"SELECT DISTINCT {_q(st.column)} FROM {_q(st.table)}")
                           if r[0] is not None and str(r[0])}
                codes = [c for c in codes if c in present] + sorted(present - set(codes))
                cat = st.category or st.column
                cats = [(c, L.code(cat, c), L.color(f"{cat}.{c}", st.color)) for c in codes]
                qml = style_qml(st.column, cats, L("ui.no_data"), kind=kind)
                sld = style_sld(st.table, st.column, cats, kind=kind)
            else:
                qml = style_qml("", [], L(f"table.{st.table}"), kind=kind, single=st.color)
                sld = style_sld(st.table, "", [], kind=kind, single=st.color)
            title = L(f"table.{st.table}")
            cur.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (st.table,))
            cur.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                "VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, 'ecozone', NULL, ?)",
                (st.table, gcol_t, f"{st.table} ({L.lang})", qml, sld, title, _now()),
            )
            made.append(st.table)
        con.commit()
        return made
    finally:
        con.close()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


def _rgba(hex_color: str) -> str:
    h = hex_color.lstrip("#")
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + ",255"


def _kind(geometry_type: str) -> str:
    """``fill``, ``line`` or ``marker``: the QGIS symbol type of a GeoPackage geometry type."""
    g = str(geometry_type).upper()
    if "POINT" in g:
        return "marker"
    if "LINE" in g or ("CURVE" in g and "POLYGON" not in g):
        return "line"
    return "fill"


def _symbol(name: str, color: str, kind: str = "fill") -> str:
    if kind == "marker":
        cls = "SimpleMarker"
        props = {"name": "circle", "color": _rgba(color), "outline_color": "255,255,255,255",
                 "outline_width": "0.2", "outline_width_unit": "MM", "size": "2.4", "size_unit": "MM"}
    elif kind == "line":
        cls = "SimpleLine"
        props = {"line_color": _rgba(color), "line_style": "solid", "line_width": "0.5",
                 "line_width_unit": "MM", "capstyle": "round", "joinstyle": "round"}
    else:
        cls = "SimpleFill"
        props = {
            "color": _rgba(color), "style": "solid", "outline_color": "255,255,255,255", "outline_style": "solid",
            "outline_width": "0.15", "outline_width_unit": "MM", "joinstyle": "bevel",
        }
    opts = "".join(f'<Option type="QString" name="{k}" value="{v}"/>' for k, v in props.items())
    legacy = "".join(f'<prop k="{k}" v="{v}"/>' for k, v in props.items())
    return (f'<symbol type="{kind}" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
            f'<layer class="{cls}" enabled="1" locked="0" pass="0">'
            f'<Option type="Map">{opts}</Option>{legacy}</layer></symbol>')


def style_qml(attribute: str, cats: list[tuple[str, str, str]], other_label: str, *, kind: str = "fill",
              single: str | None = None) -> str:
    """A QGIS style (QML) with a categorized renderer on ``attribute``: (code, label, colour) per category.

    ``kind``: the symbol type (``fill``, ``line``, ``marker``); ``single``: a
    colour for a single-symbol renderer instead (no attribute).
    """
    if single is not None:
        return (
            "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
            '<qgis version="3.28.0" styleCategories="Symbology|Labeling">'
            '<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0" '
            f'referencescale="-1"><symbols>{_symbol("0", single, kind)}</symbols>'
            '<rotation/><sizescale/></renderer-v2><blendMode>0</blendMode><featureBlendMode>0</featureBlendMode>'
            "<layerOpacity>1</layerOpacity></qgis>"
        )
    cat_xml = "".join(
        f'<category render="true" symbol="{i}" value={quoteattr(code)} label={quoteattr(label)}/>'
        for i, (code, label, _c) in enumerate(cats)
    )
    n = len(cats)
    cat_xml += f'<category render="true" symbol="{n}" value="" label={quoteattr(other_label)}/>'
    symbols = "".join(_symbol(str(i), c, kind) for i, (_code, _label, c) in enumerate(cats)) + _symbol(
        str(n), "#f0f0f0" if kind == "fill" else "#969696", kind)
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
        '<qgis version="3.28.0" styleCategories="Symbology|Labeling">'
        f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(attribute)} symbollevels="0" enableorderby="0" '
        'forceraster="0" referencescale="-1">'
        f"<categories>{cat_xml}</categories><symbols>{symbols}</symbols>"
        '<rotation/><sizescale/></renderer-v2><blendMode>0</blendMode><featureBlendMode>0</featureBlendMode>'
        "<layerOpacity>1</layerOpacity></qgis>"
    )


def _sld_symbolizer(color: str, kind: str) -> str:
    if kind == "marker":
        return ('<se:PointSymbolizer><se:Graphic><se:Mark><se:WellKnownName>circle</se:WellKnownName>'
                f'<se:Fill><se:SvgParameter name="fill">{color}</se:SvgParameter></se:Fill>'
                '<se:Stroke><se:SvgParameter name="stroke">#ffffff</se:SvgParameter></se:Stroke></se:Mark>'
                '<se:Size>9</se:Size></se:Graphic></se:PointSymbolizer>')
    if kind == "line":
        return (f'<se:LineSymbolizer><se:Stroke><se:SvgParameter name="stroke">{color}</se:SvgParameter>'
                '<se:SvgParameter name="stroke-width">2</se:SvgParameter></se:Stroke></se:LineSymbolizer>')
    return (f'<se:PolygonSymbolizer><se:Fill><se:SvgParameter name="fill">{color}</se:SvgParameter></se:Fill>'
            '<se:Stroke><se:SvgParameter name="stroke">#ffffff</se:SvgParameter>'
            '<se:SvgParameter name="stroke-width">0.5</se:SvgParameter></se:Stroke></se:PolygonSymbolizer>')


def style_sld(layer: str, attribute: str, cats: list[tuple[str, str, str]], *, kind: str = "fill",
              single: str | None = None) -> str:
    """The same categories as an OGC SLD 1.1 style (or one symbol of colour ``single``)."""
    if single is not None:
        cats_rules = f"<se:Rule><se:Name>{escape(layer)}</se:Name>{_sld_symbolizer(single, kind)}</se:Rule>"
    else:
        cats_rules = None
    rules = cats_rules or "".join(
        "<se:Rule>"
        f"<se:Name>{escape(label)}</se:Name><se:Description><se:Title>{escape(label)}</se:Title></se:Description>"
        "<ogc:Filter><ogc:PropertyIsEqualTo>"
        f"<ogc:PropertyName>{escape(attribute)}</ogc:PropertyName><ogc:Literal>{escape(code)}</ogc:Literal>"
        "</ogc:PropertyIsEqualTo></ogc:Filter>"
        f"{_sld_symbolizer(color, kind)}"
        "</se:Rule>"
        for code, label, color in cats
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<StyledLayerDescriptor xmlns="http://www.opengis.net/sld" xmlns:ogc="http://www.opengis.net/ogc" '
        'xmlns:se="http://www.opengis.net/se" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="1.1.0" '
        'xsi:schemaLocation="http://www.opengis.net/sld http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd">'
        f"<NamedLayer><se:Name>{escape(layer)}</se:Name><UserStyle><se:Name>{escape(layer)}</se:Name>"
        f"<se:FeatureTypeStyle>{rules}</se:FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>"
    )
