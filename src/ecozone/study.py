"""The study file ``ecozone.toml``: a pydantic model and its loader.

A study is one folder with a study file naming its inputs (METHODS §0.0).
Paths are relative to the study file. Unknown keys and wrong types are
errors that name the key; every parameter has a documented default that the
study file can override (``[capacity.air]``, ``[carbon.casa]`` …).
"""

from __future__ import annotations

import difflib
import tomllib
import typing
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, create_model, field_validator, model_validator

from ecozone.errors import StudyError
from ecozone.params import Params
from ecozone.registry import ANALYSES

DEFAULT_AREA_CRS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m +no_defs"

#: the contract's own tables (METHODS §0.2); analyses declare more (:attr:`Analysis.input_tables`)
CORE_TABLE_NAMES = (
    "air",
    "air_daily",
    "water",
    "economy",
    "emissions",
    "development",
    "ecological_function",
    "parks",
    "park_year",
    "energy_units",
    "wwtp",
)
TABLE_NAMES = CORE_TABLE_NAMES + tuple(
    dict.fromkeys(t for a in ANALYSES.values() for t in a.input_tables if t not in CORE_TABLE_NAMES)
)
#: vector layers of ``[layers]`` (METHODS §3.0, §4): every layer an analysis declares
LAYER_NAMES = tuple(dict.fromkeys(name for a in ANALYSES.values() for name in a.layers))
RASTER_NAMES = ("ndvi", "temperature", "precipitation", "radiation", "landcover", "landcover_fine", "dem")


class StudySection(Params):
    """``[study]``: name, years and the equal-area CRS used for areas."""

    name: str = Field("ecozone study", description="Name shown in reports.")
    years: list[int] = Field(..., min_length=1, description="Study years (calendar years).")
    area_crs: str = Field(
        DEFAULT_AREA_CRS,
        description="Equal-area CRS for every area (default: Albers for China, METHODS conventions).",
    )
    synthetic: bool = Field(
        False, description="True for synthetic (demo) data: every output is labelled so."
    )

    @field_validator("years", mode="before")
    @classmethod
    def _years_are_numbers(cls, v):
        if isinstance(v, list):
            for y in v:
                if isinstance(y, bool) or not isinstance(y, int):
                    raise ValueError(
                        f"years are whole numbers without quotes, e.g. years = [2015, 2020]; {y!r} is not"
                    )
        return v

    @field_validator("area_crs")
    @classmethod
    def _area_crs_projected(cls, v: str) -> str:
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            crs = CRS.from_user_input(v)
        except CRSError as e:
            detail = str(e).splitlines()[0]
            if "proj_create: " in detail:  # "Invalid projection: X: (Internal Proj Error: proj_create: why)"
                detail = detail.rsplit("proj_create: ", 1)[1].rstrip(")")
            raise ValueError(f"not a CRS that PROJ knows ({detail})") from None
        if not crs.is_projected:
            raise ValueError(
                "must be a projected equal-area CRS (areas in m²), not longitudes and latitudes; "
                "leave it out for the default Albers for China"
            )
        return v

    @field_validator("years")
    @classmethod
    def _years_sorted_unique(cls, v: list[int]) -> list[int]:
        if len(set(v)) != len(v):
            raise ValueError("years repeat")
        for y in v:
            if not 1900 <= y <= 2100:
                raise ValueError(f"year {y} is outside 1900-2100")
        return sorted(v)


