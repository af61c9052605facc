"""Calendar periods of figures: months, quarters and years, and how they nest (month, quarter, year)."""

from __future__ import annotations

import datetime as dt
import enum


class Unit(enum.StrEnum):
    MONTH = "MONTH"
    QUARTER = "QUARTER"
    YEAR = "YEAR"


MONTHS = {Unit.MONTH: 1, Unit.QUARTER: 3, Unit.YEAR: 12}
# The period each one lies in; a year lies in all time (None).
PARENT: dict[Unit, Unit | None] = {Unit.MONTH: Unit.QUARTER, Unit.QUARTER: Unit.YEAR, Unit.YEAR: None}


def start_of(day: dt.date, unit: Unit) -> dt.date:
    """The first day of the period of ``unit`` that ``day`` lies in."""
    months = MONTHS[unit]
    return dt.date(day.year, (day.month - 1) // months * months + 1, 1)


def last_day(start: dt.date, unit: Unit) -> dt.date:
    """The last day of the period of ``unit`` beginning on ``start``."""
    month = start.month - 1 + MONTHS[unit]
    return dt.date(start.year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def whole_period(first: dt.date, last: dt.date) -> Unit | None:
    """The unit when ``first`` to ``last`` is exactly one calendar month, quarter or year; else None."""
    for unit in Unit:
        if start_of(first, unit) == first and last_day(first, unit) == last:
            return unit
    return None


def finer_or_equal(unit: Unit, than: Unit) -> bool:
    return MONTHS[unit] <= MONTHS[than]


def parent_start(start: dt.date, unit: Unit) -> dt.date | None:
    """The first day of the period the period of ``unit`` at ``start`` lies in (None: all time)."""
    parent = PARENT[unit]
    return start_of(start, parent) if parent is not None else None


def widened(first: dt.date | None, last: dt.date | None, unit: Unit) -> tuple[dt.date | None, dt.date | None]:
    """``first`` to ``last`` widened to whole periods of the unit that ``unit`` lies in: every period of
    ``unit`` that shares a parent with one inside the range. None ends are open (all time)."""
    parent = PARENT[unit]
    if parent is None or first is None or last is None:
        return None, None
    return start_of(first, parent), last_day(start_of(last, parent), parent)
