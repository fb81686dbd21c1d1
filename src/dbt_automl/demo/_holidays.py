"""Bank holidays in England and Wales: the one definition behind ``seeds/bank_holidays.csv``.

The demo's branches close on these days. The SQL reads the seed; the lake generator calls
:func:`bank_holidays`; a unit test checks that the seed is exactly :func:`holidays_csv`, so
the two cannot drift. Regenerate the seed with::

    .venv/bin/python -m dbt_automl.demo._holidays > seeds/bank_holidays.csv

The rules are the statutory ones: New Year's Day, Good Friday, Easter Monday, the first and
last Mondays of May, the last Monday of August, Christmas Day and Boxing Day. A fixed date
that falls on a weekend is substituted by the next weekday that is not already a holiday
(Christmas on a Saturday: Monday 27th for Christmas, Tuesday 28th for Boxing Day). One-off
holidays (jubilees, coronations) are not predictable and none is announced for these years.

>>> [str(day) for day, _ in bank_holidays(2026, 2026)][-2:]
['2026-12-25', '2026-12-28']
"""

from __future__ import annotations

from datetime import date, timedelta

#: The years the seed covers: the demo's history (from 2024) and well past its horizon.
FIRST_YEAR = 2024
LAST_YEAR = 2027
_SUBSTITUTE = " (substitute day)"


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm, Meeus/Jones/Butcher).

    >>> easter_sunday(2025)
    datetime.date(2025, 4, 20)
    """
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=last.weekday())


def _year_holidays(year: int) -> list[tuple[date, str]]:
    """The bank holidays of one year, in date order."""
    easter = easter_sunday(year)
    movable = [
        (easter - timedelta(days=2), "Good Friday"),
        (easter + timedelta(days=1), "Easter Monday"),
        (_monday_on_or_after(date(year, 5, 1)), "Early May bank holiday"),
        (_last_monday(year, 5), "Spring bank holiday"),
        (_last_monday(year, 8), "Summer bank holiday"),
    ]
    fixed = [
        (date(year, 1, 1), "New Year's Day"),
        (date(year, 12, 25), "Christmas Day"),
        (date(year, 12, 26), "Boxing Day"),
    ]
    holidays = movable + [(day, name) for day, name in fixed if day.weekday() < 5]
    taken = {day for day, _ in holidays}
    # A weekend date moves to the next weekday that is not a holiday already, in calendar
    # order: Christmas on a Sunday gives Tuesday 27th, Boxing Day keeping Monday 26th.
    for day, name in fixed:
        if day.weekday() < 5:
            continue
        while day.weekday() >= 5 or day in taken:
            day += timedelta(days=1)
        taken.add(day)
        holidays.append((day, name + _SUBSTITUTE))
    return sorted(holidays)


def bank_holidays(
    first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR
) -> list[tuple[date, str]]:
    """Every bank holiday from ``first_year`` to ``last_year`` (inclusive), in date order."""
    return [h for year in range(first_year, last_year + 1) for h in _year_holidays(year)]


def holidays_csv() -> str:
    """The text of ``seeds/bank_holidays.csv``: a header, then one ``date,name`` per line."""
    lines = ["holiday_date,holiday_name"]
    lines += [f"{day.isoformat()},{name}" for day, name in bank_holidays()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(holidays_csv(), end="")
