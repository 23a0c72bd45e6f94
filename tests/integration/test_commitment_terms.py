"""Which commitments stand on a day (db/commitments.py), read by SQLite from stored rows: open
ones in force while their day is to come, falling due from their day on; settled or cleared
ones neither."""

from datetime import date

from sqlalchemy import Column, Date, Integer, MetaData, String, Table, create_engine, select

from ispcube.db.commitments import falls_due, in_force, is_open

TODAY = date(2026, 5, 14)
ROWS = [(1, date(2026, 5, 13), "open"), (2, TODAY, "open"), (3, date(2026, 5, 15), "open"),
        (4, date(2026, 5, 15), "cleared"), (5, date(2026, 5, 13), "kept"), (6, date(2026, 5, 13), "cut")]


def test_open_in_force_and_falling_due_on_a_day():
    table = Table("commitments", MetaData(), Column("id", Integer, primary_key=True), Column("due_date", Date),
                  Column("status", String(10)))
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), [{"id": i, "due_date": due, "status": status} for i, due, status in ROWS])

        def ids(condition):
            return sorted(conn.scalars(select(table.c.id).where(condition)))
        assert ids(is_open(table.c)) == [1, 2, 3]
        assert ids(in_force(table.c, TODAY)) == [3]
        assert ids(falls_due(table.c, TODAY)) == [1, 2]
