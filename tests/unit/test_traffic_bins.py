"""Spreading RADIUS sessions over time bins (services/field/traffic.py pure functions)."""

from datetime import datetime, timedelta

import pytest

from ispcube.adapters.radacct import Session
from ispcube.errors import Invalid
from ispcube.services.field.traffic import bin_size, human_bytes, human_rate, parse_days, spread

T0 = datetime(2024, 5, 1, 0, 0)
HOUR = timedelta(hours=1)


def session(start_h, end_h, down, up=0):
    return Session(start=T0 + start_h * HOUR, end=T0 + end_h * HOUR, upload_octets=up, download_octets=down)


def test_a_session_is_spread_evenly_over_the_hours_it_lasted():
    binned = spread([session(1, 3, 2000, 200)], T0, T0 + 4 * HOUR, HOUR)
    assert binned.starts == [T0 + i * HOUR for i in range(4)]
    assert binned.download == [0, 1000, 1000, 0] and binned.upload == [0, 100, 100, 0]


def test_the_part_outside_the_range_is_dropped():
    binned = spread([session(-2, 2, 4000)], T0, T0 + 4 * HOUR, HOUR)
    assert binned.download == [1000, 1000, 0, 0]
    binned = spread([session(3, 5, 4000)], T0, T0 + 4 * HOUR, HOUR)
    assert binned.download == [0, 0, 0, 2000]


def test_sessions_add_up_and_partial_hours_get_their_share():
    binned = spread([session(0.5, 1.5, 1000), session(1, 2, 600)], T0, T0 + 2 * HOUR, HOUR)
    assert binned.download == pytest.approx([500, 1100])


def test_a_session_with_no_duration_lands_in_its_start_bin():
    binned = spread([session(2.5, 2.5, 777)], T0, T0 + 4 * HOUR, HOUR)
    assert binned.download == [0, 0, 777, 0]


def test_rates_are_average_bits_per_second():
    binned = spread([session(0, 1, 450_000_000)], T0, T0 + HOUR, HOUR)
    assert binned.rates(binned.download) == [pytest.approx(1_000_000)]


def test_total_is_kept_whatever_the_bin_width():
    sessions = [session(0.2, 30.7, 9_876_543), session(40, 47.9, 1_234_567)]
    for width in (timedelta(minutes=15), HOUR, timedelta(hours=6), timedelta(days=1)):
        assert sum(spread(sessions, T0, T0 + 48 * HOUR, width).download) == pytest.approx(11_111_110)


@pytest.mark.parametrize("days, label", [(1, "15-minute"), (2, "30-minute"), (7, "hourly"), (30, "6-hour"),
                                         (90, "daily"), (366, "weekly")])
def test_bins_are_sized_for_the_range(days, label):
    width, name = bin_size(days)
    assert name == label and days * 86400 / width.total_seconds() <= 200


@pytest.mark.parametrize("text", ["0", "367", "-1", "7.5", "week"])
def test_bad_days_are_refused(text):
    with pytest.raises(Invalid, match="--days"):
        parse_days(text)


def test_human_units():
    assert human_bytes(12_345_678_901) == "12.3 GB" and human_bytes(999) == "999 B"
    assert human_rate(2_500_000) == "2.5 Mbit/s" and human_rate(640) == "640 bit/s"
