import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from results_fixture import make_results  # noqa: E402


@pytest.fixture(scope="session")
def results_template(tmp_path_factory) -> Path:
    """A hand-built results folder (capacity + carbon), built once; copy it before changing anything."""
    return make_results(tmp_path_factory.mktemp("results-template") / "out")


@pytest.fixture
def results(tmp_path, results_template) -> Path:
    dst = tmp_path / "out"
    shutil.copytree(results_template, dst)
    return dst


@pytest.fixture(scope="session")
def built_report(tmp_path_factory, results_template) -> Path:
    """The English report of the hand-built folder (built once)."""
    from ecozone.report import build_report

    dst = tmp_path_factory.mktemp("built") / "out"
    shutil.copytree(results_template, dst)
    build_report(dst, lang="en")
    return dst


@pytest.fixture(scope="session")
def demo_out(request) -> Path:
    """The demo's output folder: ``$ECOZONE_DEMO_OUT`` when it names one, else the session's
    ``ecozone demo`` run (fixture ``demo_run`` of tests/conftest.py, shared with the other demo tests)."""
    given = os.environ.get("ECOZONE_DEMO_OUT")
    if given and (Path(given) / "report.html").exists():
        return Path(given)
    return request.getfixturevalue("demo_run")[0]
