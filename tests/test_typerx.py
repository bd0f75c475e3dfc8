"""The adapter over typer's private API (dlicli/cli/typerx.py), each function used for real.

When typer is upgraded, a failure here names the adapter function that broke.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import typer

from dlicli.cli import typerx


def two_commands() -> typer.Typer:
    app = typer.Typer(add_completion=False, no_args_is_help=True)

    @app.command()
    def greet(name: str = typer.Option("world", "--name", help="Who.")) -> None:
        """Say hello."""
        sys.stdout.write(f"hello {name}\n")

    @app.command()
    def other() -> None:
        """Do nothing."""

    return app


class Recording(typerx.TyperGroup):
    """A group class of our own, as cli/lazy.py passes one."""


def test_group_without_leaves_then_each_leaf_on_its_own(capsys):
    app = two_commands()
    group, infos = typerx.group_without_leaves(app, Recording)
    assert isinstance(group, Recording) and group.commands == {}
    assert len(app.registered_commands) == 2  # the app is left as it was
    names = [typerx.command_name(info) for info in infos]
    assert names == ["greet", "other"]
    group.commands["greet"] = typerx.command_from_info(infos[0])
    assert isinstance(group.commands["greet"], typerx.TyperCommand)
    group.main(args=["greet", "--name", "bo"], prog_name="probe", standalone_mode=False)
    assert capsys.readouterr().out == "hello bo\n"


class OwnLeaf(typerx.TyperCommand):
    """A leaf class of our own, as cli/leafopts.py passes one."""


class NamedLeaf(typerx.TyperCommand):
    """A class a command names itself (as dlicmd does): kept."""


def test_leaves_are_built_as_the_class_given_unless_they_name_their_own():
    app = two_commands()
    sub = typer.Typer()
    sub.command("deep")(lambda: None)
    sub.command("own", cls=NamedLeaf)(lambda: None)
    app.add_typer(sub, name="sub")
    group, infos = typerx.group_without_leaves(app, Recording, OwnLeaf)
    assert type(typerx.command_from_info(infos[0], cls=OwnLeaf)) is OwnLeaf
    assert type(typerx.command_from_info(infos[1])) is typerx.TyperCommand  # no class given: typer's
    built = group.commands["sub"].commands
    assert type(built["deep"]) is OwnLeaf and type(built["own"]) is NamedLeaf
    named = typer.Typer()
    named.command("mine", cls=NamedLeaf)(lambda: None)
    assert type(typerx.command_from_info(named.registered_commands[0], cls=OwnLeaf)) is NamedLeaf


def test_command_name_prefers_the_given_name():
    app = typer.Typer()

    @app.command("given-name")
    def some_function() -> None:
        pass

    @app.command()
    def snake_case_function() -> None:
        pass

    assert [typerx.command_name(i) for i in app.registered_commands] == ["given-name", "snake-case-function"]


def test_click_command_runs_without_standalone_mode(capsys):
    command = typerx.click_command(two_commands())
    command.main(args=["greet", "--name", "ann"], prog_name="probe", standalone_mode=False)
    assert capsys.readouterr().out == "hello ann\n"


def test_click_context_gives_options_as_typer_options():
    group = typerx.click_command(two_commands())
    root = typerx.click_context(group, "probe")
    greet = group.get_command(root, "greet")
    ctx = typerx.click_context(greet, "greet", parent=root)
    assert ctx.info_name == "greet" and ctx.parent is root and ctx.command_path == "probe greet"
    options = [p for p in greet.get_params(ctx) if isinstance(p, typerx.TyperOption)]
    assert [o.opts for o in options] == [["--name"], ["--help"]]
    assert options[0].get_help_record(ctx)[1].startswith("Who.")


def test_click_exceptions_are_the_ones_a_run_raises():
    exceptions = typerx.click_exceptions()
    group = typerx.click_command(two_commands())
    with pytest.raises(exceptions.NoArgsIsHelpError):
        group.main(args=[], prog_name="probe", standalone_mode=False)
    with pytest.raises(exceptions.UsageError) as info:
        group.main(args=["greet", "--nope"], prog_name="probe", standalone_mode=False)
    assert isinstance(info.value, exceptions.ClickException)
    assert "--nope" in info.value.format_message()


PROBE = textwrap.dedent(
    """
    import sys
    import typer
    from dlicli.cli import typerx
    app = typer.Typer(add_completion=False)
    @app.command()
    def go(name: str = typer.Option("a", "--name-flag")) -> None:
        pass
    @app.command()
    def other() -> None:
        pass
    if sys.argv[1] == "init":
        typerx.completion_init()
    typerx.click_command(app).main(args=[], prog_name="probe", complete_var="_PROBE_COMPLETE")
    """
)


@pytest.mark.parametrize(("init", "answers"), [(True, True), (False, False)])
def test_completion_init_registers_the_shells(init, answers):
    env = {"_PROBE_COMPLETE": "complete_bash", "COMP_WORDS": "probe go --na", "COMP_CWORD": "2", "PATH": ""}
    arg = "init" if init else "no"
    result = subprocess.run(
        [sys.executable, "-c", PROBE, arg], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    if answers:
        assert (result.returncode, result.stdout.split()) == (0, ["--name-flag"]), result.stderr
    else:  # the reason completion_init exists: without it typer knows no shell
        assert result.returncode != 0 and "not supported" in result.stdout + result.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_calls_the_program_back(shell):
    script = typerx.completion_script("probe", "_PROBE_COMPLETE", shell)
    assert f"_PROBE_COMPLETE=complete_{shell}" in script
    assert "probe" in script


def test_short_help_cuts_to_one_line_within_the_limit():
    assert typerx.short_help("Say hello. Then more.", 45) == "Say hello."
    cut = typerx.short_help("A first sentence that is far too long to fit the limit given here", 30)
    assert cut.endswith("...") and len(cut) <= 30


def test_completion_item_and_option_completions():
    item = typerx.completion_item("exec", "Tasks.")
    assert (item.value, item.help, item.type) == ("exec", "Tasks.", "plain")
    command = typerx.click_command(two_commands()).get_command(None, "greet")
    ctx = typerx.click_context(command, "greet")
    assert [i.value for i in typerx.option_completions(command, ctx, "--na")] == ["--name"]
    assert typerx.option_completions(command, ctx, "x") == []


def test_set_value_completion_is_what_click_asks_for_an_options_values():
    app = two_commands()
    _group, infos = typerx.group_without_leaves(app, Recording)
    greet = typerx.command_from_info(next(i for i in infos if typerx.command_name(i) == "greet"))
    name = next(p for p in greet.params if "--name" in p.opts)
    assert not typerx.has_value_completion(name)
    typerx.set_value_completion(name, lambda ctx, param, incomplete: [typerx.completion_item(incomplete + "x", "h")])
    assert typerx.has_value_completion(name)
    ctx = typerx.click_context(greet, "greet")
    offered = name.shell_complete(ctx, "bo")
    assert [(item.value, item.help) for item in offered] == [("box", "h")]
