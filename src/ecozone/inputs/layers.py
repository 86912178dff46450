"""Vector layers of ``[layers]`` (rivers, parks, red lines, roads …; METHODS §3.0, §4), read and validated.

Each layer is any OGR vector with a CRS; it is returned in WGS 84 with its
attribute columns, after checking that its geometries are of the kinds the
analysis accepts (polygons, lines or points) and repairing invalid ones.
"""

from __future__ import annotations

from pathlib import Path

from ecozone.errors import InputError

KINDS = {
    "polygon": ("Polygon", "MultiPolygon"),
    "line": ("LineString", "MultiLineString", "LinearRing"),
    "point": ("Point", "MultiPoint"),
}


def load_layer(path: Path, name: str, kinds: tuple[str, ...], *, layer: str | None = None):
    """Read the vector layer ``name`` (``[layers] name``) from ``path``; return a GeoDataFrame in EPSG:4326.

    ``kinds``: the geometry kinds accepted (``"polygon"``, ``"line"``, ``"point"``).
    Raises :class:`~ecozone.errors.InputError` naming the file and the fix for
    a missing or unreadable file, no geometry, no CRS, an empty layer or
    geometries of another kind. Empty geometries are dropped; invalid
    polygons are repaired (``make_valid``).
    """
    import geopandas as gpd
    import pyogrio

    key = f"[layers] {name}"
    what = " or ".join(kinds)
    if not Path(path).exists():
        raise InputError("file not found", where=f"{path} ({key})", fix=f"correct {key}")
    try:
        info = pyogrio.read_info(path, layer=layer)
    except Exception as e:  # noqa: BLE001 - GDAL's messages vary
        raise InputError(f"cannot be read as a vector layer ({e})", where=f"{path} ({key})",
                         fix=f"give a {what} layer GDAL reads (GeoPackage, Shapefile, GeoJSON …)") from None
    if not info.get("geometry_type"):
        raise InputError("the file has no geometry column", where=f"{path} ({key})",
                         fix=f"give a {what} layer, not a table")
    try:
        gdf = gpd.read_file(path, layer=layer)
    except Exception as e:  # noqa: BLE001
        raise InputError(f"cannot be read ({e})", where=f"{path} ({key})", fix="re-export the layer") from None
    if gdf.crs is None:
        raise InputError("the layer has no CRS", where=f"{path} ({key})",
                         fix="assign the CRS of its coordinates (e.g. EPSG:4326) and save it again")
    gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    if len(gdf) == 0:
        raise InputError("the layer has no features", where=f"{path} ({key})",
                         fix=f"give a layer with at least one {what}, or remove {key}")
    ok = tuple(t for k in kinds for t in KINDS[k])
    bad = gdf.geom_type[~gdf.geom_type.isin(ok)]
    if len(bad):
        raise InputError(
            f"{len(bad)} feature(s) are {bad.iloc[0]}, not {what} (first at feature {bad.index[0]})",
            where=f"{path} ({key})",
            fix=f"give {what} geometries in this layer",
        )
    if "polygon" in kinds:
        invalid = ~gdf.geometry.is_valid
        if invalid.any():
            gdf.loc[invalid, gdf.geometry.name] = gdf.geometry[invalid].make_valid()
            gdf.attrs["repaired"] = int(invalid.sum())
    return gdf.to_crs(4326)


__all__ = ["KINDS", "load_layer"]