class UnitsSection(Params):
    """``[units]``: the vector layer of the finest units and its hierarchy."""

    path: Path = Field(..., description="Any OGR vector file (GeoPackage, Shapefile, GeoJSON …).")
    layer: str | None = Field(None, description="Layer name when the file has several.")
    name: str = Field("name", description="Name column of the finest level.")
    levels: dict[str, str] = Field(
        ...,
        description="Level name = id column, finest first, e.g. "
        '{ county = "unit_id", city = "city_id", agglomeration = "agglo_id" }.',
    )
    level_names: dict[str, str] = Field(
        default_factory=dict, description="Optional name column per upper level."
    )
    name_en: str | None = Field(
        None, description="Optional English name column of the finest level (the English report shows it)."
    )
    level_names_en: dict[str, str] = Field(
        default_factory=dict, description="Optional English name column per upper level."
    )
    parents: dict[str, str] = Field(
        default_factory=dict,
        description="The level each upper level nests in (default: the level before it in "
        '`levels`), e.g. { province = "city", agglomeration = "city" }.',
    )

    @model_validator(mode="after")
    def _check_levels(self) -> UnitsSection:
        if len(self.levels) < 1:
            raise ValueError("levels needs at least the finest level")
        names = list(self.levels)
        for key, given in (("level_names", self.level_names), ("level_names_en", self.level_names_en)):
            for lv in given:
                if lv not in self.levels:
                    raise ValueError(f"{key} names level '{lv}', which is not in levels {names}")
        for lv, parent in self.parents.items():
            if lv not in self.levels or parent not in self.levels:
                raise ValueError(f"parents: '{lv} = {parent}' must name levels among {names}")
            if names.index(parent) >= names.index(lv):
                raise ValueError(
                    f"parents: level '{lv}' must nest in a finer level listed before it, not '{parent}'"
                )
        return self

    def parent_of(self, level: str) -> str | None:
        """The level ``level`` nests in (None for the finest level)."""
        names = list(self.levels)
        i = names.index(level)
        if i == 0:
            return None
        return self.parents.get(level, names[i - 1])


class TableSpec(Params):
    """A table input given as an inline table: path plus reading options."""

    path: Path = Field(..., description="CSV, XLSX or Parquet file.")
    sheet: str | int | None = Field(None, description="XLSX sheet (name or 0-based index).")
    units: dict[str, str] = Field(
        default_factory=dict,
        description='Declared units of columns, converted on reading, e.g. { gdp = "1e4 CNY" }.',
    )


class RasterSpec(Params):
    """A raster input given as an inline table: pattern plus reading options."""

    pattern: str = Field(..., description="Path pattern; {year} and {month:02d} are filled in.")
    scale_factor: float = Field(1.0, description="Multiply stored values by this (e.g. 0.0001 for NDVI).")
    add_offset: float = Field(0.0, description="Then add this.")
    nodata: float | None = Field(None, description="Nodata value when the file does not declare one.")
    unit: str | None = Field(
        None,
        description="Declared unit when not the contract's (temperature 'K'; radiation 'W m-2'); converted.",
    )


class TablesBase(Params):
    """``[tables]``: any subset of the contract's tables (METHODS §0.2)."""

    air: Path | TableSpec | None = None
    air_daily: Path | TableSpec | None = None
    water: Path | TableSpec | None = None
    economy: Path | TableSpec | None = None
    emissions: Path | TableSpec | None = None
    development: Path | TableSpec | None = None
    ecological_function: Path | TableSpec | None = None
    parks: Path | TableSpec | None = None
    park_year: Path | TableSpec | None = None
    energy_units: Path | TableSpec | None = None
    wwtp: Path | TableSpec | None = None

    def spec(self, name: str) -> TableSpec | None:
        """The table's spec (a bare path becomes a spec with defaults)."""
        v = getattr(self, name)
        if v is None or isinstance(v, TableSpec):
            return v
        return TableSpec(path=v)


TablesSection = create_model(
    "TablesSection",
    __base__=TablesBase,
    __module__=__name__,
    __doc__="``[tables]``: the contract's tables and those the analyses declare (METHODS §0.2).",
    **{name: (Path | TableSpec | None, None) for name in TABLE_NAMES if name not in CORE_TABLE_NAMES},
)


class LayerSpec(Params):
    """A vector layer given as an inline table: path plus layer name."""

    path: Path = Field(..., description="Any OGR vector file with a CRS.")
    layer: str | None = Field(None, description="Layer name when the file has several.")


class LayersBase(Params):
    """``[layers]``: vector inputs (rivers, parks, red lines, roads …; METHODS §3.0, §4)."""

    def spec(self, name: str) -> LayerSpec | None:
        """The layer's spec (a bare path becomes a spec with defaults)."""
        v = getattr(self, name, None)
        if v is None or isinstance(v, LayerSpec):
            return v
        return LayerSpec(path=v)

    def given(self) -> list[str]:
        """Names of the layers the study file gives."""
        return [n for n in type(self).model_fields if getattr(self, n) is not None]


