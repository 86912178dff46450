"""The commented template study file written by ``ecozone init``.

The input sections are written by hand; the parameter sections are generated
from the parameter models, so every parameter appears with its default and
its description.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

HEADER = '''# ecozone study file — see METHODS §0 (data contract) and the README.
# Paths are relative to this file. Unknown keys are errors.

[study]
name = "My study"
years = [2015, 2020]
# area_crs = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84"   # equal-area CRS for areas
# synthetic = false            # true labels every output "synthetic demo data"

[units]
path = "units.gpkg"            # any OGR vector: GeoPackage, Shapefile, GeoJSON ...; needs a CRS
# layer = "counties"           # when the file has several layers
name = "name"                  # name column of the finest level
# level name = id column, finest first; an empty id = belongs to none at that level
levels = { county = "unit_id", city = "city_id", agglomeration = "agglo_id" }
# level_names = { city = "city_name", agglomeration = "agglo_name" }
# parents = { agglomeration = "city" }   # the level each level nests in (default: the one before)

[tables]                       # any subset; CSV, XLSX or Parquet, long format (METHODS §0.2)
# air = "air.csv"              # unit_id, year, pollutant, value, unit (ug/m3 | mg/m3)
# air_daily = "air_daily.csv"  # unit_id, date, pollutant, value
# water = "water.csv"          # section_id, unit_id, year, waterbody, target_class, pollutant, value (mg/L)
# economy = { path = "economy.xlsx", sheet = "2020", units = { gdp = "1e4 CNY", population = "1e4 persons" } }
# emissions = "emissions.csv"  # unit_id, year, value, unit (t CO2 | Mt CO2 | t C)
# development = "development.csv"            # unit_id, year, <indicator columns>
# ecological_function = "eco_function.csv"   # unit_id, zone_type
# parks = "parks.csv"          # park_id, name, level, province (+ city, region, is_chemical, lon, lat …), METHODS §3
# park_year = "park_year.csv"  # park_id, year, value_added (+ energy_tce, fresh_water_m3, cod_kg …)
# energy_units = "energy_units.csv"          # plant_id, park_id, unit_type, fuel, capacity_mw, commissioning_year
# wwtp = "wwtp.csv"            # wwtp_id, park_id, design_m3_per_day, inflow_m3_per_day (+ cod_in, cod_out …)
# flows = "flows.csv"          # origin, destination, year, kind, value (METHODS §5.1)
# travel_times = "travel_times.csv"          # origin, destination, year, mode, hours
# factors = "factors.csv"      # unit_id, year, <factor columns> for the geographical detector (METHODS §7)

[rasters]                      # any subset; {year} and {month:02d} are filled in
# ndvi = "rasters/ndvi_{year}_{month:02d}.tif"
# ndvi = { pattern = "rasters/ndvi_{year}_{month:02d}.tif", scale_factor = 0.0001 }   # scaled integers
# temperature = "rasters/tmp_{year}_{month:02d}.tif"          # °C; { ..., unit = "K" } converts Kelvin
# precipitation = "rasters/pre_{year}_{month:02d}.tif"        # mm per month
# radiation = "rasters/sol_{year}_{month:02d}.tif"            # MJ m-2 per month; { ..., unit = "W m-2" } converts
# landcover = "rasters/lc_{year}.tif"                          # class codes
# landcover_fine = "rasters/lc30_{year}.tif"                   # finer land cover for the ecological network and landscape metrics
# dem = "rasters/dem.tif"                                      # elevation, m (one file)
# reference = "rasters/lc_2020.tif"                            # grid to align to (default: first landcover)

[layers]                       # vector inputs, any OGR vector with a CRS: a path or { path, layer }
# rivers = "layers/rivers.gpkg"        # lines: shoreline distance of parks (METHODS §3.1)
# parks = "layers/parks.gpkg"          # park polygons with a park_id column
# red_lines = "layers/red_lines.gpkg"  # ecological red lines (polygons)
# green_space = "layers/green.gpkg"    # parks and green spaces (polygons)
# roads = "layers/roads.gpkg"          # road lines (walking distance, break points)

[store]                        # also write the results into PostGIS (docs/store.md)
# url = "postgresql://planner@localhost:5432/gis"   # password from PGPASSWORD or ~/.pgpass, never here
# schema = "ecozone"

[compute]
# chunk_size = 1024            # raster chunk edge, pixels
# scheduler = "tcp://127.0.0.1:8786"   # dask.distributed; default: local threads
'''


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, Path):
        return json.dumps(str(v))
    if v is None:
        return "<unset>"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return json.dumps(str(v))


def _section(model: BaseModel, name: str) -> list[str]:
    lines = [f"[{name}]"]
    subs = []
    for key, f in type(model).model_fields.items():
        v = getattr(model, key)
        if isinstance(v, BaseModel):
            subs.append((key, v))
            continue
        desc = (f.description or "").replace("\n", " ")
        dumped = v if not isinstance(v, BaseModel) else v.model_dump()
        if isinstance(v, dict):
            dumped = {k: (x.model_dump() if isinstance(x, BaseModel) else x) for k, x in v.items()}
        line = f"# {key} = {_toml_value(dumped)}"
        lines.append(f"{line:<48} # {desc}" if desc else line)
    out = lines + [""]
    for key, sub in subs:
        out += _section(sub, f"{name}.{key}")
    return out


def study_template() -> str:
    """The full template: inputs by hand, every parameter with default and description."""
    from ecozone.registry import ANALYSES
    from ecozone.study import LandcoverSection

    parts = [HEADER, "# ---- parameters (defaults shown; uncomment to override) ----", ""]
    parts += _section(LandcoverSection(), "landcover")
    done: set[str] = set()
    for a in ANALYSES.values():
        sec = a.params_section
        if sec and sec not in done:
            done.add(sec)
            parts += _section(a.params(), sec)
    return "\n".join(parts)
