import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from small_study import make_small_study  # noqa: E402


@pytest.fixture(scope="session")
def small_study_template(tmp_path_factory) -> Path:
    """The small study, built once; copy it before changing anything."""
    root = tmp_path_factory.mktemp("small-template")
    return make_small_study(root).parent


@pytest.fixture
def small_study(tmp_path, small_study_template) -> Path:
    """A fresh copy of the small study (a folder holding ecozone.toml)."""
    import shutil

    dst = tmp_path / "study"
    shutil.copytree(small_study_template, dst)
    return dst


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """`ecozone demo` run once per test session through the real CLI entry point.

    Returns (output folder, CLI stdout). The demo study is built into a
    temporary cache (ECOZONE_CACHE), as a fresh machine would.
    """
    import os
    import subprocess

    root = tmp_path_factory.mktemp("demo")
    env = dict(os.environ, ECOZONE_CACHE=str(root / "cache"))
    out = root / "ecozone-demo"
    p = subprocess.run(
        [sys.executable, "-m", "ecozone", "demo", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    return out, p.stdout
