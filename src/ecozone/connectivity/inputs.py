"""The input tables of the ``connectivity`` analysis (METHODS §5.1), declared for the table reader.

``[tables] flows`` (``origin, destination, year, kind, value``) and
``[tables] travel_times`` (``origin, destination, year, mode, hours``) are
read by :mod:`ecozone.inputs.tables` with the schemas below: required
columns, header aliases (``起点``, ``终点``, ``年份``, ``类型``, ``流量``,
``时间`` …, and the AMap export's ``from_city_code``, ``to_city_code``,
``real_value``), value aliases (kinds and modes written in Chinese), a
value ≥ 0, one row per origin, destination, year and kind (or mode). Against
the study's units (``check_units``, run by ``ecozone validate`` and ``ecozone
run``): every origin and destination is a unit of the study, no row joins a
unit to itself, and all rows join units of one level
(:func:`ecozone.connectivity.network.validate_flows`). Every failure is an
:class:`~ecozone.errors.InputError` naming the file, the row (the header is
row 1) and the fix.

The checked table has ``origin``, ``destination`` and ``kind`` (``mode``) as
categoricals of clean ids and names, ``year`` int64 and ``value`` (``hours``)
float64; ``attrs["level"]`` is the level of its units.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from ecozone.inputs.tables import TableSchema

__all__ = ["FLOWS", "INPUT_TABLES", "KIND_ALIASES", "MODE_ALIASES", "TRAVEL_TIMES"]

#: Kinds of flow as users write them (any case) → the kind's name; other names are kept as written.
KIND_ALIASES = {
    "人口": "population", "人口流动": "population", "人口联系": "population", "迁徙": "population",
    "经济": "economic", "经济联系": "economic", "资本": "economic", "投资": "economic",
    "交通": "transport", "交通联系": "transport", "列车": "transport", "车次": "transport",
}
#: Travel modes as users write them (any case) → the mode's name; other names are kept as written.
MODE_ALIASES = {
    "铁路": "rail", "高铁": "rail", "动车": "rail", "火车": "rail", "railway": "rail", "train": "rail",
    "公路": "road", "驾车": "road", "自驾": "road", "汽车": "road", "highway": "road", "car": "road",
    "航空": "air", "飞机": "air", "flight": "air",
}
_PAIR_HEADERS = {
    "起点": "origin", "出发地": "origin", "始发地": "origin", "起点城市": "origin", "起点编码": "origin",
    "from": "origin", "from_city_code": "origin", "from_id": "origin", "origin_id": "origin", "source": "origin",
    "终点": "destination", "目的地": "destination", "到达地": "destination", "终点城市": "destination",
    "终点编码": "destination", "to": "destination", "to_city_code": "destination", "to_id": "destination",
    "destination_id": "destination", "target": "destination",
    "年份": "year", "年度": "year", "年": "year",
}


def _year() -> pa.Column:
    return pa.Column(int, pa.Check.in_range(1900, 2100), coerce=True)


def _check_flows(df: pd.DataFrame, units: pd.DataFrame, where: str) -> pd.DataFrame:
    # the numerical module is imported when a table is read, not when the study file is
    from ecozone.connectivity.network import validate_flows

    out, level = validate_flows(df, units, where)
    out.attrs["level"] = level
    return out


def _check_travel_times(df: pd.DataFrame, units: pd.DataFrame, where: str) -> pd.DataFrame:
    from ecozone.connectivity.network import validate_travel_times

    out, level = validate_travel_times(df, units, where)
    out.attrs["level"] = level
    return out


FLOWS = TableSchema(
    "flows",
    pa.DataFrameSchema(
        {
            "origin": pa.Column(str),
            "destination": pa.Column(str),
            "year": _year(),
            "kind": pa.Column(str),
            "value": pa.Column(float, pa.Check.ge(0), coerce=True),
        }
    ),
    key=("origin", "destination", "year", "kind"),
    aliases={"kind": KIND_ALIASES},
    ids=("origin", "destination"),
    values=("value",),
    headers={
        **_PAIR_HEADERS,
        "类型": "kind", "联系类型": "kind", "流类型": "kind", "flow_kind": "kind", "type": "kind",
        "流量": "value", "联系强度": "value", "数值": "value", "real_value": "value", "flow": "value",
        "weight": "value",
    },
    check_units=_check_flows,
)

TRAVEL_TIMES = TableSchema(
    "travel_times",
    pa.DataFrameSchema(
        {
            "origin": pa.Column(str),
            "destination": pa.Column(str),
            "year": _year(),
            "mode": pa.Column(str),
            "hours": pa.Column(float, pa.Check.ge(0), coerce=True),
        }
    ),
    key=("origin", "destination", "year", "mode"),
    aliases={"mode": MODE_ALIASES},
    ids=("origin", "destination"),
    values=("hours",),
    headers={
        **_PAIR_HEADERS,
        "方式": "mode", "交通方式": "mode", "出行方式": "mode",
        "时间": "hours", "通行时间": "hours", "出行时间": "hours", "旅行时间": "hours", "小时": "hours",
        "travel_time": "hours", "time_h": "hours", "duration_h": "hours",
    },
    check_units=_check_travel_times,
)

#: The tables the analysis adds to the contract (``Analysis.input_tables``).
INPUT_TABLES = {"flows": FLOWS, "travel_times": TRAVEL_TIMES}
