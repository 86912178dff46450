"""Heterotrophic respiration and NEP (METHODS §2.2; seed 004 eq. 1, 9)."""

from __future__ import annotations

import numpy as np

from ecozone.carbon.params import RespirationParams


def heterotrophic_respiration(temperature, precipitation, params: RespirationParams | None = None):
    """Rh = 0.22·(exp(0.0913·T) + ln(0.3145·P + 1))·30·0.465  (gC m-2 month-1).

    ``temperature``: monthly mean T (°C); ``precipitation``: monthly total P
    (mm month-1). The ×30 makes the daily regression monthly; 0.465 is the
    heterotrophic share of soil respiration (Pei et al. 2009).
    """
    r = params or RespirationParams()
    t = np.asarray(temperature, dtype=float)
    p = np.asarray(precipitation, dtype=float)
    return r.a * (np.exp(r.b * t) + np.log(r.c * p + 1.0)) * r.days * r.heterotrophic_share


def nep_annual(npp_monthly, rh_monthly):
    """NEP = Σ_months (NPP − Rh)  (gC m-2 yr-1); months on axis 0."""
    return np.sum(np.asarray(npp_monthly, float) - np.asarray(rh_monthly, float), axis=0)
