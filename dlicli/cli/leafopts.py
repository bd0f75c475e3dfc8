"""Options every leaf command takes without declaring them: `--query` on each data command (a leaf
with `--json`), and the root's global options after the verb, as gh takes them
(`dlicli exec list --url URL`).

cli/lazy.py converts every leaf through `leaf_command()`, so no signature repeats them. Their
callbacks run while the leaf's own arguments are parsed: after the root's callback made the
AppState and before the command body, so a late `--url` reaches the request (given before and
after the verb, the later one wins) and a bad `--query` stops the command before any request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dlicli.cli import completion, typerx
from dlicli.cli.state import state

GLOBAL_SECTION = "Global options"
QUERY_HELP = "Print only what this JMESPath expression picks from the JSON (as aws --query), e.g. '[].id'."


class GlobalOption(typerx.TyperOption):
    """A root option repeated on a leaf: listed in its help under "Global options"."""


class LeafCommand(typerx.TyperCommand):
    """A leaf command whose help lists the global options in a section of their own."""

    def format_options(self, ctx: Any, formatter: Any) -> None:
        sections: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": [], GLOBAL_SECTION: []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if isinstance(param, GlobalOption):
                sections[GLOBAL_SECTION].append(record)
            else:
                sections["Arguments" if param.param_type_name == "argument" else "Options"].append(record)
        for title, records in sections.items():
            if records:
                with formatter.section(title):
                    formatter.write_dl(records)


def leaf_command(info: Any) -> Any:
    """One leaf's click command from typer's CommandInfo, with the options every leaf takes."""
    return with_leaf_options(typerx.command_from_info(info, cls=LeafCommand))


def with_leaf_options(command: Any) -> Any:
    """`command` with `--query` (when it has `--json`) and the global options it does not declare
    itself (`login --url` keeps its own). A command that passes unknown options on (`dlicmd`) gets none."""
    if command.context_settings.get("ignore_unknown_options"):
        return command
    taken = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    if "--json" in taken and "--query" not in taken:
        command.params.append(
            typerx.TyperOption(
                param_decls=["--query"], metavar="JMESPATH", help=QUERY_HELP, callback=_set_query, expose_value=False
            )
        )
    for decls, make in GLOBAL_OPTIONS:
        if not taken.intersection(decls):
            command.params.append(make())
    return command


def with_options_below(group: Any) -> None:
    """The leaves of `group`'s sub-groups (built at once by typer: `hpo algorithm list`) given
    the options every leaf takes."""
    for command in getattr(group, "commands", {}).values():
        if hasattr(command, "commands"):
            with_options_below(command)
        else:
            with_leaf_options(command)


def _set_query(ctx: Any, param: Any, value: str | None) -> None:
    """Compile the query (a bad one is exit 2 before any request) for Output.data to apply, for
    this command only."""
    if ctx.resilient_parsing:  # completing a word: nothing runs
        return
    from dlicli import output

    token = output.QUERY.set(output.compile_query(value) if value is not None else None)
    ctx.call_on_close(lambda: output.QUERY.reset(token))


def _merge(attr: str, value_of: Callable[[Any], Any] = lambda value: value) -> Callable[..., None]:
    """A callback setting the AppState's `attr` when the option was given after the verb."""

    def merge(ctx: Any, param: Any, value: Any) -> None:
        if value is not None and value is not False:
            setattr(state(ctx), attr, value_of(value))

    return merge


def _option(decls: list[str], attr: str, help_text: str, *, metavar: str | None = None, **kw: Any) -> Any:
    flag = metavar is None
    return GlobalOption(
        param_decls=decls,
        metavar=metavar,
        is_flag=flag or None,
        default=False if flag else None,
        help=help_text,
        callback=_merge(attr, (lambda _: True) if flag else (lambda value: value)),
        expose_value=False,
        **kw,
    )


# The root's options (cli/app.py `root`) as each leaf takes them: their spellings, and how to make one.
GLOBAL_OPTIONS: list[tuple[tuple[str, ...], Callable[[], Any]]] = [
    (
        ("--url",),
        lambda: _option(["--url"], "url", "Server base URL (or scheme://host[:port]); env DLICLI_URL.", metavar="URL"),
    ),
    (
        ("--profile", "-P"),
        lambda: _option(
            ["--profile", "-P"],
            "profile",
            "Profile to use; env DLICLI_PROFILE.",
            metavar="NAME",
            autocompletion=lambda ctx, args, incomplete: completion.profile_names(incomplete),
        ),
    ),
    (("--insecure", "-k"), lambda: _option(["--insecure", "-k"], "insecure", "Skip TLS certificate checks.")),
    (
        ("--ca-bundle",),
        lambda: _option(
            ["--ca-bundle"], "ca_bundle", "PEM file of CAs to trust; env DLICLI_CA_BUNDLE.", metavar="FILE"
        ),
    ),
    (("--debug",), lambda: _option(["--debug"], "debug", "Log requests to stderr (secrets redacted).")),
]
