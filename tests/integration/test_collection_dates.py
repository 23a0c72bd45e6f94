"""`collect sepa --collection-date` (K3): a TARGET2 business day at least one business day after
today, the first valid one named when not; `--force-date` takes the date as given. Today comes
from the runtime's clock, fixed here (a Friday before a weekend, Christmas and the year end)."""

from datetime import date, datetime, timedelta

import pytest

from ispcube.domain.target2 import closed_because, first_collection_day, next_business_day
from ispcube.errors import Invalid
from ispcube.services.payments.collections.sepa import collect_sepa
from ispcube.services.process.runtime import Runtime
from tests.integration import test_collect_races as races

debtors, rt = races.debtors, races.rt      # fixtures: R1 and R2 owe money; today is Friday 2026-12-04


@pytest.mark.parametrize("wanted, why, first", [
    ("2026-12-04", "today", "2026-12-07"),
    ("2026-12-05", "a Saturday", "2026-12-07"),
    ("2026-12-06", "a Sunday", "2026-12-07"),
    ("2026-12-25", "a TARGET2 holiday (Christmas Day)", "2026-12-28"),
    ("2027-01-01", "a TARGET2 holiday (New Year's Day)", "2027-01-04"),
    ("2027-03-26", "a TARGET2 holiday (Good Friday)", "2027-03-30"),
])
def test_a_day_the_bank_cannot_collect_on_is_refused_naming_the_first_valid_one(debtors, rt, tmp_path, wanted,
                                                                                 why, first):
    out = tmp_path / "remesa.xml"
    with pytest.raises(Invalid) as refused:
        collect_sepa(rt, wanted, str(out))
    assert str(refused.value) == (
        f"--collection-date {wanted} is {why}: SEPA direct debits are collected on TARGET2 business days at least "
        f"one business day after today (2026-12-04); the first valid date is {first} (--force-date takes the date "
        "as given)")
    assert not out.exists() and debtors.json("collect", "list") == []
    assert len(collect_sepa(rt, first, str(out)).items) == 2


def test_the_next_business_day_is_too_soon_on_a_monday_only_after_the_weekend(debtors, db_url, tmp_path):
    monday = Runtime(engine=rt_engine(db_url), clock=lambda: datetime(2026, 12, 7, 9, 0))
    with pytest.raises(Invalid, match="2026-12-07 is today: .* the first valid date is 2026-12-08"):
        collect_sepa(monday, "2026-12-07", str(tmp_path / "a.xml"))
    assert collect_sepa(monday, "2026-12-08", str(tmp_path / "a.xml")).collection_date == "2026-12-08"


def rt_engine(url: str):
    from ispcube.db.engine import get_engine
    return get_engine(url)


def test_force_date_takes_a_holiday_but_never_a_day_gone_by(debtors, rt, tmp_path):
    run = collect_sepa(rt, "2026-12-05", str(tmp_path / "a.xml"), force_date=True)
    assert run.collection_date == "2026-12-05" and len(run.items) == 2
    with pytest.raises(Invalid, match="is in the past"):
        collect_sepa(rt, "2026-12-03", str(tmp_path / "b.xml"), force_date=True)


def test_the_command_names_the_rule_and_force_date_overrides_it(debtors, tmp_path):
    """Through the command, on the real date: a Saturday two weeks or more ahead is refused."""
    saturday = date.today() + timedelta(days=14)
    saturday += timedelta(days=(5 - saturday.weekday()) % 7)
    refused = debtors("collect", "sepa", "--collection-date", saturday.isoformat(), "--out", str(tmp_path / "r.xml"))
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1
    assert f"--collection-date {saturday} is a Saturday" in refused.stderr and "--force-date" in refused.stderr
    assert not (tmp_path / "r.xml").exists()
    forced = debtors("collect", "sepa", "--collection-date", saturday.isoformat(), "--out", str(tmp_path / "r.xml"),
                     "--force-date")
    assert forced.exit_code == 0, forced.stderr
    assert (tmp_path / "r.xml").exists()


def test_target2_calendar():
    assert closed_because(date(2026, 5, 1)) == "a TARGET2 holiday (Labour Day)"
    assert closed_because(date(2026, 12, 26)) == "a Saturday"
    assert closed_because(date(2027, 12, 27)) is None          # 26 December on a Sunday is not moved
    assert next_business_day(date(2026, 12, 24)) == date(2026, 12, 28)
    assert first_collection_day(date(2026, 12, 31)) == date(2027, 1, 4)
    assert first_collection_day(date(2026, 12, 4), date(2026, 12, 31)) == date(2026, 12, 31)
