"""The ``drivers`` analysis declared (see :mod:`ecozone.analysis`).

It reads carbon's results (``reads``: carbon runs first, ``--only drivers``
adds it). A study without carbon runs it on ``[tables] factors`` alone when
that table holds the target columns (``[drivers] targets``).
"""

from ecozone.analysis import Analysis
from ecozone.drivers.factors import FACTORS
from ecozone.drivers.params import DriversParams
from ecozone.schema import package_schema

SPEC = Analysis(
    name="drivers",
    title="Drivers of carbon sources and sinks (geographical detector)",
    run="ecozone.drivers.run:run",
    schema=package_schema("ecozone.drivers"),
    params=DriversParams,
    reads=("carbon",),
    reads_unless=("factors",),
    input_tables={"factors": FACTORS},
    optional_tables=("factors", "economy"),
    report="ecozone.report.drivers:drivers_section",
    package="ecozone.drivers",
)
