"""Every use of typer's private or internal API, behind one small adapter. Written for typer 0.28.

typer 0.28 vendors click as `typer._click`, and keeps its completion machinery in private
modules. dlicli needs a few of these: the command classes it subclasses (TyperGroup,
TyperCommand), the click objects built from a Typer app (whole, or group first and leaves one by
one, for cli/lazy.py), the completion classes and scripts, and the click exception types the
error mapper tells apart. tests/test_typerx.py exercises each function here, so when typer is
upgraded a break shows up under its own name. Parts not needed on every start-up are imported
inside the functions.
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
    "command_from_info",
    "command_name",
    "completion_init",
    "completion_item",
    "completion_script",
    "group_without_leaves",
    "option_completions",
    "short_help",
    "wrap_help_at_spaces",
]


def wrap_help_at_spaces() -> None:
    """Help text wraps only at spaces: click's wrapper (a textwrap.TextWrapper) also breaks after a
    hyphen, cutting an option or a path in two (`--console-` / `logon`). A property on the class
    wins over the attribute textwrap's __init__ sets."""
    from typer._click._textwrap import TextWrapper

    TextWrapper.break_on_hyphens = property(lambda self: False, lambda self, value: None)  # type: ignore[assignment]


def click_command(typer_app: Any) -> Any:
    """The click command (or group) a Typer app becomes (typer.main.get_command)."""
    import typer.main

    return typer.main.get_command(typer_app)


def group_without_leaves(
    typer_app: Any, cls: type[TyperGroup], leaf_cls: type[TyperCommand] | None = None
) -> tuple[TyperGroup, list[Any]]:
    """The click group of `typer_app` built as `cls` with none of its leaf commands converted, and
    typer's CommandInfo of each leaf (from `registered_commands`), for converting them one by one.
    Sub-groups are built at once, their leaves as `leaf_cls` (unless one names its own class)."""
    import typer.main

    if leaf_cls is not None:
        _default_leaf_class(typer_app.registered_groups, leaf_cls)
    infos = typer_app.registered_commands
    typer_app.registered_commands, typer_app.info.cls = [], cls
    try:
        group = typer.main.get_group(typer_app)
    finally:
        typer_app.registered_commands = infos
    return group, list(infos)


def _default_leaf_class(group_infos: list[Any], cls: type[TyperCommand]) -> None:
    """Every leaf below these sub-groups (typer's TyperInfo) built as `cls` where it names no class."""
    for group_info in group_infos:
        sub = group_info.typer_instance
        for info in sub.registered_commands:
            if info.cls in (None, TyperCommand):
                info.cls = cls
        _default_leaf_class(sub.registered_groups, cls)


def command_name(info: Any) -> str:
    """The name a leaf's CommandInfo is called by: its given name, else typer's from the function's."""
    import typer.main

    return info.name or typer.main.get_command_name(info.callback.__name__)


def command_from_info(info: Any, cls: type[TyperCommand] | None = None) -> Any:
    """One leaf's click command from its CommandInfo, with dlicli's plain help (no rich markup);
    built as `cls` unless the command names a class of its own (`dlicmd`; typer records the default,
    TyperCommand, when none is named)."""
    import typer.main

    if cls is not None and info.cls in (None, TyperCommand):
        info.cls = cls
    return typer.main.get_command_from_info(info, pretty_exceptions_short=False, rich_markup_mode=None)


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


def short_help(text: str, limit: int) -> str:
    """`text` cut to one line of at most `limit` characters, as click lists a command in --help."""
    from typer._click.utils import make_default_short_help

    return make_default_short_help(text, limit)


def completion_item(value: str, help_text: str | None = None) -> Any:
    """One shell-completion candidate (click's CompletionItem)."""
    from typer._click.shell_completion import CompletionItem

    return CompletionItem(value, help=help_text)


def set_value_completion(param: Any, complete: Any) -> None:
    """Give a click parameter built by typer the completion `complete(ctx, param, incomplete)`, as
    typer's `autocompletion=` would (click keeps it in the private `_custom_shell_complete`)."""
    param._custom_shell_complete = complete


def has_value_completion(param: Any) -> bool:
    """True when the parameter already completes its values (typer's `autocompletion=`)."""
    return getattr(param, "_custom_shell_complete", None) is not None


def option_completions(command: Any, ctx: Any, incomplete: str) -> list[Any]:
    """The candidates click offers for `command`'s own options (a group's sub-commands aside)."""
    from typer._click.core import Command

    return Command.shell_complete(command, ctx, incomplete)
