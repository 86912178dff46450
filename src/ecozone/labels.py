"""The one label table (``params/labels.csv``): every label in English and Chinese.

Keys are ``<category>.<code>``:

========================  =====================================================
``level.<level>``         level names (``level.county`` …)
``col.<column>``          table columns shared by every analysis (level,
                          unit_id, year …); the columns of an analysis' tables
                          come from its ``schema.csv`` (``col.<table>.<column>``,
                          :mod:`ecozone.schema`); the ``unit`` is the column's unit
``state.<code>``          carrying-capacity states; also ``medium.``,
                          ``quadrant.``, ``economic.``, ``environment.``,
                          ``devclass.``, ``type.``, ``grade.`` (coupling grades)
``zone.<code>``           carbon-balance zones; also ``budget.``, ``lisa.``,
                          ``spot.``
``var.<name>``            short variable names used on chart axes
``table.<name>``          sheet and table titles
``sec.``, ``fig.``,       section and figure titles, interface words, method
``ui.``, ``method.``      notes (``{placeholders}`` filled from the run)
========================  =====================================================

Columns of the CSV: ``key, en, zh, unit, unit_zh`` (empty = same as
``unit``), ``color`` (hex, for categories: shared by the HTML report, the
static figures and the QGIS styles) and ``source``.

The same table names the XLSX headers (:func:`ecozone.store.write_xlsx`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

from ecozone.errors import ParameterError
from ecozone.params import data_path

LANGS = ("en", "zh")


@dataclass(frozen=True)
class Label:
    """One row of the label table."""

    key: str
    en: str
    zh: str
    unit: str = ""
    unit_zh: str = ""
    color: str = ""
    source: str = ""


@lru_cache(maxsize=1)
def label_table() -> dict[str, Label]:
    """All rows of ``labels.csv`` by key."""
    out: dict[str, Label] = {}
    with open(data_path("labels.csv"), encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            key = row["key"].strip()
            if key in out:
                raise ParameterError(
                    f"label key {key!r} appears twice",
                    where=str(data_path("labels.csv")),
                    fix="keep one row per key",
                )
            out[key] = Label(
                key=key,
                en=row["en"],
                zh=row["zh"],
                unit=row.get("unit") or "",
                unit_zh=row.get("unit_zh") or "",
                color=row.get("color") or "",
                source=row.get("source") or "",
            )
    _add_schema_labels(out)
    return out


def _add_schema_labels(out: dict[str, Label]) -> None:
    """Column labels from the analyses' declared schemas (``col.<table>.<column>``).

    A column's label without a table (``col.<column>``) is taken from the
    first table that declares it, unless the label table has its own row.
    """
    from ecozone.registry import ANALYSES

    for a in ANALYSES.values():
        for table, schema in a.schema.items():
            for c in schema.columns:
                if not c.en:
                    continue
                lab = Label(key=f"col.{table}.{c.name}", en=c.en, zh=c.zh or c.en, unit=c.unit,
                            unit_zh=c.unit_zh, source=f"{a.package} schema.csv")
                out.setdefault(lab.key, lab)
                out.setdefault(f"col.{c.name}", Label(**{**lab.__dict__, "key": f"col.{c.name}"}))


def check_lang(lang: str) -> str:
    """``lang`` if it is a supported language, else a :class:`ParameterError`."""
    if lang not in LANGS:
        raise ParameterError(f"unknown language {lang!r}", where="--lang", fix="use en or zh")
    return lang


def _humanise(code: str) -> str:
    return str(code).replace("_", " ")


class Labels:
    """Labels of one language.

    ``L("sec.capacity")`` is the label of a key (the key's code when the key
    is missing, so a new code never breaks a report); ``L.code("state",
    "overload")`` the label of a code; ``L.column("r_air", table)`` the label
    of a table column; ``L.unit(key)`` its unit; ``L.color(key)`` its colour.
    """

    def __init__(self, lang: str = "en"):
        self.lang = check_lang(lang)
        self.table = label_table()

    def has(self, key: str) -> bool:
        return key in self.table

    def __call__(self, key: str, default: str | None = None, **fmt) -> str:
        lab = self.table.get(key)
        if lab is None:
            text = default if default is not None else _humanise(key.split(".", 1)[-1])
        else:
            text = getattr(lab, self.lang) or lab.en
        return text.format(**fmt) if fmt else text

    def code(self, category: str, code) -> str:
        """Label of ``code`` in ``category`` (e.g. ``state``, ``zone``); '' for a missing code."""
        if code is None or (isinstance(code, float) and code != code) or code == "":
            return ""
        key = f"{category}.{code}"
        if key in self.table:
            return self(key)
        if category == "type":  # a four-quadrant type, or development class – state
            if f"quadrant.{code}" in self.table:
                return self(f"quadrant.{code}")
            if "–" in str(code):
                a, b = str(code).split("–", 1)
                sep = "–" if self.lang == "zh" else " – "
                return self.code("devclass", a) + sep + self.code("state", b)
        return _humanise(code)

    def order(self, category: str) -> list[str]:
        """Codes of a category in the label table's order (the order of legends)."""
        cats = ("quadrant", "type") if category == "type" else (category,)
        return [k.split(".", 1)[1] for cat in cats for k in self.table if k.startswith(cat + ".")]

    def color(self, key: str, default: str = "#bdbdbd") -> str:
        """Colour of a label key such as ``state.overload``; a ``type.`` key that is a
        four-quadrant type takes the ``quadrant.`` colour (cities' ``type`` column)."""
        lab = self.table.get(key)
        if (lab is None or not lab.color) and key.startswith("type."):
            lab = self.table.get("quadrant." + key.split(".", 1)[1])
        return lab.color if lab is not None and lab.color else default

    def level(self, name: str) -> str:
        return self(f"level.{name}", default=str(name))

    def _column_key(self, column: str, table: str | None) -> str | None:
        if table and f"col.{table}.{column}" in self.table:
            return f"col.{table}.{column}"
        if f"col.{column}" in self.table:
            return f"col.{column}"
        return None

    def column(self, column: str, table: str | None = None) -> str:
        """Label of a table column (its name when the table has no row for it)."""
        key = self._column_key(column, table)
        if key is not None:
            return self(key)
        for suffix, word in (("_pct", "col.pct"), ("_from", "col.year_from"), ("_to", "col.year_to")):
            base = column[: -len(suffix)] if column.endswith(suffix) else None
            if base and f"col.{base}" in self.table:
                return f"{self(f'col.{base}')} ({self(word)})"
        return column

    def unit(self, key: str) -> str:
        lab = self.table.get(key)
        if lab is None:
            return ""
        return (lab.unit_zh or lab.unit) if self.lang == "zh" else lab.unit

    def column_unit(self, column: str, table: str | None = None) -> str:
        key = self._column_key(column, table)
        if key is not None:
            return self.unit(key)
        if column.endswith("_pct"):
            return "%"
        for suffix in ("_from", "_to"):
            if column.endswith(suffix) and f"col.{column[: -len(suffix)]}" in self.table:
                return self.unit(f"col.{column[: -len(suffix)]}")
        return ""


def column_header(column: str, table: str | None = None) -> tuple[str, str, str]:
    """``(English label, Chinese label, unit)`` of a column for bilingual headers.

    The unit reads ``"persons / 人"`` where the two languages write it differently.
    """
    en, zh = Labels("en"), Labels("zh")
    u_en, u_zh = en.column_unit(column, table), zh.column_unit(column, table)
    unit = u_en if u_en == u_zh or not u_zh else f"{u_en} / {u_zh}"
    return en.column(column, table), zh.column(column, table), unit


CODE_CATEGORIES = {
    "state": ("state", "state_air", "state_water", "state_majority"),
    "environment": ("environment",),
    "quadrant": ("quadrant",),
    "type": ("type",),
    "devclass": ("dev_class",),
    "economic": ("economic",),
    "grade": ("coupling_grade",),
    "zone": ("zone", "zone_from", "zone_to"),
    "budget": ("budget_state",),
    "lisa": ("cluster",),
    "spot": ("spot",),
    "level": ("level", "member_level"),
    "medium": ("medium",),
}
"""Which categories of codes appear in which columns (for the XLSX code legend)."""
