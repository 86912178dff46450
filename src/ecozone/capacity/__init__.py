"""Environmental carrying capacity (seed 000; METHODS §1).

Modules: :mod:`~ecozone.capacity.params` (study-file parameters),
:mod:`~ecozone.capacity.standards` (GB 3095 / GB 3838 limits and coordination
grades, shipped as CSV), :mod:`~ecozone.capacity.air` (eq. 1–2, HJ 663
statistics, aggregation), :mod:`~ecozone.capacity.water` (eq. 3–6),
:mod:`~ecozone.capacity.state` (states, eq. 7, member shares, majority rule),
:mod:`~ecozone.capacity.coupling` (four quadrants, ecological zones),
:mod:`~ecozone.capacity.agglomeration` (development typing, entropy weights,
coupling coordination degree), :mod:`~ecozone.capacity.hierarchy` (levels as
plain pandas objects) and :mod:`~ecozone.capacity.run` (``run_capacity``).
"""
