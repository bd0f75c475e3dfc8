"""Lists that stay readable, typer-free: what `exec list`, `hpo list` and `scheduler apps` share.

- `--sort FIELD` / `-FIELD`: a named field, None values last either way; unknown names are a
  usage error listing the valid ones.
- `--limit N`: the first N in `--sort` order; without `--sort`, the N most recently created, in
  the order the list is shown (newest last), as `tail` would.
- `--state S`: checked against the real states before any request (case-insensitive).
- width fitting: on a terminal, low-value columns shrink, then go, before any row would wrap.
- `--watch`: a redraw in place on a terminal; piped, one timestamped line per row that changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from dlicli import timefmt
from dlicli.errors import UsageError
from dlicli.output import Column, Output

if TYPE_CHECKING:
    from rich.console import RenderableType

Row = dict[str, Any]
SortKey = Callable[[Row], Any]
GAP = 2  # the space rich puts between two columns of a box-less table (padding 1 each side)


# -- states, sorting, limiting -------------------------------------------------------------------


def check_states(values: Iterable[str] | None, valid: Sequence[str], what: str) -> set[str]:
    """The states asked for (repeatable, comma-separated, any case), upper-cased; an unknown one
    is a usage error naming the valid states, before any request is sent."""
    wanted = {s.strip().upper() for value in values or [] for s in value.split(",") if s.strip()}
    unknown = sorted(wanted - {v.upper() for v in valid})
    if unknown:
        raise UsageError(
            f"unknown {what} state {', '.join(unknown)}",
            hint=f"valid states: {', '.join(valid)} (any case, comma-separated or repeated)",
        )
    return wanted


def in_states(rows: list[Row], wanted: set[str], key: str = "state") -> list[Row]:
    """The rows whose state is one of `wanted` (all rows when nothing is wanted)."""
    if not wanted:
        return rows
    return [r for r in rows if isinstance(r, dict) and str(r.get(key) or "").upper() in wanted]


def parse_sort(
    spec: str | None, fields: Mapping[str, SortKey], aliases: Mapping[str, str] | None = None
) -> tuple[str, bool] | None:
    """`created` → ("created", False); `-created` → ("created", True); None for no sort. `aliases`
    are other names of a field (a server's spellings). An unknown name is a usage error listing
    the names taken (before any request)."""
    if spec is None or not spec.strip():
        return None
    text = spec.strip()
    descending = text.startswith("-")
    name = text.lstrip("-+").strip().lower()
    name = (aliases or {}).get(name, name)
    if name not in fields:
        raise UsageError(f"cannot sort by {spec!r}", hint=sort_hint(fields, aliases))
    return name, descending


def sort_hint(fields: Iterable[str], aliases: Mapping[str, str] | None = None) -> str:
    """The names --sort takes, as a hint: the fields, then any other spellings taken."""
    names = list(fields)
    example = "created" if "created" in names else names[0]
    hint = f"sort by one of: {', '.join(names)} (a leading - sorts descending, e.g. -{example})"
    others = [a for a in aliases or {} if a not in names]
    return hint + (f"; also taken: {', '.join(others)}" if others else "")


def check_order(order: str | None) -> str | None:
    """A server's --order, lower-cased: asc or desc (a usage error otherwise, before any request)."""
    if order is None:
        return None
    word = order.strip().lower()
    if word not in ("asc", "desc"):
        raise UsageError(f"--order takes asc or desc, not {order!r}", hint="for example --order desc")
    return word


def sort_rows(rows: list[Row], sort: tuple[str, bool] | None, fields: Mapping[str, SortKey]) -> list[Row]:
    """Rows in `sort` order (stable); rows without a value last, whichever the direction."""
    if sort is None:
        return rows
    key = fields[sort[0]]
    valued = [(key(r), r) for r in rows]
    present = [pair for pair in valued if pair[0] not in (None, "")]
    absent = [r for value, r in valued if value in (None, "")]
    present.sort(key=lambda pair: _comparable(pair[0]), reverse=sort[1])
    return [r for _, r in present] + absent


def _comparable(value: Any) -> tuple:
    """Numbers before text, each in its own order; text case-insensitively."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, "")
    return (1, 0, str(value).lower())


def limit_rows(rows: list[Row], limit: int | None, *, sorted_by_user: bool, created: SortKey) -> list[Row]:
    """At most `limit` rows: the first ones in a chosen order, else the most recently created
    ones, kept in the order shown (rows with no creation time count as the oldest)."""
    if limit is None or len(rows) <= limit:
        return rows
    if sorted_by_user:
        return rows[:limit]
    stamps = [timefmt.parse_time(created(r)) for r in rows]
    newest = sorted(range(len(rows)), key=lambda i: (stamps[i] is not None, stamps[i] or 0.0, i))[-limit:]
    return [rows[i] for i in sorted(newest)]


def check_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise UsageError(f"--limit must be 1 or more, not {limit}", hint="for example --limit 20")


# -- fitting a terminal --------------------------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    """A column and how it gives way to a narrow terminal: columns with a lower `give` go first
    (0: never); one with `shrink_to` is first cut down to that width (an ellipsis ends its cells)."""

    column: Column
    give: int = 0
    shrink_to: int = 0


def fit(fits: Sequence[Fit], rows: list[Row], width: int) -> list[Column]:
    """The columns that fit `width` cells: low-value ones shortened, then dropped, in `give`
    order, until every row fits on one line. Every column is marked not to wrap, so if the
    rest is still too wide, cells end in an ellipsis rather than fold onto a second line."""
    widths = [_natural_width(f.column, rows) for f in fits]
    keep = [True] * len(fits)
    limits: list[int | None] = [None] * len(fits)

    def total() -> int:
        shown = [w for w, k in zip(widths, keep, strict=True) if k]
        return sum(shown) + GAP * max(0, len(shown) - 1)

    for i in sorted((i for i, f in enumerate(fits) if f.give), key=lambda i: fits[i].give):
        if total() <= width:
            break
        if fits[i].shrink_to and widths[i] > fits[i].shrink_to:
            widths[i] = max(fits[i].shrink_to, widths[i] - (total() - width))
            limits[i] = widths[i]
            if total() <= width:
                break
        keep[i] = False
    return [replace(f.column, wrap=False, max_width=limits[i]) for i, f in enumerate(fits) if keep[i]]


def _natural_width(column: Column, rows: list[Row]) -> int:
    from rich.cells import cell_len

    cells = [cell_len(column.cell(r)) for r in rows if isinstance(r, dict)]
    return max([cell_len(column.header), *cells])


def terminal_width(out: Output) -> int:
    return out.console().width


# -- watching ------------------------------------------------------------------------------------


class Changes:
    """What a piped `--watch` prints: each row the first time it is seen, then whenever what it
    shows changes (volatile cells, such as a running task's duration, do not count)."""

    def __init__(self, ident: SortKey, signature: Callable[[Row], tuple]):
        self.ident = ident
        self.signature = signature
        self.seen: dict[Any, tuple] = {}

    def changed(self, rows: list[Row]) -> list[Row]:
        fresh = []
        for row in rows:
            key, now = self.ident(row), self.signature(row)
            if self.seen.get(key) != now:
                self.seen[key] = now
                fresh.append(row)
        return fresh


@dataclass
class Listing:
    """One poll's list, as a watch shows it: the rows, the columns for them, and a note (what was
    hidden) for the line above the table."""

    rows: list[Row]
    columns: list[Column]
    note: str = ""
    newest_last: bool = True  # in the default order: a screen too short keeps the last rows


def watch(
    out: Output,
    poll: Callable[[], Listing],
    every: float,
    *,
    ident: SortKey,
    volatile: Sequence[str] = (),
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Poll and show until Ctrl-C (KeyboardInterrupt, exit 130 in the caller): in place on a
    terminal (rich Live, cropped to the screen), else the rows that changed, each after its time."""
    if out.stdout_is_tty:
        _watch_live(out, poll, every, sleep)
        return
    changes: Changes | None = None
    header_done = False
    while True:
        listing = poll()
        if changes is None:
            changes = Changes(ident, _signature([c for c in listing.columns if c.header not in volatile]))
        if out.headers and not header_done:
            out.write("\t".join(["TIME", *(c.header for c in listing.columns)]) + "\n")
            header_done = True
        stamp = timefmt.iso(time.time())
        for row in changes.changed(listing.rows):
            out.write("\t".join([stamp, *(c.cell(row) for c in listing.columns)]) + "\n")
        sleep(every)


def _signature(columns: list[Column]) -> Callable[[Row], tuple]:
    """What a row shows in `columns`, to tell a changed row from one that is not."""
    return lambda row: tuple(c.cell(row) for c in columns)


def _watch_live(out: Output, poll: Callable[[], Listing], every: float, sleep: Callable[[float], None]) -> None:
    from rich.live import Live

    with Live(console=out.console(), auto_refresh=False, vertical_overflow="crop") as live:
        while True:
            live.update(_frame(out, poll(), every), refresh=True)
            sleep(every)


def _frame(out: Output, listing: Listing, every: float) -> RenderableType:
    """One redraw: a line saying what is shown (and what hidden), then the table."""
    from rich.console import Group
    from rich.text import Text

    when = timefmt.local(time.time())
    head = f"every {timefmt.duration(every)}, {when}" + (f"  ({listing.note})" if listing.note else "")
    parts: list[RenderableType] = [Text(head, style="dim" if out.color else "", no_wrap=True, overflow="ellipsis")]
    rows, more = _on_screen(listing, out.console().height)
    if rows:
        parts.append(out.rich_table(rows, listing.columns))
    else:
        parts.append(Text("nothing to list"))
    if more:
        parts.append(Text(more, style="dim" if out.color else ""))
    return Group(*parts)


def _on_screen(listing: Listing, height: int) -> tuple[list[Row], str]:
    """The rows a screen of `height` lines has room for (besides the line above the table, its
    header and this note, and the line the cursor waits on), and a note of how many did not fit:
    the newest rows stay in the default order, the first ones in a chosen order."""
    room = max(1, height - 4)
    rows = listing.rows
    if len(rows) <= room + 1:
        return rows, ""
    left = len(rows) - room
    if listing.newest_last:
        return rows[-room:], f"… {left} more above (--limit or a taller terminal shows them)"
    return rows[:room], f"… {left} more below (--limit or a taller terminal shows them)"


def time_column(header: str, key: str, *, tty: bool) -> Column:
    """A column of a server's times: local time on a terminal, ISO-8601 UTC when piped."""
    return Column(header, lambda row: timefmt.time_text(row.get(key), tty=tty))


# -- showing -------------------------------------------------------------------------------------


def columns_for(out: Output, fits: Sequence[Fit], rows: list[Row]) -> list[Column]:
    """On a terminal the columns that fit it (empty low-value ones left out); piped, all of them,
    always the same, for `cut -f`."""
    if not out.stdout_is_tty:
        return [f.column for f in fits]
    shown = [f for f in fits if not f.give or any(f.column.cell(r) for r in rows if isinstance(r, dict))]
    return fit(shown, rows, terminal_width(out))


def check_modes(out: Output, *, quiet: bool, watch: bool) -> None:
    """-q prints ids and --watch a table: neither goes with -o/--json or --query (which picks from
    the JSON, so the JSON decides what is printed), nor with each other. The error names the
    options the user gave (--query alone makes the format "text", which is not a -o)."""
    if quiet and watch:
        raise UsageError("-q/--quiet and --watch do not go together", hint="watch the table: drop -q")
    if not (quiet or watch):
        return
    mode = "-q/--quiet" if quiet else "--watch"
    if out.query is not None:
        hint = (
            "drop -q: a --query ending in the id field (e.g. exec list --query '[].id') prints one id a line"
            if quiet
            else "--watch shows the table as it is: drop --query"
        )
        raise UsageError(f"{mode} and --query do not go together", hint=hint)
    if out.format != "table":
        flag = "-q/--quiet prints ids only" if quiet else "--watch shows a table"
        raise UsageError(f"{flag}: it takes no -o/--json", hint="drop -o/--json")


@dataclass(frozen=True)
class Mode:
    """How a list is shown this time: ids only, once, or watched every `every` seconds."""

    quiet: bool
    watch: bool
    every: float


def list_mode(
    out: Output, *, limit: int | None, quiet: bool, watch: bool, headers: bool | None, interval: float | None
) -> Mode:
    """The options every list takes, checked before any request (a usage error otherwise)."""
    from dlicli.execwatch import poll_interval

    check_limit(limit)
    check_modes(out, quiet=quiet, watch=watch)
    out.headers = headers
    return Mode(quiet, watch, poll_interval(interval) if watch else 0.0)


def present(
    out: Output, poll: Callable[[], Listing], mode: Mode, *, ident: SortKey, empty: str, volatile: Sequence[str] = ()
) -> None:
    """Watch the list until Ctrl-C, or show it once."""
    if mode.watch:
        watch(out, poll, mode.every, ident=ident, volatile=volatile)
    else:
        show(out, poll(), quiet=mode.quiet, ident=ident, empty=empty)


def show(out: Output, listing: Listing, *, quiet: bool, ident: SortKey, empty: str) -> None:
    """The list once: ids only (-q), or the table/JSON/YAML, then on a terminal the note of what
    was hidden (stderr; never when piped, where it would only be noise)."""
    from dlicli.output import format_cell

    if quiet:
        for row in listing.rows:
            out.write(format_cell(ident(row)) + "\n")
        return
    out.data(listing.rows, columns=listing.columns, empty=empty)
    if listing.note and out.format == "table" and out.stdout_is_tty:
        out.info(listing.note)
