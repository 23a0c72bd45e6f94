"""Schema management use cases (A1)."""

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from ispcube.db import schema


@dataclass(frozen=True)
class SchemaInfo:
    url: str
    revision: str | None
    up_to_date: bool


def _info(engine: Engine) -> SchemaInfo:
    revision = schema.current_revision(engine)
    return SchemaInfo(engine.url.render_as_string(hide_password=True), revision,
                      revision == schema.HEAD_REVISION)


def upgrade(engine: Engine) -> SchemaInfo:
    schema.current_revision(engine)  # a clear sentence when the database cannot be reached
    schema.upgrade(engine)
    return _info(engine)


def current(engine: Engine) -> SchemaInfo:
    return _info(engine)
