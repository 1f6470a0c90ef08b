"""Clickable charts: every data point carries the URL of the list behind it.

Pages build ECharts options in Python together with a mapping from a point's name (its
category label, its pie slice or radar series name, ``"x,y"`` for a heatmap cell) to a URL;
``link_points`` writes that URL into the point itself as ``link``, and
``gongzhi/charts.js`` opens it when the point is clicked. Label layout (room for long Chinese
labels, legends that scroll instead of overlapping) is the script's job, the same for all
charts.
"""

from typing import Any


def _categories(option: dict) -> list | None:
    for key in ("xAxis", "yAxis"):
        axis = option.get(key)
        if isinstance(axis, dict) and axis.get("type") == "category" and axis.get("data"):
            return axis["data"]
    return None


def _with_link(point: Any, link: str | None) -> Any:
    if link is None:
        return point
    if isinstance(point, dict):
        return {**point, "link": link}
    return {"value": point, "link": link}


def link_points(option: dict, links: dict[str, str]) -> dict:
    """``option`` with ``link`` on each data point named in ``links`` (a new dict; points
    without a list behind them stay as they were)."""
    categories = _categories(option)
    series = []
    for one in option.get("series", []):
        data = []
        for index, point in enumerate(one.get("data", [])):
            if isinstance(point, dict) and "name" in point:
                name = point["name"]
            elif categories is not None and index < len(categories):
                name = categories[index]
            else:
                name = one.get("name")
            data.append(_with_link(point, links.get(str(name))))
        series.append({**one, "data": data})
    return {**option, "series": series}
