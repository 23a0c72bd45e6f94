"""The CLI reference (docs/cli.md), generated from the commands' own --help."""

import click
import typer


def _walk(command: click.Command, path: list[str]):
    yield path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(click.Context(command)):
            sub = command.get_command(click.Context(command), name)
            if sub is not None:
                yield from _walk(sub, path + [name])


def render() -> str:
    from ispcube.cli.main import app
    root = typer.main.get_command(app)
    parts = ["# ispcube command reference", "",
             "Generated from `--help` by `make docs`; a test fails when this file drifts.", ""]
    for path, command in _walk(root, ["ispcube"]):
        with click.Context(command, info_name=" ".join(path), terminal_width=100,
                           max_content_width=100) as ctx:
            text = command.get_help(ctx)
        parts += [f"{'#' * min(len(path) + 1, 4)} `{' '.join(path)}`", "", "```", text, "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
