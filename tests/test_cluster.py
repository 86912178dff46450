"""The raster work of the carbon analysis on a dask.distributed cluster (issue 14).

The small study's carbon analysis is run twice, on local threads and with
``scheduler=`` the address of a ``distributed.LocalCluster`` of two worker
processes (one thread each, tcp on loopback), and every table and raster of
the two runs must agree to 1e-12. The small study's 13 × 18 grid is a single
chunk, so its rasters are refined eight times (every pixel becomes 8 × 8
pixels of the same value, 104 × 144) and ``[compute] chunk_size = 64``: six
chunks per raster, spread over both workers.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio

from ecozone.run import run_study

FACTOR = 8


def refine(folder: Path, factor: int = FACTOR) -> None:
    """Every raster of ``folder/rasters`` on a grid ``factor`` times finer (same values, same extent)."""
    for p in sorted((folder / "rasters").glob("*.tif")):
        with rasterio.open(p) as src:
            a, profile = src.read(1), src.profile
        a = np.repeat(np.repeat(a, factor, axis=0), factor, axis=1)
        t = profile["transform"]
        profile.update(width=a.shape[1], height=a.shape[0],
                       transform=rasterio.Affine(t.a / factor, t.b, t.c, t.d, t.e / factor, t.f))
        with rasterio.open(p, "w", **profile) as dst:
            dst.write(a, 1)


def _kernels_run() -> dict[str, bool]:
    """In a worker: whether the CASA and the zonal Numba kernels ran in this process."""
    from ecozone.carbon._kernels import casa_serial
    from ecozone.zonal import _accumulate

    return {"casa": bool(casa_serial.signatures), "zonal": bool(_accumulate.signatures)}


@pytest.fixture(scope="module")
def fine_study(small_study_template, tmp_path_factory) -> Path:
    study = tmp_path_factory.mktemp("cluster") / "study"
    shutil.copytree(small_study_template, study)
    refine(study)
    toml = study / "ecozone.toml"
    toml.write_text(toml.read_text() + "\n[compute]\nchunk_size = 64\n")
    return study


def test_carbon_on_a_cluster_equals_the_threaded_run(fine_study, tmp_path):
    from distributed import Client, LocalCluster, get_task_stream

    threads = run_study(fine_study, out=tmp_path / "threads", only=["carbon"], report=False)
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        with get_task_stream(client) as ts:
            cluster_run = run_study(fine_study, out=tmp_path / "cluster", only=["carbon"],
                                    scheduler=cluster.scheduler_address, report=False)
        # the kernels each worker process ran (Numba compiles or loads a kernel on first call)
        ran = client.run(_kernels_run)
    # the raster work ran in both worker processes: the CASA kernel once per chunk and year
    # (2 years x 6 chunks), the zonal kernel on the chunks of the NPP/Rh/NEP and land-cover rasters
    assert len(ran) == 2 and all(r == {"casa": True, "zonal": True} for r in ran.values()), ran
    done = pd.DataFrame([{"key": str(t["key"]), "worker": t["worker"]} for t in ts.data])
    casa = done[done["key"].str.contains("'casa-")]
    assert len(casa) == 2 * 6 and set(casa["worker"]) == set(ran)
    # the zonal weights are one task per reduction (2 per year), not shipped with every chunk
    assert done["key"].str.contains("ecozone-zonal-weights-").sum() == 2 * 2
    # the scratch rasters (in the study's cache folder on a cluster, where every worker reads) are gone
    assert not list((fine_study / ".ecozone-cache").glob("ecozone-carbon-*"))
    # the same tables, to 1e-12
    assert set(threads.tables) == set(cluster_run.tables) and "carbon" in threads.tables
    for name, a in threads.tables.items():
        pd.testing.assert_frame_equal(a, cluster_run.tables[name], check_exact=False, rtol=1e-12, atol=0,
                                      obj=name)
    # the same rasters, to 1e-12
    assert threads.rasters == cluster_run.rasters and threads.rasters
    for r in threads.rasters:
        with rasterio.open(tmp_path / "threads" / r) as x, rasterio.open(tmp_path / "cluster" / r) as y:
            a, b = x.read(1), y.read(1)
            assert a.shape == (13 * FACTOR, 18 * FACTOR) and np.isfinite(a).any()
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=0, equal_nan=True, err_msg=r)
