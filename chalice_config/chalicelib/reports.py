"""The report routes' query parameters, validated into the reports service's arguments."""

from __future__ import annotations

from chalicelib.queries import Params, single_params


def parse_report_query(params: Params) -> dict[str, str | None]:
    """``date=YYYY-MM-DD``, or ``from`` and ``to`` (the service checks the dates themselves)."""
    single = single_params(params, ("date", "from", "to"))
    return {"day": single.get("date"), "first": single.get("from"), "last": single.get("to")}
