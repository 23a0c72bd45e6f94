"""Radio strings and level bands (domain/signal.py): no I/O."""

import pytest

from ispcube.domain.signal import (
    SCALES,
    Level,
    ccq_from_tenths,
    format_uptime,
    levels,
    parse_rate,
    parse_signal,
    parse_uptime,
    percent,
)
from ispcube.errors import Invalid


@pytest.mark.parametrize("text, expected", [
    ("-74dBm@6Mbps", (-74.0, "6Mbps")),
    ("-61dBm@HT20-7", (-61.0, "HT20-7")),
    ("-74", (-74.0, None)),
    ("-74dBm", (-74.0, None)),
    (" -80.5dBm@1Mbps ", (-80.5, "1Mbps")),
])
def test_signal_strings(text, expected):
    assert parse_signal(text) == expected


@pytest.mark.parametrize("text", ["", "strong", "dBm@6Mbps", "-74dB m"])
def test_bad_signal_is_refused_naming_the_value(text):
    with pytest.raises(Invalid, match="signal"):
        parse_signal(text)


@pytest.mark.parametrize("text, seconds", [
    ("2w6d13:21:53", ((14 + 6) * 24 + 13) * 3600 + 21 * 60 + 53),
    ("2w6d13h21m53s", ((14 + 6) * 24 + 13) * 3600 + 21 * 60 + 53),
    ("00:05:00", 300),
    ("1d00:00:01", 86401),
    ("45s", 45),
    ("3m", 180),
    ("1h340ms", 3600),
    ("90", 90),
])
def test_uptime_strings(text, seconds):
    assert parse_uptime(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "1:2:3:4", "13:61:00", "2x"])
def test_bad_uptime_is_refused(text):
    with pytest.raises(Invalid, match="uptime"):
        parse_uptime(text)


def test_uptime_reads_as_days_and_clock():
    assert format_uptime(parse_uptime("2w6d13:21:53")) == "20 days, 13:21:53"
    assert format_uptime(86400 + 5) == "1 day, 00:00:05"
    assert format_uptime(59) == "00:00:59"


@pytest.mark.parametrize("text, mbps", [
    ("54Mbps", 54.0), ("866.7Mbps-80MHz/2S/SGI", 866.7), ("1Gbps", 1000.0), ("650kbps", 0.65),
])
def test_rates(text, mbps):
    assert parse_rate(text) == pytest.approx(mbps)


def test_bad_rate_is_refused():
    with pytest.raises(Invalid, match="rate 'fast'"):
        parse_rate("fast")


def test_airos6_ccq_comes_in_tenths():
    assert ccq_from_tenths(991) == 99.1
    assert ccq_from_tenths(1000) == 100.0
    assert ccq_from_tenths(0) == 0.0


def test_percent_range():
    assert percent("87") == 87.0
    for bad in ("101", "-1", "x", None):
        with pytest.raises(Invalid):
            percent(bad)


@pytest.mark.parametrize("metric, value, band", [
    ("signal", -50, "green"), ("signal", -65, "green"), ("signal", -66, "amber"),
    ("signal", -75, "amber"), ("signal", -76, "red"),
    ("noise", -95, "green"), ("noise", -85, "amber"), ("noise", -70, "red"),
    ("snr", 35, "green"), ("snr", 25, "amber"), ("snr", 10, "red"),
    ("ccq", 99.1, "green"), ("ccq", 70, "amber"), ("ccq", 40, "red"),
    ("airmax_quality", 87, "green"), ("airmax_capacity", 55, "amber"), ("airmax_capacity", 20, "red"),
])
def test_bands(metric, value, band):
    assert Level(metric, value).band == band


def test_levels_keep_the_scale_order_and_skip_missing_values():
    found = levels({"ccq": 99.1, "signal": -64, "noise": None, "airmax_quality": 87})
    assert [lv.metric for lv in found] == ["signal", "ccq", "airmax_quality"]
    assert found[0].shown() == "-64 dBm" and found[1].shown() == "99.1 %"


def test_every_scale_spans_its_bands():
    for scale in SCALES.values():
        assert scale.low < scale.high
        assert scale.low <= scale.green_from <= scale.high and scale.low <= scale.amber_from <= scale.high
