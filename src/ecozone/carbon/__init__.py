"""Carbon budgets and carbon-balance zoning (METHODS §2; seeds 004 and 002).

Modules (pure functions; import what you need):

- :mod:`~ecozone.carbon.params`: ``CarbonParams`` and its sections, as in the study file.
- :mod:`~ecozone.carbon.tables`: the shipped tables (ε_max and NDVI extremes per
  vegetation type, land-cover legends, carbon coefficients) and their validation.
- :mod:`~ecozone.carbon.casa`: the improved CASA model, formula by formula (NumPy reference).
- :mod:`~ecozone.carbon.respiration`: heterotrophic respiration and NEP.
- :mod:`~ecozone.carbon.pipeline`: ``casa_year`` (lazy, chunked, dask) and ``casa_arrays``
  (in memory), both running the fused Numba kernel of :mod:`~ecozone.carbon._kernels`.
- :mod:`~ecozone.carbon.budget`: CB, CBI, ECC, ESC, budget state, totals, % changes, CO2 → C.
- :mod:`~ecozone.carbon.zoning`: the five zones of Table 3, zone shares and transitions.
- :mod:`~ecozone.carbon.emissions`: ARIMA gap-filling of emissions series.
- :mod:`~ecozone.carbon.coefficients`: the coefficient method of carbon sinks.
- :mod:`~ecozone.carbon.spatial`: Moran's I, LISA, Getis–Ord Gi*, gravity centres.
"""
