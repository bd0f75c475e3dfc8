"""`dlicli profile list|show|use|delete`: the named connections in config.yaml (no secrets shown)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from dlicli import listing
from dlicli.cli import completion
from dlicli.cli.options import JsonOpt, OutputOpt, YesOpt
from dlicli.cli.state import output, state
from dlicli.output import Column, Output

if TYPE_CHECKING:
    from dlicli.config import Config, Profile

app = typer.Typer(help="Named connection profiles.", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="Profile name.", metavar="NAME", autocompletion=completion.profile_names)]


ON_DEMAND = "(started on demand)"  # the local profile's URL while its engine is not running


# profile list's columns, and the order they give way in on a narrow terminal (as in `exec list`):
# AUTH, then USER, then the URL is cut (`profile show NAME` has it whole); never NAME or CURRENT.
PROFILE_FITS = [
    listing.Fit(Column("NAME", "name")),
    listing.Fit(Column("URL", lambda r: r["url"] or ON_DEMAND), give=3, shrink_to=24),
    listing.Fit(Column("USER", "user"), give=2),
    listing.Fit(Column("AUTH", "auth"), give=1),
    listing.Fit(Column("CURRENT", lambda r: "*" if r["current"] else "")),
]


@app.command("list")
def list_profiles(ctx: typer.Context, output_format: OutputOpt = None, as_json: JsonOpt = False) -> None:
    """List profiles, the built-in `local` one first; the current one is marked with *."""
    from dlicli.config import LOCAL_PROFILE, Config

    out = output(output_format, as_json)
    cfg = Config.load()
    st = state(ctx)
    current = cfg.current_name(st.profile, st.url)
    names = [LOCAL_PROFILE, *sorted(n for n in cfg.profiles if n != LOCAL_PROFILE)]
    rows = [_profile(cfg, name).to_json(current=name == current) for name in names]
    out.data(rows, columns=listing.columns_for(out, PROFILE_FITS, rows) if out.format == "table" else None)


@app.command("show")
def show(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(
            help="Profile name (default: the active one).", metavar="NAME", autocompletion=completion.profile_names
        ),
    ] = None,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one profile's settings (never its secret); `local` is the built-in local engine's."""
    from dlicli.config import Config
    from dlicli.errors import ConfigError

    out = output(output_format, as_json)
    cfg = Config.load()
    st = state(ctx)
    current = cfg.current_name(st.profile, st.url)
    name = name or current
    if not name:
        raise ConfigError("no active profile", hint="name one, or pick one with `dlicli profile use NAME`")
    out.data(_profile(cfg, name).to_json(current=name == current))


def _profile(cfg: Config, name: str) -> Profile:
    """The named profile; the built-in `local` one with the URL its engine runs at now (None when
    it is not running: the CLI starts it on demand) and the user its admin token signs in as."""
    from dlicli.config import LOCAL_PROFILE

    prof = cfg.get(name)
    if name == LOCAL_PROFILE and name not in cfg.profiles:
        from dlicli import localengine, paths

        url, _token, problem = localengine.peek(paths.data_dir())
        prof.url, prof.username, prof.store = ("" if problem else url), "admin", "engine"
    return prof


@app.command("use")
def use(name: NameArg) -> None:
    """Make NAME the current profile (`local`: the local engine again)."""
    from dlicli.config import LOCAL_PROFILE, Config

    cfg = Config.load()
    prof = _profile(cfg, name)
    cfg.current_profile = None if name == LOCAL_PROFILE else name  # no current profile means local
    cfg.save()
    Output().info(f"now using profile {name} ({prof.url or 'the local engine, ' + ON_DEMAND[1:-1]})")


@app.command("delete")
def delete(name: NameArg, yes: YesOpt = False) -> None:
    """Delete profile NAME and its stored secret."""
    from dlicli.cli.bulk import confirm
    from dlicli.config import LOCAL_PROFILE, Config
    from dlicli.credentials import delete_secret
    from dlicli.errors import UsageError

    out = Output()
    cfg = Config.load()
    if name == LOCAL_PROFILE and name not in cfg.profiles:
        raise UsageError(
            "the local profile is built in and cannot be deleted",
            hint="to stop its engine: `dlicli server stop`; to use another: `dlicli profile use NAME`",
        )
    prof = cfg.get(name)
    confirm(
        f"Delete profile {name} ({prof.url}) and its secret?", yes=yes, example=f"dlicli profile delete {name} --yes"
    )
    if not delete_secret(name, prof.store):
        out.warn(f"could not reach the system keyring to delete the secret of profile {name!r}")
    cfg.remove(name)
    cfg.save()
    out.info(f"deleted profile {name}")
