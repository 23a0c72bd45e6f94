"""A plan's burst (S1) as the plan table checks a whole row: all three values or none, on a
plan with both speeds, each burst above its speed."""

import pytest

from ispcube.errors import Invalid
from ispcube.services.admin.table_specs import table

CHECK = table("plan").check


def plan(**values):
    return {"name": "Hogar", "price": None, "down_kbps": 10000, "up_kbps": 2000, "vat_rate": None,
            "burst_down_kbps": None, "burst_up_kbps": None, "burst_seconds": None, **values}


@pytest.mark.parametrize("row", [
    plan(), plan(down_kbps=None, up_kbps=None),
    plan(burst_down_kbps=10001, burst_up_kbps=2001, burst_seconds=1),
])
def test_no_burst_or_a_whole_one_above_the_speeds_is_accepted(row):
    assert CHECK is not None
    CHECK(row)


@pytest.mark.parametrize("row, why", [
    (plan(burst_down_kbps=20000), "a burst needs --burst-down-kbps, --burst-up-kbps and --burst-seconds together"),
    (plan(burst_down_kbps=20000, burst_up_kbps=4000), "together"),
    (plan(burst_seconds=8), "together"),
    (plan(down_kbps=None, burst_down_kbps=20000, burst_up_kbps=4000, burst_seconds=8),
     "a burst needs the plan's download speed (--down-kbps)"),
    (plan(up_kbps=0, burst_down_kbps=20000, burst_up_kbps=4000, burst_seconds=8),
     "a burst needs the plan's upload speed (--up-kbps)"),
    (plan(burst_down_kbps=10000, burst_up_kbps=4000, burst_seconds=8),
     "the download burst 10000 kbit/s is not above the plan's download speed 10000 kbit/s"),
    (plan(burst_down_kbps=20000, burst_up_kbps=1500, burst_seconds=8),
     "the upload burst 1500 kbit/s is not above the plan's upload speed 2000 kbit/s"),
])
def test_half_a_burst_or_one_not_above_the_speeds_is_refused(row, why):
    assert CHECK is not None
    with pytest.raises(Invalid) as refused:
        CHECK(row)
    assert str(refused.value).startswith("plan 'Hogar': ") and why in str(refused.value)
