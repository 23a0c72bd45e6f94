"""When an open invoice has waited too long for its CAE (I4): `domain.fiscal.overdue_before`, the
day before which a posting is overdue, as enforce's router tasks expire."""

from datetime import date

import pytest

from ispcube.domain.fiscal import overdue_before


@pytest.mark.parametrize(("today", "days", "overdue"), [
    (date(2026, 12, 5), 5, False),      # day 5 after a posting on 30 November: still within the window
    (date(2026, 12, 6), 5, True),       # day 6: overdue
    (date(2026, 12, 1), 1, False),
    (date(2026, 12, 2), 1, True),
    (date(2027, 1, 29), 60, False),     # across the year's end
    (date(2027, 1, 30), 60, True),
])
def test_a_posting_is_overdue_from_the_day_after_its_window(today, days, overdue):
    posted = date(2026, 11, 30)
    assert (posted < overdue_before(today, days)) is overdue
