"""One error type for every problem a user can fix.

Every message names *where* the problem is (file, key, column, row or pixel),
*what* is wrong and *how* to fix it. The CLI prints these without a traceback.
"""

from __future__ import annotations


class EcozoneError(Exception):
    """A problem with the user's study, inputs or parameters.

    Parameters
    ----------
    what:
        What is wrong, in one sentence.
    where:
        The file, and inside it the key, column, row or pixel.
    fix:
        What the user should do about it.
    """

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None):
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = []
        if self.where:
            parts.append(f"{self.where}: {self.what}")
        else:
            parts.append(self.what)
        if self.fix:
            parts.append(f"Fix: {self.fix}")
        return "\n".join(parts)

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


class InputError(EcozoneError):
    """An input file (units, table or raster) is missing or malformed."""


class StudyError(EcozoneError):
    """The study file is malformed (unknown key, wrong type, missing path)."""


class ParameterError(EcozoneError):
    """A parameter or parameter table is invalid."""


class MissingInputs(EcozoneError):
    """An analysis cannot run because some of its inputs are absent."""
