"""The import's building blocks that need no database: COPY text lines and the serial
database thread."""

from datetime import date
from decimal import Decimal
import threading

import pytest

from ispcube.db.bulk_insert import copy_line
from ispcube.services.process.serial_thread import SerialThread


def test_copy_line_formats_each_type_as_copy_reads_it():
    line = copy_line(["a", None, True, False, 7, Decimal("1.50"), date(2020, 1, 2), -34.5])
    assert line == "a\t\\N\tt\tf\t7\t1.50\t2020-01-02\t-34.5\n"


@pytest.mark.parametrize("text, written", [
    ("tab\there", "tab\\there"),
    ("C:\\casa", "C:\\\\casa"),
    ("\\N", "\\\\N"),                      # the text \N, not a NULL
    ("one\ntwo\r", "one\\ntwo\\r"),
])
def test_copy_line_escapes_what_copy_would_misread(text, written):
    assert copy_line([None, text, "x"]) == f"\\N\t{written}\tx\n"


def test_serial_thread_runs_calls_in_order_off_the_caller_thread():
    seen = []
    with SerialThread() as serial:
        for n in range(20):
            serial.send(lambda n=n: seen.append((n, threading.current_thread().name)))
        assert serial.ask(lambda: len(seen)) == 20
        serial.finish()
    assert [n for n, _ in seen] == list(range(20))
    assert all(name != threading.current_thread().name for _, name in seen)


def test_serial_thread_stops_at_the_first_failure_and_reports_it():
    ran = []

    def fail():
        raise ValueError("disk full")

    with SerialThread(backlog=10) as serial:
        with pytest.raises(ValueError, match="disk full"):     # at a later call or at the end
            serial.send(fail)
            serial.send(lambda: ran.append("after"))
            serial.finish()
        with pytest.raises(ValueError, match="disk full"):
            serial.ask(lambda: ran.append("asked"))
    assert ran == []
