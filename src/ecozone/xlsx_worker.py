"""Write results.xlsx in a process of its own (:func:`ecozone.store.start_xlsx`).

``python -m ecozone.xlsx_worker JOB`` reads the pickle ``JOB`` (``path``,
``tables``, ``names``) that :func:`ecozone.store.start_xlsx` wrote and calls
:func:`ecozone.store.write_xlsx`. Exit code 0 when the workbook is complete;
otherwise 1 with the error on the last line of standard error.
"""

from __future__ import annotations

import pickle
import sys


def main(argv: list[str]) -> int:
    from ecozone.store import write_xlsx

    try:
        with open(argv[0], "rb") as f:
            job = pickle.load(f)  # noqa: S301 - written by start_xlsx of the parent process, never user data
        write_xlsx(job["path"], job["tables"], names=job["names"])
    except Exception as e:  # noqa: BLE001 - reported to the parent, which raises a clear error
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
