"""Alembic environment: runs on the connection ispcube hands over, or on the configured URL."""

from alembic import context
from sqlalchemy import create_engine

from ispcube.db.all_models import metadata
from ispcube.errors import Invalid

config = context.config
target_metadata = metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # get_main_option undoes the %% escaping that keeps a % of the URL (a socket folder, an
    # escaped password) from configparser's interpolation; parameters stay out of errors.
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise Invalid("no database to migrate: set sqlalchemy.url in the Alembic configuration")
    engine = create_engine(url, hide_parameters=True)
    with engine.begin() as own_connection:
        _run(own_connection)


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
