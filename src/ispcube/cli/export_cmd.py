"""Commands of this module are being built; nothing is registered yet."""

import typer


def register(app: typer.Typer) -> None:
    return None
