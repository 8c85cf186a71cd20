"""第三十六条's period counted in calendar years (evaluation/apply.add_years)."""

from __future__ import annotations

import datetime as dt

import pytest

from discretion.evaluation.apply import add_years

D = dt.date


@pytest.mark.parametrize(
    ("start", "years", "end"),
    [
        (D(2022, 3, 10), 2, D(2024, 3, 10)),  # the same calendar day
        (D(2021, 9, 1), 5, D(2026, 9, 1)),  # 五年 (涉及公民生命健康安全、金融安全且有危害后果)
        (D(2020, 2, 29), 2, D(2022, 2, 28)),  # 29 February to a common year: 28 February
        (D(2020, 2, 29), 4, D(2024, 2, 29)),  # to a leap year it stays
        (D(2019, 2, 28), 1, D(2020, 2, 28)),
        (D(9997, 6, 30), 2, D(9999, 6, 30)),  # the last representable year is still counted
    ],
)
def test_a_period_of_years_ends_on_the_same_calendar_day(start: dt.date, years: int, end: dt.date) -> None:
    assert add_years(start, years) == end


def test_a_period_past_the_last_representable_year_ends_on_the_last_representable_day() -> None:
    assert add_years(D(9998, 1, 1), 5) == dt.date.max
    assert add_years(D(9996, 2, 29), 5) == dt.date.max
