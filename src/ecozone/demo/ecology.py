"""Ecological-network inputs of the demo: a synthetic railway layer and the ``[ecology]`` settings.

SYNTHETIC DEMO DATA. ``layers/railways.geojson`` (``[layers] railways``)
holds five lines drawn straight from city centre to city centre (the mean
of the representative points of each city's counties) across the Yangtze River
Economic Belt — Shanghai–Nanjing–Hefei–Wuhan–Yichang–Chongqing–Chengdu,
Shanghai–Hangzhou–Nanchang–Changsha–Huaihua–Guiyang–Kunming,
Wuhan–Yueyang–Changsha, Nanjing–Wuhu–Anqing–Jiujiang–Nanchang and
Chongqing–Zunyi–Guiyang — so that the network has railway break points to
show. They follow no real track.

The demo runs the network on the regional 5 km land cover (``landcover``,
not Ezhou's 30 m ``landcover_fine``), aggregated to 10 km cells
(``coarsen = 2``), with Pinchpoint-Mapper circuits on each corridor
(``circuit_domain = "corridor"``, ``corridor_cutoff`` 100,000 resistance ×
m: ten 10 km forest cells) and the NDVI correction: a few seconds for the
four years, within the demo's time goal.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

#: The synthetic lines: (name, city ids from end to end).
LINES = (
    ("synthetic line 1 (Shanghai–Chengdu)", ("310000", "320100", "340100", "420100", "420500", "500000", "510100")),
    ("synthetic line 2 (Shanghai–Kunming)", ("310000", "330100", "360100", "430100", "431200", "520100", "530100")),
    ("synthetic line 3 (Wuhan–Changsha)", ("420100", "430600", "430100")),
    ("synthetic line 4 (Nanjing–Nanchang)", ("320100", "340200", "340800", "360400", "360100")),
    ("synthetic line 5 (Chongqing–Guiyang)", ("500000", "520300", "520100")),
)
LAYER_FILE = "layers/railways.geojson"
LAYERS_TOML = f'railways = "{LAYER_FILE}"   # synthetic (ecozone.demo.ecology): straight lines between city centres\n'
PARAMS_TOML = """
[ecology]   # the demo: the regional 5 km land cover aggregated to 10 km cells, circuits on the corridors (fast)
landcover = "landcover"
coarsen = 2
corridor_cutoff = 100000
circuit_domain = "corridor"
corrections = ["ndvi"]
"""


def railways(counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The synthetic railway lines (WGS 84) between the centres of the cities of :data:`LINES`."""
    p = counties.geometry.representative_point()
    centre = pd.DataFrame({"city_id": counties["city_id"].to_numpy(), "x": p.x.to_numpy(),
                           "y": p.y.to_numpy()}).groupby("city_id")[["x", "y"]].mean()
    geoms, names = [], []
    for name, ids in LINES:
        have = [i for i in ids if i in centre.index]
        if len(have) < 2:
            continue
        xy = centre.loc[have, ["x", "y"]].to_numpy()
        geoms.append(shapely.linestrings(xy))
        names.append(name)
    return gpd.GeoDataFrame({"name": names, "note": "SYNTHETIC DEMO DATA: not a real track"}, geometry=geoms,
                            crs=counties.crs).to_crs(4326)


def write_ecology(folder: Path, counties: gpd.GeoDataFrame) -> None:
    """Write ``layers/railways.geojson`` into the demo study ``folder``."""
    g = railways(counties)
    g["geometry"] = shapely.set_precision(g.geometry.to_numpy(), 1e-6)
    (folder / "layers").mkdir(exist_ok=True)
    (folder / LAYER_FILE).write_text(g.to_json(drop_id=True), encoding="utf-8")


SOURCES_MD = """
## Ecological network inputs (SYNTHETIC DEMO DATA)

`layers/railways.geojson` (`[layers] railways`) is synthetic
(`ecozone.demo.ecology`): five straight lines from city centre to city
centre (Shanghai–Chengdu, Shanghai–Kunming, Wuhan–Changsha,
Nanjing–Nanchang, Chongqing–Guiyang, through the cities named in the
module), so that the ecological network has railway break points to show.
They follow no real track. The study file's `[ecology]` section runs the
network on the 5 km land cover aggregated to 10 km cells, with circuits on
each corridor, to keep the demo fast (docs/ecology.md says how to run it at
full resolution).
"""

__all__ = ["LAYERS_TOML", "LAYER_FILE", "LINES", "PARAMS_TOML", "SOURCES_MD", "railways", "write_ecology"]
