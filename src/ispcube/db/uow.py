"""Unit of work: one session, rolled back unless the service commits."""

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ispcube.db import limits  # noqa: F401  (refuses over-long values on every flush)


class UnitOfWork:
    session: Session
    """The open session: set on entering `with`, gone again on leaving it."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def __enter__(self) -> "UnitOfWork":
        self.session = self._factory()
        return self

    def __exit__(self, *exc_info) -> None:
        self.session.rollback()
        self.session.close()
        del self.session

    def commit(self) -> None:
        self.session.commit()

    def flush(self) -> None:
        self.session.flush()
