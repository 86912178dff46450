"""Parameters as data: standards, coefficients and labels shipped with ecozone.

Every data file in this folder cites its source in a header comment (TOML) or
a ``source`` column (CSV). :func:`data_path` finds a shipped file;
:class:`Params` is the base class of every parameter model of the study file.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict


class Params(BaseModel):
    """Base of all study-file models: unknown keys and wrong types are errors."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def data_path(name: str) -> Path:
    """Path of a data file shipped in ``ecozone/params`` (e.g. ``"gb3095.csv"``)."""
    return Path(str(resources.files("ecozone.params").joinpath(name)))
