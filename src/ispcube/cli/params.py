"""Build a command's options from data, so add and edit share one list of field flags."""

from dataclasses import dataclass
import inspect
from typing import Any, Callable, Optional

import typer


@dataclass(frozen=True)
class Flag:
    name: str                 # parameter name: the field's snake_case name
    help: str
    switch: bool = False      # --x/--no-x
    on_off: bool = False      # a plain --x flag, off unless given
    short: str | None = None  # e.g. "-s"

    def parameter(self) -> inspect.Parameter:
        dashed = self.name.replace("_", "-")
        decls = [f"--{dashed}/--no-{dashed}" if self.switch else f"--{dashed}"]
        if self.short:
            decls.append(self.short)
        if self.on_off:
            annotation, default = bool, typer.Option(False, *decls, help=self.help)
        else:
            annotation = Optional[bool] if self.switch else Optional[str]
            default = typer.Option(None, *decls, help=self.help)
        return inspect.Parameter(self.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                                 default=default)


def with_flags(func: Callable[..., Any], flags: list[Flag]) -> Callable[..., Any]:
    """Append FLAGS to FUNC's own parameters (FUNC takes them as **kwargs)."""
    own = [p for p in inspect.signature(func).parameters.values() if p.kind != p.VAR_KEYWORD]
    params = own + [flag.parameter() for flag in flags]
    func.__signature__ = inspect.Signature(params)
    func.__annotations__ = {p.name: p.annotation for p in params if p.annotation is not p.empty}
    return func
