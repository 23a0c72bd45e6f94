"""`ispcube completion bash|zsh|fish`, and the answers the shell asks for while a user types.

Click's protocol: the script runs `ispcube` with _ISPCUBE_COMPLETE=bash_complete (zsh_complete,
fish_complete) and the words typed so far in COMP_WORDS/COMP_CWORD. The answer builds only the
commands those words name (lazy_commands), as any other run does, so a TAB stays as quick as a
command.
"""

import typer

from ispcube.cli.output import render_record
from ispcube.cli.state import state

COMPLETE_VAR = "_ISPCUBE_COMPLETE"
SHELLS = ("bash", "zsh", "fish")


def _completer(shell: str):
    import click
    from click.shell_completion import get_completion_class

    from ispcube.errors import UsageError
    completer = get_completion_class(shell) if shell in SHELLS else None
    if completer is None:
        raise UsageError(f"shell '{shell}' is not one of {', '.join(SHELLS)}")
    # An empty root until the words typed name the commands to build (see `answer`).
    return completer(click.Group("ispcube"), {}, "ispcube", COMPLETE_VAR)


def answer(app: typer.Typer, instruction: str) -> int:
    """Answer the shell: SHELL_source prints the script, SHELL_complete the candidates."""
    from ispcube.cli.lazy_commands import only_invoked
    from ispcube.cli.parsing import build
    shell, _, action = instruction.partition("_")
    completer = _completer(shell)
    if action == "source":
        typer.echo(completer.source())
        return 0
    if action != "complete":
        typer.echo(f"ispcube: {COMPLETE_VAR}={instruction} is not {shell}_source or {shell}_complete", err=True)
        return 2
    words, _ = completer.get_completion_args()
    completer.cli = build(only_invoked(app, words))
    typer.echo(completer.complete())
    return 0


def register(app: typer.Typer) -> None:
    @app.command("completion")
    def completion(ctx: typer.Context,
                   shell: str = typer.Argument(..., metavar="bash|zsh|fish", help="The shell to complete in.")) -> None:
        """Print the shell completion script, e.g. `eval "$(ispcube completion bash)"` in ~/.bashrc.

        zsh: the same line in ~/.zshrc; fish: `ispcube completion fish | source` in config.fish."""
        script = _completer(shell).source()
        if state(ctx).format == "table":
            typer.echo(script)
        else:
            render_record({"shell": shell, "script": script}, state(ctx).format)
