"""Command groups whose commands are converted only when used.

typer turns every command's signature into click parameters when it builds a group (evaluating
each `Annotated[...]` hint), and `dlicli exec list` needs one of the group's ten commands: building
only that one is a tenth of a start-up. The root group builds each group the same way, on first use
(cli/app.py COMMANDS).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import typer

from dlicli.cli import completion, examples, leafopts, typerx

HELP_OPTION_NAMES = ["-h", "--help"]
typerx.wrap_help_at_spaces()  # no option or path cut at a hyphen in any --help


class Entry(NamedTuple):
    """A command the root builds only when used (cli/app.py COMMANDS)."""

    module: str  # a group's module (its `app`), or a root command's (its `commands` Typer)
    summary: str  # its line in `dlicli --help` and in shell completion
    group: bool = True
    hidden: bool = False


class LazyGroup(typerx.TyperGroup):
    """A typer group holding its leaf commands unconverted (`pending`) until one is asked for.

    Help lists them in the order they were registered, as typer does; an unknown name converts
    them all first, so "Did you mean …" knows every name.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pending: dict[str, Any] = {}  # name -> typer's CommandInfo
        self.order: list[str] = []

    def get_command(self, ctx: Any, name: str) -> Any:
        self._convert(name)
        return super().get_command(ctx, name)

    def list_commands(self, ctx: Any) -> list[str]:
        for name in list(self.pending):
            self._convert(name)
        ordered = {name: self.commands[name] for name in self.order if name in self.commands}
        self.commands = {**ordered, **self.commands}
        return super().list_commands(ctx)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and args[0] not in self.pending:
            self.list_commands(ctx)
        return super().resolve_command(ctx, args)

    def _convert(self, name: str) -> None:
        info = self.pending.pop(name, None)
        if info is not None:
            self.commands[name] = examples.attach(as_root_says(leafopts.leaf_command(info)), f"{self.name} {name}")


def build_group(app: typer.Typer, name: str, *, hidden: bool = False) -> LazyGroup:
    """The click group of `app` (a group module's typer.Typer) with its leaf commands pending.

    Sub-groups (`hpo algorithm`) are built at once, as typer builds them; help is plain text
    (the root's rich_markup_mode=None) throughout.
    """
    group, infos = typerx.group_without_leaves(app, LazyGroup, leafopts.LeafCommand)
    assert isinstance(group, LazyGroup)
    leafopts.with_options_below(group)  # the leaves of its sub-groups, built at once
    for info in infos:
        leaf = typerx.command_name(info)
        group.pending[leaf] = info
        group.order.append(leaf)
    group.name, group.hidden = name, hidden
    return examples.attach(as_root_says(group), name)


def as_root_says(command: Any) -> Any:
    """The root's settings on a command built on its own, and on its sub-commands: plain help
    (rich_markup_mode=None) and -h/--help. Set on the command itself, not left to the parent
    context: click keeps the first help option it makes, and built commands are reused."""
    command.rich_markup_mode = None
    command.context_settings.setdefault("help_option_names", HELP_OPTION_NAMES)
    completion.attach_value_completion(command)  # --framework/--state/--type/--sort values
    for sub in getattr(command, "commands", {}).values():
        as_root_says(sub)
    return command
