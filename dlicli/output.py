"""The one place that renders: data to stdout (table, json, yaml), everything else to stderr.

Tables are rich on a terminal and plain tab-separated (untruncated, no colour, no header unless
`Output.headers` asks for one) when piped, so `cut -f1` works. JSON is the server's objects exactly. One `Output` per
invocation; rich consoles are built lazily so `--help` never imports rich's heavy parts.
"""

from __future__ import annotations

import contextvars
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # rich is imported when a console is first needed, for start-up speed
    from rich.console import Console

FORMATS = ("table", "json", "yaml")
# The compiled `--query` of the command running now (cli/leafopts.py sets it while parsing the
# command line); `Output.data` applies it. A query's result has a shape of its own, so a command's
# table (its columns, a tree, ranked rows) cannot hold it: its table output becomes "text", which
# takes the command's json/yaml path and renders whatever the query made (as aws --output text).
QUERY: contextvars.ContextVar[Any] = contextvars.ContextVar("dlicli_query", default=None)

# What a terminal must never receive from a server: C0/C1 controls (ESC starts the sequences that
# recolour, move the cursor, retitle the window, or write the clipboard), DEL, and the Unicode
# line separators and bidirectional overrides that make text read differently than it is.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*):[^/\s@]*@")
_SECRETS: set[str] = set()


def escape_controls(text: str, keep: str = "") -> str:
    """`text` with every control character shown as its escape (`\\x1b`, `\\n`, `\\u202e`), except
    those in `keep`: what a server sent is shown, never obeyed, by the terminal."""

    def shown(match: re.Match[str]) -> str:
        char = match.group()
        return char if char in keep else char.encode("unicode_escape").decode("ascii")

    return _CONTROLS.sub(shown, text)


def remember_secret(secret: str | None) -> None:
    """A token, password or Authorization header that no message may show (see `redact`)."""
    if not secret:
        return
    _SECRETS.add(secret)
    for word in secret.split():
        if len(word) >= 6 and word not in ("Bearer", "Basic"):
            _SECRETS.add(word)


def redact(text: str) -> str:
    """`text` without the secrets remembered so far, nor the password of any `scheme://user:pw@` URL."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    return _URL_PASSWORD.sub(r"\1:***@", text)


@dataclass(frozen=True)
class Column:
    """A table column: its header and how to read a cell from a row."""

    header: str
    key: str | Callable[[dict[str, Any]], Any]
    style: str | None = None
    wrap: bool = True  # False: a cell too long for the terminal ends in "…" instead of folding
    max_width: int | None = None

    def cell(self, row: dict[str, Any], keep: str = "") -> str:
        value = self.key(row) if callable(self.key) else _dig(row, self.key)
        return format_cell(value, keep)


def _dig(row: Any, key: str) -> Any:
    value = row
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def format_cell(value: Any, keep: str = "") -> str:
    """A value as one cell's text; control characters escaped, except those in `keep` (a line
    break, where a cell may take several lines: a record on a terminal)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = str(value)
    return escape_controls(text.replace("\r\n", "\n") if "\n" in keep else text, keep)


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def to_yaml(data: Any) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)


