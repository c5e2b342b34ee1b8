"""China's holidays in years no official notice covers: the festival's rule (holidays.py)."""

from __future__ import annotations

from datetime import date

import pytest

from smartalbum.search.understand.holidays import (
    LUNAR_RULES,
    by_rule,
    notice_days,
    qingming,
    rule_days,
)
from smartalbum.search.understand.when import find_times

NOTICED_YEARS = range(2008, 2026)  # Dragon Boat has been a day off since 2008


@pytest.mark.parametrize("key", [*LUNAR_RULES, "tomb_sweeping_day"])
def test_the_rule_meets_the_notices_days_off_in_every_year_a_notice_gave(key: str) -> None:
    missed, compared = [], 0
    for year in NOTICED_YEARS:
        noticed, ruled = notice_days(key, year), rule_days(key, year)
        assert ruled is not None, (key, year)
        if noticed is None:  # a Mid-Autumn merged into National Day's notice (2020)
            continue
        compared += 1
        # The rule's days hold the festival; the notice moves its days off to meet a weekend.
        if ruled[1] < noticed[0] or noticed[1] < ruled[0]:
            missed.append((year, noticed, ruled))
    assert not missed, missed
    assert compared >= len(NOTICED_YEARS) - 2


@pytest.mark.parametrize(("year", "day"), [
    (1996, 4), (1998, 5), (2008, 4), (2016, 4), (2020, 4), (2024, 4), (2025, 4), (2030, 5),
])  # fmt: skip
def test_qingming_is_the_solar_terms_day(year: int, day: int) -> None:
    assert qingming(year) == date(year, 4, day)


@pytest.mark.parametrize(("query", "first", "last"), [
    ("2030年春节", date(2030, 2, 2), date(2030, 2, 9)),  # the lunar new year: 3 February
    ("spring festival 1998", date(1998, 1, 27), date(1998, 2, 3)),  # 28 January
    ("1999年中秋节", date(1999, 9, 23), date(1999, 9, 25)),  # 24 September
    ("national day 2001", date(2001, 10, 1), date(2001, 10, 7)),
])  # fmt: skip
def test_a_holiday_of_a_year_without_a_notice_is_read_by_the_rule_and_says_so(
    query: str, first: date, last: date
) -> None:
    [(words, span)], _ = find_times(query, date(2026, 12, 7))
    assert words == query
    assert (span.start, span.end) == (first, date.fromordinal(last.toordinal() + 1))
    assert "by the calendar's rule" in span.en and "按历法推算" in span.zh


def test_a_year_with_a_notice_keeps_its_days_off() -> None:
    assert not by_rule(2024)
    [(_, span)], _ = find_times("2024年国庆节", date(2026, 12, 7))
    assert (span.start, span.end) == (date(2024, 10, 1), date(2024, 10, 8))
    assert "rule" not in span.en


def test_a_holiday_named_without_a_year_means_the_librarys_years_before_the_notices_too() -> None:
    [(_, span)], _ = find_times("春节", date(2026, 12, 7), (1998, 2024))
    assert span.ranges is not None
    assert [first.year for first, _ in span.ranges] == [2024, 1998]
    assert span.ranges[-1] == (date(1998, 1, 27), date(1998, 2, 4))
