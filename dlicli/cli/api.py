"""`dlicli api METHOD PATH`: any operation, raw, with the profile's credentials (like `gh api`).

The field, path and body rules are in `dlicli.cli.apifields`; here: parse, send, print. A JSON
answer is printed pretty (or as -o yaml/table); anything else goes to stdout byte for byte.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from dlicli.cli.options import JsonOpt, OutputOpt
from dlicli.cli.state import output, state
from dlicli.output import Output, escape_controls

_TEXT_TYPES = ("json", "text/", "+xml", "/xml", "javascript")


def api(
    ctx: typer.Context,
    method: Annotated[str, typer.Argument(help="GET, POST, PUT, DELETE, PATCH, HEAD or OPTIONS.", metavar="METHOD")],
    path: Annotated[
        str,
        typer.Argument(
            help="Path under the API base (/execs, execs/ID/log?logType=errlog); "
            "//auth/v1/logon goes to the server root.",
            metavar="PATH",
        ),
    ],
    raw_field: Annotated[
        list[str] | None,
        typer.Option("--raw-field", "-f", help="Add a string field KEY=VALUE.", metavar="KEY=VALUE"),
    ] = None,
    typed_field: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            "-F",
            help="Add a typed field: numbers, true/false/null, @FILE (its text; with --form a file part; "
            "with --form, <FILE sends its text as a plain field).",
            metavar="KEY=VALUE",
        ),
    ] = None,
    header: Annotated[
        list[str] | None, typer.Option("--header", "-H", help="Add a header 'KEY: VALUE'.", metavar="'KEY: VALUE'")
    ] = None,
    input_file: Annotated[
        str | None,
        typer.Option(
            "--input", help="Send FILE (- for stdin) as the body; fields then go to the query.", metavar="FILE"
        ),
    ] = None,
    form: Annotated[
        bool, typer.Option("--form", help="Send the fields as multipart/form-data (-F K=@FILE attaches a file).")
    ] = False,
    include: Annotated[
        bool, typer.Option("--include", "-i", help="Print the status line and response headers to stderr.")
    ] = False,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Call any API operation and print the answer.

    For GET, DELETE, HEAD and OPTIONS, -f/-F fields become query parameters; for POST, PUT and
    PATCH they form a JSON object body (K[]=V builds an array). A PATH starting with // goes to
    the server root instead of the API base.
    """
    from dlicli.cli.apifields import build_request

    output(output_format, as_json)  # an unknown -o is a usage error before any request
    st = state(ctx)
    conn = st.connection()
    req = build_request(
        method,
        path,
        conn.url,
        raw_fields=raw_field or (),
        typed_fields=typed_field or (),
        headers=header or (),
        input_file=input_file,
        form=form,
    )
    client = st.client()
    with client.http.stream(req.method, req.path, operation=req.operation, **req.send_kwargs()) as response:
        if include:
            _print_head(response)
        ctype = response.headers.get("content-type", "").lower()
        if req.method == "HEAD":
            return
        if not ctype or any(t in ctype for t in _TEXT_TYPES):
            _print_body(response.read(), ctype, output_format, as_json)
            return
        for chunk in response.iter_bytes():
            _write_bytes(chunk)


def _print_head(response) -> None:
    lines = [f"{response.http_version} {response.status_code} {response.reason_phrase}"]
    lines += [f"{key}: {value}" for key, value in response.headers.items()]
    sys.stderr.write(escape_controls("\n".join(lines), keep="\n") + "\n\n")
    sys.stderr.flush()


def _print_body(content: bytes, ctype: str, output_format: str | None, as_json: bool) -> None:
    """JSON pretty (or in the asked format); text as it came."""
    import json

    if not content.strip():
        return
    if "json" in ctype or content.lstrip()[:1] in (b"{", b"["):
        try:
            data = json.loads(content)
        except ValueError:
            pass
        else:
            output(output_format or "json", as_json).data(data)
            return
    out = Output()
    if out.stdout_is_tty:  # text a server sent is shown, not obeyed, by a terminal
        out.write(content.decode("utf-8", errors="replace"))
        return
    _write_bytes(content)


def _write_bytes(data: bytes) -> None:
    """Bytes to stdout as they came (a text-only stdout gets them decoded)."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(data.decode("utf-8", errors="replace"))
        sys.stdout.flush()
        return
    buffer.write(data)
    buffer.flush()


commands = typer.Typer()  # the root registers it lazily (cli/app.py COMMANDS)
commands.command("api")(api)
