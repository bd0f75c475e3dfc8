"""Every use of typer's private or internal API, behind one small adapter. Written for typer 0.28.

typer 0.28 vendors click as `typer._click`, and keeps its completion machinery in private
modules. dlicli needs a few of these: the command classes it subclasses (TyperGroup,
TyperCommand), the click objects built from a Typer app, the completion classes and scripts,
and the click exception types the error mapper tells apart. When typer is upgraded,
tests/test_typerx.py exercises each function here, so a break shows up under its own name.
Heavy or rarely needed parts are imported inside the functions, as before.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from typer.core import TyperCommand, TyperGroup, TyperOption

TYPER_VERSION = "0.28"  # the version this adapter was written for (pyproject.toml pins it)

__all__ = [
    "TYPER_VERSION",
    "TyperCommand",
    "TyperGroup",
    "TyperOption",
    "click_command",
    "click_context",
    "click_exceptions",
    "click_group",
    "completion_init",
    "completion_script",
]


def click_group(typer_app: Any) -> TyperGroup:
    """The click group a Typer app with sub-commands becomes (typer.main.get_group)."""
    import typer.main

    return typer.main.get_group(typer_app)


def click_command(typer_app: Any) -> Any:
    """The click command (or group) a Typer app becomes (typer.main.get_command)."""
    import typer.main

    return typer.main.get_command(typer_app)


def click_context(command: Any, info_name: str, parent: Any = None, **settings: Any) -> Any:
    """A click Context for `command` without parsing argv (typer._click.Context)."""
    from typer import _click

    return _click.Context(command, info_name=info_name, parent=parent, **settings)


def click_exceptions() -> ModuleType:
    """typer's vendored click exceptions: NoArgsIsHelpError, UsageError, ClickException …"""
    import typer._click.exceptions as exceptions

    return exceptions


def completion_init() -> None:
    """Register typer's shell completion classes (typer does it only with add_completion=True)."""
    from typer._completion_classes import completion_init as init

    init()


def completion_script(prog_name: str, complete_var: str, shell: str) -> str:
    """typer's completion script for `shell` (bash, zsh, fish), calling back `prog_name`."""
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name=prog_name, complete_var=complete_var, shell=shell)