class Output:
    """Where a command's data and messages go, for one invocation."""

    def __init__(self, fmt: str = "table", *, stdout: TextIO | None = None, stderr: TextIO | None = None):
        if fmt not in FORMATS:
            from dlicli.errors import UsageError

            raise UsageError(f"unknown output format {fmt!r}", hint="use one of: table, json, yaml")
        self.query = QUERY.get()
        self.format = "text" if self.query is not None and fmt == "table" else fmt
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self._console: Console | None = None
        self._err_console: Console | None = None
        self.headers: bool | None = None  # a table's header line: None = on a terminal only

    # -- terminals -------------------------------------------------------------------------

    @staticmethod
    def _isatty(stream: IO[str]) -> bool:
        try:
            return stream.isatty()
        except (AttributeError, ValueError):
            return False

    @property
    def stdout_is_tty(self) -> bool:
        return self._isatty(self.stdout)

    @property
    def stderr_is_tty(self) -> bool:
        return self._isatty(self.stderr)

    @property
    def color(self) -> bool:
        """No colour when NO_COLOR is set to a non-empty value (no-color.org: an empty one counts as unset)."""
        return not os.environ.get("NO_COLOR")

    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self.stdout, no_color=not self.color, highlight=False, soft_wrap=False)
        return self._console

    def err_console(self) -> Console:
        if self._err_console is None:
            from rich.console import Console

            self._err_console = Console(file=self.stderr, no_color=not self.color, highlight=False)
        return self._err_console

    # -- data (stdout) ---------------------------------------------------------------------

    def data(
        self,
        data: Any,
        *,
        columns: Sequence[Column] | None = None,
        title: str | None = None,
        empty: str | None = None,
    ) -> None:
        """Print a list of rows or one object in the chosen format (after the --query, if any)."""
        if self.query is not None:
            data = run_query(self.query, data)
        if self.format == "text":
            self._text(data, empty)
            return
        if self.format == "json":
            self.write(to_json(data if data is not None else None) + "\n")
            return
        if self.format == "yaml":
            self.write(to_yaml(data))
            return
        if isinstance(data, list):
            if not data:
                if empty:
                    self.info(empty)
                return
            cols = list(columns) if columns else _columns_for(data)
            self.table(data, cols, title=title)
        elif isinstance(data, dict):
            self.record(data, columns=columns)
        elif data is not None:
            self.write(format_cell(data) + "\n")

    def _text(self, data: Any, empty: str | None) -> None:
        """A query's result: a list of objects as a table; one object as key/value lines; a scalar,
        or each item of a list of them, as a line (a list's items tab-separated); null as nothing."""
        if isinstance(data, list) and data and all(isinstance(row, dict) for row in data):
            self.table(data, _columns_for(data))
        elif isinstance(data, list):
            if not data and empty:
                self.info(empty)
            for item in data:
                cells = item if isinstance(item, list) else [item]
                self.write("\t".join(format_cell(cell) for cell in cells) + "\n")
        elif isinstance(data, dict):
            self.record(data)
        elif data is not None:
            self.write(format_cell(data) + "\n")

    def table(self, rows: list[dict[str, Any]], columns: Sequence[Column], *, title: str | None = None) -> None:
        if not self.stdout_is_tty:
            if self.headers:
                self.write("\t".join(escape_controls(c.header) for c in columns) + "\n")
            for row in rows:
                self.write("\t".join(c.cell(row) if isinstance(row, dict) else format_cell(row) for c in columns))
                self.write("\n")
            return
        self.console().print(self.rich_table(rows, columns, title=title))

    def rich_table(self, rows: list[dict[str, Any]], columns: Sequence[Column], *, title: str | None = None) -> Any:
        """The rich Table a terminal shows for `rows` (also what a live view redraws)."""
        from rich.table import Table
        from rich.text import Text  # a cell is text, never rich markup: `[red]` in a name stays `[red]`

        table = Table(title=title, header_style="bold", box=None, pad_edge=False, show_header=self.headers is not False)
        for col in columns:
            table.add_column(
                Text(escape_controls(col.header)),
                style=col.style if self.color else None,
                overflow="fold" if col.wrap else "ellipsis",
                no_wrap=not col.wrap,
                max_width=col.max_width,
            )
        for row in rows:
            table.add_row(*(Text(c.cell(row) if isinstance(row, dict) else format_cell(row)) for c in columns))
        return table

    def record(self, obj: dict[str, Any], *, columns: Sequence[Column] | None = None) -> None:
        """One object as `key<TAB>value` lines (piped: a line break in a value escaped, so each
        line is one key) or an aligned two-column table (a value's lines one under another)."""
        keep = "\n" if self.stdout_is_tty else ""
        if columns:
            pairs = [(escape_controls(c.header), c.cell(obj, keep)) for c in columns]
        else:
            pairs = [(escape_controls(str(k)), format_cell(v, keep)) for k, v in obj.items()]
        if not self.stdout_is_tty:
            for key, value in pairs:
                self.write(f"{key}\t{value}\n")
            return
        from rich.table import Table
        from rich.text import Text

        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold" if self.color else None)
        table.add_column(overflow="fold")
        for key, value in pairs:
            table.add_row(Text(key), Text(value))
        self.console().print(table)

    def write(self, text: str) -> None:
        """Text to stdout (logs, ids): exactly as given into a pipe or file; on a terminal, control
        characters are escaped (line breaks and tabs stay), so a task's log cannot drive it."""
        if self.stdout_is_tty:
            text = escape_controls(text.replace("\r\n", "\n"), keep="\n\t")
        self.stdout.write(text)
        self.stdout.flush()

    # -- messages (stderr) -----------------------------------------------------------------

    def _message(self, prefix: str, text: str, style: str) -> None:
        """A message on stderr: secrets redacted, control characters escaped (a server's words may
        hold them); a line break stays, but every further line is indented, so no text a server
        sent can pass for an `error:` or `hint:` line of its own."""
        text = _continued(escape_controls(redact(text), keep="\n"))
        if self.stderr_is_tty and self.color:
            from rich.markup import escape

            self.err_console().print(f"[{style}]{prefix}[/{style}]{escape(text)}")
        else:
            self.stderr.write(f"{prefix}{text}\n")
            self.stderr.flush()

    def info(self, text: str) -> None:
        self._message("", text, "dim")

    def success(self, text: str) -> None:
        self._message("", text, "green")

    def hint(self, text: str) -> None:
        self._message("hint: ", text, "cyan")

    def warn(self, text: str) -> None:
        self._message("warning: ", text, "yellow")

    def error(self, text: str) -> None:
        self._message("error: ", text, "bold red")

    def debug(self, text: str) -> None:
        self.stderr.write(f"debug: {escape_controls(redact(text))}\n")
        self.stderr.flush()


def _continued(text: str) -> str:
    """Lines after the first indented by two spaces (already indented ones stay as they are)."""
    first, *rest = text.split("\n")
    return "\n".join([first, *(line if line[:1].isspace() or not line else "  " + line for line in rest)])


def _columns_for(rows: list[Any]) -> list[Column]:
    """Columns for rows nobody described: every key seen, in first-seen order."""
    keys: list[str] = []
    for row in rows:
        if isinstance(row, dict):
            for key in row:
                if key not in keys:
                    keys.append(key)
    if not keys:
        return [Column("VALUE", lambda r: r)]
    return [Column(k.upper(), k) for k in keys]


def compile_query(expression: str) -> Any:
    """A `--query` compiled, so a bad one is a usage error before any request (jmespath, the
    language aws and az take, is imported only when a query is given)."""
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        return jmespath.compile(expression)
    except JMESPathError as exc:
        raise _bad_query(expression, exc) from None


def run_query(query: Any, data: Any) -> Any:
    """`data` through a compiled query; a function given the wrong arguments is a usage error."""
    from jmespath.exceptions import JMESPathError

    try:
        return query.search(data)
    except JMESPathError as exc:
        raise _bad_query(query.expression, exc) from None


def _bad_query(expression: str, exc: Exception) -> Exception:
    from dlicli.errors import UsageError

    reason = str(exc).splitlines()[0].removesuffix(", for expression:").rstrip(":")
    return UsageError(
        f"--query {expression!r}: {reason}",
        hint="a JMESPath expression (https://jmespath.org), e.g. --query '[].id' or --query '[?state==`RUNNING`].id'",
    )