LayersSection = create_model(
    "LayersSection",
    __base__=LayersBase,
    __module__=__name__,
    __doc__="``[layers]``: the vector layers the analyses declare (METHODS §3.0, §4).",
    **{name: (Path | LayerSpec | None, None) for name in LAYER_NAMES},
)


class RastersSection(Params):
    """``[rasters]``: patterns of the gridded inputs (METHODS §0.3)."""

    ndvi: str | RasterSpec | None = None
    temperature: str | RasterSpec | None = None
    precipitation: str | RasterSpec | None = None
    radiation: str | RasterSpec | None = None
    landcover: str | RasterSpec | None = None
    landcover_fine: str | RasterSpec | None = Field(
        None,
        description="Optional finer land cover (pattern with {year}, classes of [landcover] classes) on "
        "its own grid, never resampled: serves the landscape metrics and green infrastructure "
        "(METHODS §0.3.1, §4) where it is given; landcover serves them otherwise.",
    )
    dem: str | RasterSpec | None = Field(
        None,
        description="Digital elevation model, metres above sea level: one file for all years (no {year}); "
        "aligned to the reference grid by bilinear resampling (METHODS §7 terrain factors).",
    )
    reference: str | None = Field(
        None,
        description="Raster whose grid all others are aligned to (default: the land-cover raster "
        "of the first year).",
    )

    def spec(self, name: str) -> RasterSpec | None:
        v = getattr(self, name)
        if v is None or isinstance(v, RasterSpec):
            return v
        return RasterSpec(pattern=v)


class ComputeSection(Params):
    """``[compute]``: how raster work is chunked and scheduled."""

    chunk_size: int = Field(1024, ge=64, description="Raster chunk edge in pixels.")
    scheduler: str | None = Field(
        None, description="dask.distributed scheduler address; empty = local threads."
    )
    cache_dir: Path | None = Field(
        None, description="Cache for zonal coverage weights (default: <study>/.ecozone-cache)."
    )


class StoreSection(Params):
    """``[store]``: the results written into PostGIS too (METHODS §0.4; docs/store.md)."""

    url: str | None = Field(
        None,
        description="PostgreSQL URL postgresql://USER@HOST:PORT/DATABASE; the password comes from PGPASSWORD "
        "or a .pgpass file, never from this file. Empty = no database.",
    )
    db_schema: str = Field(
        "ecozone", alias="schema", description="Schema of the results (a run replaces the previous run's tables)."
    )


LANDCOVER_SCHEMES = ("igbp", "resdc", "clcd")


class LandcoverSection(Params):
    """``[landcover]``: the study-wide land-cover class scheme (METHODS §0.3.1)."""

    classes: str = Field(
        "igbp",
        description='Class scheme of the landcover rasters: "igbp" (MODIS MCD12Q1 LC_Type1), "resdc" '
        '(RESDC/CNLUCC), "clcd" (CLCD), or a path to a CSV with columns code, name, vegetation_type, '
        "group (forest | shrub | grassland | wetland | water | cropland | built | barren | other). "
        "[carbon] landcover_classes is an alias.",
    )


