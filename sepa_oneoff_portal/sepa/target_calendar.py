"""TARGET2 inter-bank business days, on which SEPA collections are settled (no Odoo import)."""
import datetime


def _easter_sunday(year):
    # Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month = (h + leap - 7 * m + 114) // 31
    day = (h + leap - 7 * m + 114) % 31 + 1
    return datetime.date(year, month, day)


def target_holidays(year):
    """TARGET closing days of a year: 1 Jan, Good Friday, Easter Monday, 1 May, 25 and 26 Dec."""
    easter = _easter_sunday(year)
    return {
        datetime.date(year, 1, 1),
        easter - datetime.timedelta(days=2),
        easter + datetime.timedelta(days=1),
        datetime.date(year, 5, 1),
        datetime.date(year, 12, 25),
        datetime.date(year, 12, 26),
    }


def is_target_day(day):
    return day.weekday() < 5 and day not in target_holidays(day.year)


def add_target_days(start, days):
    """The `days`-th TARGET business day after `start`; with 0, `start` itself when it is a business
    day, else the next one."""
    current = start
    if days <= 0:
        while not is_target_day(current):
            current += datetime.timedelta(days=1)
        return current
    for _ in range(days):
        current += datetime.timedelta(days=1)
        while not is_target_day(current):
            current += datetime.timedelta(days=1)
    return current
