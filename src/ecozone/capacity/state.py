"""States of carrying capacity, the comprehensive index, and member shares
(seed 000 eq. 7; METHODS §1.1–§1.4).

State codes: ``overload``, ``critical`` (critical overload), ``non-overload``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecozone.capacity.hierarchy import Hierarchy

OVERLOAD, CRITICAL, NON_OVERLOAD = "overload", "critical", "non-overload"
STATES = (OVERLOAD, CRITICAL, NON_OVERLOAD)
TIED = "tied"

#: indices are rounded to this many decimals before they are compared with the
#: thresholds, so that a concentration exactly at a threshold (e.g. 28 µg/m³
#: against 35: 28/35 − 1 = −0.19999999999999996 in binary) falls where METHODS says
ROUND_DECIMALS = 10


def classify_state(r, critical_threshold: float) -> np.ndarray:
    """State of each excess index (dimensionless).

    R > 0 → overload; critical_threshold < R ≤ 0 → critical;
    R ≤ critical_threshold → non-overload (air −0.2, water −0.3).
    Missing R gives ``None``.
    """
    r = np.asarray(r, dtype=float)
    rr = np.round(r, ROUND_DECIMALS)
    out = np.full(r.shape, None, dtype=object)
    ok = ~np.isnan(rr)
    out[ok & (rr > 0)] = OVERLOAD
    out[ok & (rr <= 0) & (rr > critical_threshold)] = CRITICAL
    out[ok & (rr <= critical_threshold)] = NON_OVERLOAD
    return out


def _present(s) -> bool:
    return s is not None and not (isinstance(s, float) and np.isnan(s)) and s != ""


def combine_state(state_air, state_water) -> tuple[str | None, str]:
    """Comprehensive state from the air and water states (METHODS §1.3).

    Either overloaded → overload; otherwise either critical → critical;
    otherwise non-overload. With one medium only, that one decides.
    Returns ``(state, media)`` with media ``"air+water"``, ``"air"``,
    ``"water"`` or ``""`` (neither).
    """
    a, w = _present(state_air), _present(state_water)
    if a and w:
        pair = {state_air, state_water}
        if OVERLOAD in pair:
            return OVERLOAD, "air+water"
        if CRITICAL in pair:
            return CRITICAL, "air+water"
        return NON_OVERLOAD, "air+water"
    if a:
        return state_air, "air"
    if w:
        return state_water, "water"
    return None, ""


def comprehensive(r_air, r_water, state_air, state_water) -> pd.DataFrame:
    """Eq. 7, R_j = max(R_air_j, R_w_j) (the available one when only one is),
    with the comprehensive ``state`` and ``media`` of :func:`combine_state`."""
    ra = np.asarray(r_air, dtype=float)
    rw = np.asarray(r_water, dtype=float)
    r = np.where(np.isnan(ra), rw, np.where(np.isnan(rw), ra, np.maximum(ra, rw)))
    pairs = [combine_state(a, w) for a, w in zip(state_air, state_water, strict=True)]
    return pd.DataFrame(
        {"r_total": r, "state": [p[0] for p in pairs], "media": [p[1] for p in pairs]}
    )


def majority(n_overload, n_critical, n_assessed, critical_as: str = "non-overload") -> np.ndarray:
    """The seed's verdict on an upper unit from its members' states (METHODS §1.4).

    Overloaded when more than half of the assessed members are overloaded,
    not overloaded when more than half are not; exactly half is ``tied``.
    Critical members count as not overloaded (default) or as overloaded
    (``critical_as="overload"``).
    """
    n_over = np.asarray(n_overload, dtype=int) + (
        np.asarray(n_critical, dtype=int) if critical_as == OVERLOAD else 0
    )
    n = np.asarray(n_assessed, dtype=int)
    n_not = n - n_over
    out = np.where(2 * n_over > n, OVERLOAD, np.where(2 * n_not > n, NON_OVERLOAD, TIED))
    return out.astype(object)


def member_shares(
    states: pd.DataFrame,
    members: pd.Series,
    *,
    member_level: str,
    critical_as: str = "non-overload",
    media: tuple[str, ...] = ("air", "water", "total"),
) -> pd.DataFrame:
    """Counts and shares of the members of each upper unit in each state.

    Parameters
    ----------
    states:
        Member units' rows ``unit_id, year`` and the state columns
        ``state_air``, ``state_water``, ``state`` (comprehensive).
    members:
        Member id → upper id for every member unit (also those without data).

    Returns one row per upper unit, year and medium (``air``, ``water``,
    ``total``): ``unit_id, year, member_level, medium, n_members,
    n_assessed, n_overload, n_critical, n_non_overload, share_overload,
    share_critical, share_non_overload`` (percent of assessed members, summing
    to 100) and ``state_majority``. Units with no assessed member in a medium
    have no row for it.
    """
    col = {"air": "state_air", "water": "state_water", "total": "state"}
    members = members[members != ""]
    n_members = members.groupby(members.to_numpy()).size()
    st = states[states["unit_id"].isin(members.index)].copy()
    st["upper"] = st["unit_id"].map(members)
    parts = []
    for med in media:
        s = st[["upper", "year", col[med]]].rename(columns={col[med]: "s"})
        s = s[s["s"].map(_present)]
        if len(s) == 0:
            continue
        ct = s.groupby(["upper", "year"])["s"].value_counts().unstack("s", fill_value=0)
        ct = ct.reindex(columns=list(STATES), fill_value=0)
        ct = ct.reset_index()
        n = ct[list(STATES)].sum(axis=1)
        part = pd.DataFrame(
            {
                "unit_id": ct["upper"],
                "year": ct["year"].astype(int),
                "member_level": member_level,
                "medium": med,
                "n_members": ct["upper"].map(n_members).astype(int),
                "n_assessed": n.astype(int),
                "n_overload": ct[OVERLOAD].astype(int),
                "n_critical": ct[CRITICAL].astype(int),
                "n_non_overload": ct[NON_OVERLOAD].astype(int),
            }
        )
        for k, c in (("overload", "n_overload"), ("critical", "n_critical"), ("non_overload", "n_non_overload")):
            part[f"share_{k}"] = 100.0 * part[c] / part["n_assessed"]
        part["state_majority"] = majority(
            part["n_overload"], part["n_critical"], part["n_assessed"], critical_as
        )
        parts.append(part)
    cols = [
        "unit_id", "year", "member_level", "medium", "n_members", "n_assessed", "n_overload",
        "n_critical", "n_non_overload", "share_overload", "share_critical", "share_non_overload",
        "state_majority",
    ]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]


def shares_by_level(
    capacity: pd.DataFrame, hier: Hierarchy, *, critical_as: str = "non-overload"
) -> pd.DataFrame:
    """:func:`member_shares` for every upper unit, by the members of the level
    it nests in and by the finest members.

    ``capacity``: rows ``level, unit_id, year, state_air, state_water, state``.
    Returns the ``capacity_shares`` table (``level`` first).
    """
    parts = []
    for lv in hier.levels[1:]:
        for ml in dict.fromkeys([hier.parents[lv], hier.finest]):
            st = capacity[capacity["level"] == ml]
            sh = member_shares(st, hier.members(lv, ml), member_level=ml, critical_as=critical_as)
            parts.append(sh.assign(level=lv))
    if not parts:
        return pd.DataFrame(columns=["level", *member_shares(capacity.iloc[:0], pd.Series(dtype=object),
                                                                member_level="").columns])
    out = pd.concat(parts, ignore_index=True)
    return out[["level", *[c for c in out.columns if c != "level"]]]
