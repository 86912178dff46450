"""Green-infrastructure inputs of the demo: a 30 m land cover over one city and its vector layers.

SYNTHETIC DEMO DATA. Ezhou (鄂州市, Hubei; city 420700: Liangzihu,
Huarong and Echeng districts, 1,588 km²) gets

- ``rasters/lcf_{year}.tif`` (``[rasters] landcover_fine``): IGBP classes
  on a 30 m Albers grid over the city's bounding box (+ 600 m), derived
  from the demo's 5 km land cover of the same year: the coarse classes
  sampled through a smooth domain warp (± ~1.5 km, so class boundaries
  become organic instead of 5 km squares), then sub-cell detail from fixed
  noise fields — fish ponds (water) and woodlots (mixed forest) and
  villages (built-up) in cropland, clearings (mosaic) in forest, grass in
  the built-up area — and an approximate Liangzi Lake (an ellipse with a
  noisy shore and a wetland fringe; the real lake is larger and lobed);
  the built-up area grows with the coarse one, year by year;
- ``layers/*.geojson`` (``[layers]``), made from the 2020 fine land cover:
  ``roads`` a street grid (400 m, turned 15°) over the town, ``residential``
  (blocks between the streets, polygons), ``green_space`` (park blocks and
  three larger parks), ``greenways`` (the lake shore and two streets),
  ``red_lines`` (forest, wetland and lake patches ≥ 3 km², simplified).

Population comes from the demo's economy table (synthetic too). Every
random stream is fixed by :data:`ecozone.demo.synthetic.SEED`.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from affine import Affine
from pyproj import CRS, Transformer
from rasterio.features import shapes as raster_shapes
from scipy import ndimage

from ecozone.demo import synthetic as syn
from ecozone.grid import Grid

#: The city with the fine land cover and the green layers: Ezhou (鄂州市).
CITY_ID = "420700"
CELL_M = 30.0
MARGIN_M = 600.0
#: Street spacing of the synthetic town (m).
STREET_M = 400.0
RASTER_PATTERN = "rasters/lcf_{year}.tif"
LAYER_FILES = {
    "red_lines": "layers/red_lines.geojson",
    "green_space": "layers/green_space.geojson",
    "greenways": "layers/greenways.geojson",
    "residential": "layers/residential.geojson",
    "roads": "layers/roads.geojson",
}
LAYERS_TOML = "".join(f'{k} = "{v}"   # synthetic (ecozone.demo.green): Ezhou only\n' for k, v in LAYER_FILES.items())
#: Liangzi Lake, approximately: centre lon, lat (°), semi-axes (km), rotation (° from east)
LAKE = (114.60, 30.23, 8.0, 4.5, 25.0)
FORESTS = (syn.ENF, syn.EBF, syn.DBF, syn.MF, syn.WSA)
CROPS = (syn.CRO, syn.MOS)


def fine_grid(counties: gpd.GeoDataFrame) -> tuple[Grid, object]:
    """The 30 m Albers grid over the city (bounding box + margin, snapped to 30 m) and the city polygon."""
    city = counties[counties["city_id"] == CITY_ID].to_crs(syn.AEA).geometry.union_all()
    x0, y0, x1, y1 = city.bounds
    x0 = np.floor((x0 - MARGIN_M) / CELL_M) * CELL_M
    y0 = np.floor((y0 - MARGIN_M) / CELL_M) * CELL_M
    x1 = np.ceil((x1 + MARGIN_M) / CELL_M) * CELL_M
    y1 = np.ceil((y1 + MARGIN_M) / CELL_M) * CELL_M
    grid = Grid(CRS.from_proj4(syn.AEA), Affine(CELL_M, 0.0, x0, 0.0, -CELL_M, y1),
                int(round((y1 - y0) / CELL_M)), int(round((x1 - x0) / CELL_M)))
    return grid, city


def _fields(shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """The fixed noise fields (float32, unit variance) shared by every year, drawn at 60 m and repeated to 30 m."""
    spec = {"warp_x": 50.0, "warp_y": 50.0, "hills": 70.0, "pond": 3.0, "wood": 6.0, "village": 2.5, "clear": 5.0,
            "shore": 15.0, "grass": 2.5}
    half = ((shape[0] + 1) // 2, (shape[1] + 1) // 2)
    out = {}
    for k, scale in spec.items():
        f = syn.smooth_noise(syn.rng_for(f"green-{k}"), half, scale).astype(np.float32)
        out[k] = np.repeat(np.repeat(f, 2, axis=0), 2, axis=1)[: shape[0], : shape[1]]
    return out


def _lake(grid: Grid, shore: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(water, wetland fringe) masks of the approximate Liangzi Lake on ``grid``."""
    lon0, lat0, a_km, b_km, angle = LAKE
    x0, y0 = Transformer.from_crs("EPSG:4326", grid.crs, always_xy=True).transform(lon0, lat0)
    xx, yy = np.meshgrid(grid.x_coords() - x0, grid.y_coords() - y0)
    th = np.radians(angle)
    u = (xx * np.cos(th) + yy * np.sin(th)) / (a_km * 1000.0)
    v = (-xx * np.sin(th) + yy * np.cos(th)) / (b_km * 1000.0)
    r2 = (u * u + v * v) * (1.0 + 0.18 * shore)
    return r2 <= 1.0, (r2 > 1.0) & (r2 <= 1.22)