class StudyBase(Params):
    """The study file's own sections; every analysis adds its parameter section (see :data:`Study`)."""

    study: StudySection
    units: UnitsSection
    tables: TablesSection = Field(default_factory=TablesSection)
    rasters: RastersSection = Field(default_factory=RastersSection)
    compute: ComputeSection = Field(default_factory=ComputeSection)
    store: StoreSection = Field(default_factory=StoreSection)
    landcover: LandcoverSection = Field(default_factory=LandcoverSection)
    layers: LayersSection = Field(default_factory=LayersSection)

    # set by load_study, not by the file
    root: Path = Field(Path("."), exclude=True, description="Folder of the study file.")
    source: Path | None = Field(None, exclude=True, description="The study file itself.")

    def resolve(self, p: Path | str) -> Path:
        """A path of the study file made absolute (relative to the study file)."""
        p = Path(p)
        return p if p.is_absolute() else (self.root / p)

    @property
    def level_names(self) -> list[str]:
        return list(self.units.levels)

    @model_validator(mode="after")
    def _landcover_alias(self):
        """``[carbon] landcover_classes`` is an alias of ``[landcover] classes`` (METHODS §0.3.1)."""
        carbon = getattr(self, "carbon", None)
        if carbon is None:
            return self
        given_lc = "classes" in self.landcover.model_fields_set
        given_alias = "landcover_classes" in carbon.model_fields_set
        if given_lc and given_alias and carbon.landcover_classes != self.landcover.classes:
            raise ValueError(
                f"[landcover] classes = {self.landcover.classes!r} and its alias [carbon] landcover_classes = "
                f"{carbon.landcover_classes!r} disagree"
            )
        if given_alias and not given_lc:
            object.__setattr__(self.landcover, "classes", carbon.landcover_classes)
        elif carbon.landcover_classes != self.landcover.classes:
            object.__setattr__(carbon, "landcover_classes", self.landcover.classes)
        return self

    def parameters(self) -> dict[str, Any]:
        """All analysis parameters, defaults filled in (for the manifest)."""
        out: dict[str, Any] = {}
        for a in ANALYSES.values():
            sec = a.params_section
            if sec and sec not in out:
                out[sec] = getattr(self, sec).model_dump(mode="json")
        out["landcover"] = self.landcover.model_dump(mode="json")
        out["compute"] = self.compute.model_dump(mode="json", exclude={"scheduler"})
        out["area_crs"] = self.study.area_crs
        return out


def _analysis_sections() -> dict[str, Any]:
    """One field per analysis parameter section (``[capacity]``, ``[carbon]`` …), from the registry."""
    fields: dict[str, Any] = {}
    for a in ANALYSES.values():
        sec = a.params_section
        if sec and sec not in fields:
            fields[sec] = (a.params, Field(default_factory=a.params))
    return fields


Study = create_model(
    "Study",
    __base__=StudyBase,
    __module__=__name__,
    __doc__="The whole study file: its own sections and each analysis' parameter section.",
    **_analysis_sections(),
)


_UNION_TAGS = {"TableSpec", "RasterSpec", "Path", "str", "path", "is-instance[Path]"}


def _key(loc: tuple) -> str:
    """Dotted key of a pydantic error location, without union-member tags."""
    return ".".join(str(x) for x in loc if str(x) not in _UNION_TAGS and "[" not in str(x))


def _model_of(tp) -> type[Params] | None:
    """The pydantic model a field annotation holds (a member of a union, too)."""
    if isinstance(tp, type) and issubclass(tp, Params):
        return tp
    for arg in typing.get_args(tp):
        m = _model_of(arg)
        if m is not None:
            return m
    return None


def _keys_at(parts: list[str]) -> list[str]:
    """The keys the study file accepts at a dotted location (empty when unknown)."""
    model: type[Params] | None = Study
    for part in parts:
        f = model.model_fields.get(part) if model is not None else None
        if f is None:
            return []
        model = _model_of(f.annotation)
    if model is None:
        return []
    return [f.alias or k for k, f in model.model_fields.items() if not f.exclude]


#: what to write instead, by pydantic error type
_TYPE_FIXES = {
    "list_type": "give a list in brackets, e.g. {name} = [...]",
    "int_type": "give a whole number without quotes",
    "int_parsing": "give a whole number without quotes",
    "int_from_float": "give a whole number without quotes",
    "float_type": "give a number without quotes",
    "float_parsing": "give a number without quotes",
    "string_type": 'give text in double quotes, e.g. {name} = "..."',
    "bool_type": "give true or false (without quotes)",
    "bool_parsing": "give true or false (without quotes)",
    "dict_type": 'give a table, e.g. {name} = {{ key = "value" }} or a [section]',
    "model_type": 'give a table, e.g. {name} = {{ key = "value" }} or a [section]',
    "model_attributes_type": 'give a table, e.g. {name} = {{ key = "value" }} or a [section]',
    "path_type": 'give a path in double quotes, e.g. {name} = "data/file.csv"',
    "literal_error": "use one of the values listed",
    "greater_than": "give a larger value",
    "greater_than_equal": "give a larger value",
    "less_than": "give a smaller value",
    "less_than_equal": "give a smaller value",
    "too_short": "give at least one value",
}


