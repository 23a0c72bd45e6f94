"""The demo's calendar (R18): the days its story happens on, counted from the story's today.

The story needs, on any date, one invoice a few days overdue (the throttle window) and an
older one more than `escalation.cut_after_days` overdue. So the invoice due day is not fixed
at the 10th: it is set a few days before today (at most the 28th, the last day a due day may
be), the month that holds that day is the newer billed month and the one before it the older.
Today is then 3 to 6 days after the newer invoice fell due and at least 31 after the older.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

DAYS_LATE = 3           # today is this many days after the newer invoice fell due, or a few more
LAST_DUE_DAY = 28       # the last day of the month `invoice.due_day` may name
FIRST_CUT_AFTER = 5     # the first enforce runs this many days after the older invoice fell due


@dataclass(frozen=True)
class Story:
    today: date
    due_day: int
    older_month: date          # the first day of each billed month
    newer_month: date

    @property
    def older_due(self) -> date:
        return self.older_month.replace(day=self.due_day)

    @property
    def newer_due(self) -> date:
        return self.newer_month.replace(day=self.due_day)

    @property
    def first_enforce(self) -> date:
        """The older invoice is overdue, the newer not yet due: the debtors are cut."""
        return self.older_due + timedelta(days=FIRST_CUT_AFTER)

    @property
    def warning(self) -> datetime:
        """The payment warning runs on the morning the newer invoice falls due."""
        return datetime.combine(self.newer_due, time(10, 0))


def story(today: date) -> Story:
    """The calendar of a demo told on TODAY."""
    due = today - timedelta(days=DAYS_LATE)
    if due.day > LAST_DUE_DAY:
        due = due.replace(day=LAST_DUE_DAY)
    newer = due.replace(day=1)
    older = (newer - timedelta(days=1)).replace(day=1)
    return Story(today, due.day, older, newer)


def clock_on(day: date):
    """A clock that runs from now, moved to DAY (the time of day and its passing are real, so
    waits and time-outs behave as usual)."""
    shift = datetime.combine(day, time()) - datetime.combine(datetime.now().date(), time())
    return lambda: datetime.now() + shift