def fine_landcover(coarse: np.ndarray, coarse_grid: Grid, grid: Grid, f: dict[str, np.ndarray],
                   lake: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """The 30 m land cover (IGBP, uint8) of one year from the 5 km one (see the module docstring).

    ``f``: the fields of :func:`_fields`; ``lake``: the (water, fringe) masks of :func:`_lake`.
    """
    xs = grid.x_coords()[None, :] + 1500.0 * f["warp_x"]
    ys = grid.y_coords()[:, None] + 1500.0 * f["warp_y"]
    inv = ~coarse_grid.transform
    col, row = inv @ (xs, ys)
    row = np.clip(np.floor(row).astype(np.int64), 0, coarse_grid.height - 1)
    col = np.clip(np.floor(col).astype(np.int64), 0, coarse_grid.width - 1)
    lc = coarse[row, col].astype(np.uint8)
    if (lc == syn.LC_NODATA).any():  # warped beyond the coarse data: the unwarped class
        c2, r2 = inv @ (grid.x_coords()[None, :] + 0 * ys, grid.y_coords()[:, None] + 0 * xs)
        miss = lc == syn.LC_NODATA
        lc[miss] = coarse[np.clip(np.floor(r2).astype(int), 0, coarse_grid.height - 1),
                          np.clip(np.floor(c2).astype(int), 0, coarse_grid.width - 1)][miss]
    crop = np.isin(lc, CROPS)
    forest = np.isin(lc, FORESTS)
    urban = lc == syn.URB
    out = lc.copy()
    hills = crop & (f["hills"] > 1.0)                  # low hills: forest, mosaic at their foot
    out[crop & (f["hills"] > 0.7)] = syn.MOS
    out[hills] = np.where(f["wood"][hills] > 0.0, syn.EBF, syn.MF)
    crop &= ~hills
    forest |= hills
    out[crop & (f["wood"] > 2.0)] = syn.MF
    out[crop & (f["pond"] > 2.3)] = syn.WAT
    out[crop & (f["village"] > 2.6)] = syn.URB
    out[forest & (f["clear"] > 2.1)] = syn.MOS
    out[urban & (f["grass"] > 1.8)] = syn.GRA
    water, fringe = lake
    out[fringe & ~urban] = syn.WET
    out[water] = syn.WAT
    return out


def _write(path: Path, arr: np.ndarray, grid: Grid, year: int) -> None:
    profile = dict(driver="GTiff", height=grid.height, width=grid.width, count=1, dtype="uint8",
                   crs=grid.crs.to_wkt(), transform=grid.transform, nodata=syn.LC_NODATA, compress="deflate",
                   zlevel=6, predictor=2, tiled=True, blockxsize=256, blockysize=256)
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(arr, 1)
        ds.update_tags(SOURCE="synthetic demo data (ecozone.demo.green)", SEED=str(syn.SEED), YEAR=str(year),
                       CLASSES="MODIS IGBP (LC_Type1) codes; 30 m detail derived from the 5 km demo land cover")


def _polygons(mask: np.ndarray, transform: Affine) -> np.ndarray:
    geoms = [shapely.geometry.shape(g) for g, v in raster_shapes(mask.astype(np.uint8), mask=mask,
                                                                  transform=transform) if v == 1]
    return np.asarray(geoms, dtype=object)


def _town(lc: np.ndarray, grid: Grid):
    """The town: built-up patches of at least 2 km² (closed, at 90 m), as one polygon, or None."""
    built = np.isin(lc, (syn.URB, syn.GRA))
    h, w = (lc.shape[0] // 3) * 3, (lc.shape[1] // 3) * 3
    coarse = built[:h, :w].reshape(h // 3, 3, w // 3, 3).mean(axis=(1, 3)) > 0.5
    coarse = ndimage.binary_closing(coarse, iterations=2)
    lab, n = ndimage.label(coarse)
    if not n:
        return None
    sizes = np.bincount(lab.ravel())[1:] * (90.0 * 90.0) / 1e6
    keep = np.isin(lab, 1 + np.flatnonzero(sizes >= 2.0))
    if not keep.any():
        return None
    t90 = grid.transform @ Affine.scale(3.0)
    return shapely.union_all(_polygons(keep, t90)).simplify(45.0)


def vector_layers(lc2020: np.ndarray, grid: Grid, water: np.ndarray, city) -> dict[str, gpd.GeoDataFrame]:
    """The five green layers (Albers) from the 2020 fine land cover, inside the ``city`` polygon.

    ``water``: the lake mask of :func:`_lake`.
    """
    rng = syn.rng_for("green-layers")
    crs = grid.crs
    town = _town(lc2020, grid)
    inner = city.buffer(-100.0)  # 100 m inside the city: no sliver of a layer crosses into a neighbour
    town = None if town is None else town.intersection(inner)
    out: dict[str, gpd.GeoDataFrame] = {}
    # red lines: forest, wetland and lake patches of at least 3 km² (150 m majority, opened)
    eco = np.isin(lc2020, (*FORESTS, syn.WET, syn.WAT))
    h, w = (lc2020.shape[0] // 5) * 5, (lc2020.shape[1] // 5) * 5
    eco5 = ndimage.binary_opening(eco[:h, :w].reshape(h // 5, 5, w // 5, 5).mean(axis=(1, 3)) > 0.5, iterations=1)
    lab, _ = ndimage.label(eco5)
    sizes = np.bincount(lab.ravel()) * (150.0 * 150.0) / 1e6
    big = np.isin(lab, np.flatnonzero(sizes >= 3.0)) & (lab > 0)
    reds = [g.simplify(75.0).intersection(inner) for g in _polygons(big, grid.transform @ Affine.scale(5.0))]
    reds = [g for g in reds if g.area >= 1e6]
    out["red_lines"] = gpd.GeoDataFrame({"name": [f"red line {i + 1} (synthetic)" for i in range(len(reds))]},
                                        geometry=reds, crs=crs)
    if town is None:
        raise ValueError("the demo city has no built-up area in 2020")  # pragma: no cover - fixed data
    # a street grid turned 15° over the town, 400 m apart
    cx, cy = town.centroid.x, town.centroid.y
    x0, y0, x1, y1 = town.bounds
    half = max(x1 - x0, y1 - y0) / 2 + 800.0
    ticks = np.arange(-half, half + 1.0, STREET_M)
    rot = np.radians(15.0)
    cos, sin = np.cos(rot), np.sin(rot)

    def turned(p):
        p = np.asarray(p, float)
        return np.stack([cx + p[..., 0] * cos - p[..., 1] * sin, cy + p[..., 0] * sin + p[..., 1] * cos], axis=-1)

    area = town.buffer(150.0).intersection(inner.buffer(50.0))  # streets end 50 m inside the city
    shapely.prepare(area)
    ends = np.array([[[t, -half], [t, half]] for t in ticks] + [[[-half, t], [half, t]] for t in ticks])
    lines = shapely.linestrings(turned(ends))
    streets = [g for g in shapely.get_parts(shapely.intersection(lines, area))
               if g.geom_type == "LineString" and g.length > 50.0]
    out["roads"] = gpd.GeoDataFrame({"name": [f"street {i + 1} (synthetic)" for i in range(len(streets))]},
                                    geometry=streets, crs=crs)
    # blocks between the streets, 20 m from their centre lines; those whose centre is in the town
    ii, jj = np.meshgrid(np.arange(len(ticks) - 1), np.arange(len(ticks) - 1), indexing="ij")
    a, b = ticks[ii.ravel()], ticks[jj.ravel()]
    m, q = 20.0, STREET_M - 20.0
    corners = np.stack([np.stack([a + m, b + m], -1), np.stack([a + q, b + m], -1), np.stack([a + q, b + q], -1),
                        np.stack([a + m, b + q], -1)], axis=1)
    squares = shapely.polygons(turned(corners))
    centre = turned(np.stack([a + STREET_M / 2, b + STREET_M / 2], -1))
    shapely.prepare(town)
    inside = shapely.contains_xy(town, centre[:, 0], centre[:, 1])
    blocks = shapely.intersection(squares[inside], town)
    keys = list(zip(ii.ravel()[inside].tolist(), jj.ravel()[inside].tolist(), strict=True))
    kind = np.where(rng.random(len(blocks)) < 0.12, "park", np.where(rng.random(len(blocks)) < 0.8, "res", "other"))
    # three larger parks of 2 × 2 blocks (the streets between them included)
    index = {k: n for n, k in enumerate(keys)}
    large = []
    for n in rng.permutation(len(keys)):
        i, j = keys[n]
        four = [index.get((i + di, j + dj)) for di in (0, 1) for dj in (0, 1)]
        if None in four or any(kind[k] == "big" for k in four):
            continue
        kind[four] = "big"
        a0, b0 = ticks[i], ticks[j]
        sq = turned(np.array([(a0 + m, b0 + m), (a0 + 2 * STREET_M - m, b0 + m),
                              (a0 + 2 * STREET_M - m, b0 + 2 * STREET_M - m), (a0 + m, b0 + 2 * STREET_M - m)]))
        large.append(shapely.Polygon(sq).intersection(town))
        if len(large) == 3:
            break
    parks = [*blocks[kind == "park"], *large]
    out["green_space"] = gpd.GeoDataFrame(
        {"name": [f"park {i + 1} (synthetic)" for i in range(len(parks))],
         "kind": ["community park"] * int((kind == "park").sum()) + ["comprehensive park"] * len(large)},
        geometry=parks, crs=crs)
    res = blocks[kind == "res"]
    out["residential"] = gpd.GeoDataFrame({"name": [f"block {i + 1} (synthetic)" for i in range(len(res))]},
                                          geometry=res, crs=crs)
    # greenways: most of the lake shore, and two streets through the town
    lake = shapely.union_all(_polygons(water, grid.transform)).buffer(120.0).simplify(60.0)
    shore = lake.exterior if lake.geom_type == "Polygon" else max(shapely.get_parts(lake), key=lambda g: g.area).exterior
    arc = shapely.ops.substring(shore, 0.0, 0.65 * shore.length).intersection(inner)
    arc = max(shapely.get_parts(arc), key=lambda g: g.length) if arc.geom_type.startswith("Multi") else arc
    mid = len(ticks) // 2
    ways = [arc, *[g for g in shapely.get_parts(shapely.intersection(lines[[mid, len(ticks) + mid]], area))
                   if g.geom_type == "LineString"]]
    out["greenways"] = gpd.GeoDataFrame({"name": ["Liangzi Lake shore greenway (synthetic)"]
                                         + [f"street greenway {i + 1} (synthetic)" for i in range(len(ways) - 1)]},
                                        geometry=ways, crs=crs)
    return out


def write_green(folder: Path, counties: gpd.GeoDataFrame, years=syn.YEARS) -> None:
    """Write ``rasters/lcf_{year}.tif`` and ``layers/*.geojson`` into the demo study ``folder``.

    Reads the demo's own ``rasters/lc_{year}.tif`` (written before).
    """
    import shapely.ops  # noqa: F401 - substring

    grid, city = fine_grid(counties)
    fields = _fields(grid.shape)
    lake = _lake(grid, fields["shore"])
    lc = None
    for year in years:
        with rasterio.open(folder / "rasters" / f"lc_{year}.tif") as ds:
            coarse = ds.read(1)
            cgrid = Grid.from_rasterio(ds)
        lc = fine_landcover(coarse, cgrid, grid, fields, lake)
        _write(folder / RASTER_PATTERN.format(year=year), lc, grid, year)
    ldir = folder / "layers"
    ldir.mkdir(exist_ok=True)
    for name, gdf in vector_layers(lc, grid, lake[0], city).items():
        g = gdf.to_crs(4326)
        g["geometry"] = shapely.set_precision(g.geometry.to_numpy(), 1e-7)
        (folder / LAYER_FILES[name]).write_text(g.to_json(drop_id=True), encoding="utf-8")


SOURCES_MD = """
## Green infrastructure of Ezhou (SYNTHETIC DEMO DATA)

`rasters/lcf_{year}.tif` (`[rasters] landcover_fine`) and
`layers/red_lines.geojson`, `green_space.geojson`, `greenways.geojson`,
`residential.geojson`, `roads.geojson` are synthetic (`ecozone.demo.green`)
and cover Ezhou (鄂州市, city 420700) only. The 30 m land cover (IGBP codes,
Albers, the city's bounding box + 600 m) is the demo's 5 km land cover of the
same year drawn through a smooth random warp, with made-up fish ponds,
woodlots, villages, forest clearings and urban grass, and an approximate
Liangzi Lake (an ellipse with a noisy shore and a wetland fringe). The
streets are a 400 m grid over the 2020 town; the residential blocks and the
parks are blocks of that grid; the greenways follow the lake shore and two
streets; the red lines are the large forest, wetland and lake patches of the
2020 fine land cover. None of it is a survey, a plan or a real map.
"""

__all__ = ["CITY_ID", "LAYERS_TOML", "LAYER_FILES", "RASTER_PATTERN", "SOURCES_MD", "fine_grid",
           "fine_landcover", "vector_layers", "write_green"]