#: what to write instead, for keys whose own checks fail
_KEY_FIXES = {
    "study.years": "write the years as whole numbers without quotes, each once, between 1900 and 2100, "
    "e.g. years = [2015, 2020]",
    "study.area_crs": 'give a projected equal-area CRS, e.g. area_crs = "EPSG:6933" or a PROJ string '
    '"+proj=aea ...", or leave it out for the default Albers for China',
}


def _friendly(err: dict, source: Path) -> StudyError:
    key = _key(err["loc"])
    typ = err["type"]
    if typ == "extra_forbidden":
        parent = _key(err["loc"][:-1])
        name = key.rsplit(".", 1)[-1]
        allowed = _keys_at(parent.split(".") if parent else [])
        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        section = f"[{parent}]" if parent else "the study file (top-level sections)"
        listed = f"; {section} takes: {', '.join(allowed)}" if allowed else ""
        return StudyError(
            f"unknown key '{key}'",
            where=str(source),
            fix=f"{hint}remove it or correct its spelling{listed} (`ecozone init DIR` writes a commented "
            "template with every key)",
        )
    if typ == "missing":
        return StudyError(
            f"required key '{key}' is missing", where=str(source), fix=f"add '{key}' to the study file"
        )
    where = f"{source}, key '{key}'" if key else str(source)
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    msg = msg.replace(" for <class 'pathlib.Path'>", "")
    given = err.get("input")
    shown = repr(given)
    if not isinstance(given, (dict, list)) or len(shown) <= 60:
        msg = f"{msg} (got {shown})"
    name = key.rsplit(".", 1)[-1] if key else "key"
    fix = _KEY_FIXES.get(key) or _TYPE_FIXES.get(typ, "correct the value").format(name=name)
    return StudyError(
        msg,
        where=where,
        fix=f"{fix}; `ecozone init DIR` writes a commented template with every key and its default",
    )


def parse_study(data: dict, root: Path, source: Path | None = None) -> Study:
    """Validate a study mapping (as read from TOML) into a :class:`Study`."""
    src = source or (root / "ecozone.toml")
    try:
        st = Study.model_validate(data)
    except ValidationError as e:
        errs = e.errors()
        # a value that fails every member of a union reports once per member: an unknown
        # key is the most telling of them, then the error from the deepest location
        errs.sort(key=lambda er: (er["type"] != "extra_forbidden", -len(er["loc"])))
        raise _friendly(errs[0], src) from None
    st.root = root
    st.source = source
    classes = st.landcover.classes
    if classes.lower() not in LANDCOVER_SCHEMES:
        # a class table given as a path is relative to the study file, like every input
        resolved = str(st.resolve(classes))
        object.__setattr__(st.landcover, "classes", resolved)
        carbon = getattr(st, "carbon", None)
        if carbon is not None:
            object.__setattr__(carbon, "landcover_classes", resolved)
        if not Path(resolved).exists():
            raise StudyError(
                f"land-cover classes {classes!r} are neither a shipped scheme nor an existing CSV",
                where=f"{src}, key 'landcover.classes'",
                fix=f"give one of {', '.join(LANDCOVER_SCHEMES)} or the path of a CSV (code, name, "
                "vegetation_type, group) relative to the study file",
            )
    return st


def load_study(path: str | Path) -> Study:
    """Read and validate a study file (``ecozone.toml``) or a folder holding one."""
    p = Path(path)
    if p.is_dir():
        p = p / "ecozone.toml"
    if not p.exists():
        raise StudyError(
            "study file not found",
            where=str(p),
            fix="give the path of an ecozone.toml, or create one with `ecozone init DIR`",
        )
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise StudyError(
            "the study file is not UTF-8 text",
            where=str(p),
            fix="save it with the encoding UTF-8 (e.g. Notepad: Save As > Encoding: UTF-8)",
        ) from None
    except OSError as e:
        raise StudyError(f"cannot be read ({e.strerror})", where=str(p), fix="give a readable study file") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise StudyError(
            f"not valid TOML: {e}",
            where=str(p),
            fix="correct the TOML syntax there (text in double quotes, lists in [ ], sections as [name], "
            "each key once)",
        ) from None
    return parse_study(data, p.parent.resolve(), p.resolve())

