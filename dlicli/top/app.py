"""The Textual console of `dlicli top` (the `tui` extra): the panes of `dlicli.top.model`, polled.

Polls never pile up: one thread worker asks the server, and a tick while it is still out is
skipped; each request is bounded by the client's timeouts and deadline. A failure is shown in the
status line and the last rows stay. Keys act on the row under the cursor through its `Target`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Input, Label, Log, Static

from dlicli import logstreams, timefmt
from dlicli.errors import DlicliError
from dlicli.output import escape_controls
from dlicli.top import model

if TYPE_CHECKING:
    from dlicli.client.operations import DlpdClient

PANES = ("tasks", "searches", "apps", "plans")


class LogScreen(Screen[None]):
    """A task's log, both streams, followed while the screen is open; Esc goes back."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, client: DlpdClient, exec_id: str, interval: float):
        super().__init__()
        self.exec_id = exec_id
        self.interval = interval
        self.notices: list[str] = []
        self.follow = logstreams.LogFollow(client, exec_id, logstreams.LogOptions(), self.notices.append)
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Static(f"log of {self.exec_id} (followed; Esc: back)", id="log-title")
        yield Log(id="log", highlight=False)
        yield Footer()

    def on_mount(self) -> None:
        self.tick()
        self.set_interval(self.interval, self.tick)

    def tick(self) -> None:
        if not self.busy:
            self.busy = True
            self.fetch()

    @work(thread=True, exclusive=True, group="log", exit_on_error=False)
    def fetch(self) -> None:
        try:
            text, error = "".join(line.text for line in self.follow.poll()), None
        except DlicliError as exc:
            text, error = "", exc.message
        self.app.call_from_thread(self.show, text, error)

    def show(self, text: str, error: str | None) -> None:
        self.busy = False
        if not self.is_attached:
            return
        log = self.query_one(Log)
        for notice in self.notices:
            log.write_line(f"[dlicli] {notice}")
        self.notices.clear()
        if text:
            log.write(escape_controls(text, keep="\n\t\r"))
        if error:
            self.query_one("#log-title", Static).update(Text(f"log of {self.exec_id}: {error}"))


class ConfirmStop(ModalScreen[bool]):
    """Asks before a stop: y or Enter on Stop confirms; n or Esc does not."""

    BINDINGS = [Binding("y", "answer(True)", "Stop"), Binding("n,escape", "answer(False)", "Cancel")]

    def __init__(self, target: model.Target):
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        what = "task" if self.target.kind == "exec" else "search"
        with Vertical(id="confirm"):
            yield Label(Text(f"Stop {what} {self.target.ident}?"), id="question")
            with Horizontal(id="buttons"):
                yield Button("Stop (y)", variant="error", id="yes")
                yield Button("Cancel (n)", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class TopApp(App[None]):
    """The console: four panes (tasks, searches, applications, resource plans) and a status line."""

    TITLE = "dlicli top"
    CSS = """
    #title, #status { height: 1; padding: 0 1; }
    #status { color: $text-muted; }
    DataTable { border: round $primary-darken-2; height: 1fr; }
    DataTable:focus { border: round $accent; }
    #tasks { height: 3fr; }
    #searches { height: 2fr; }
    #bottom { height: 2fr; }
    #apps { width: 3fr; }
    #plans { width: 2fr; }
    #filter { display: none; }
    #confirm { width: 50; height: auto; border: thick $error; padding: 1 2; background: $surface; }
    ConfirmStop { align: center middle; }
    #buttons { height: auto; margin-top: 1; }
    """
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("r", "refresh", "Refresh"),
        Binding("slash", "filter", "Filter"),
        Binding("s", "stop", "Stop"),
        Binding("j", "cursor(1)", "Down", show=False),
        Binding("k", "cursor(-1)", "Up", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self, client: DlpdClient, *, interval: float = 2.0, server: str = ""):
        super().__init__()
        self.client = client
        self.interval = interval
        self.server = server
        self.snapshot: model.Snapshot | None = None
        self.targets: dict[str, dict[str, model.Target | None]] = {name: {} for name in PANES}
        self.filter_text = ""
        self.polling = False

    def compose(self) -> ComposeResult:
        yield Static(Text(f"dlicli top · {self.server}"), id="title")
        yield DataTable(id="tasks")
        yield DataTable(id="searches")
        with Horizontal(id="bottom"):
            yield DataTable(id="apps")
            yield DataTable(id="plans")
        yield Input(placeholder="filter rows (Enter: keep, Esc: clear)", id="filter")
        yield Static("connecting…", id="status")
        yield Footer()

    def on_mount(self) -> None:
        empty = model.Snapshot(model.empty_panes())
        for pane in empty.panes:
            table = self.query_one(f"#{pane.name}", DataTable)
            table.cursor_type = "row"
            table.border_title = pane.title
            table.add_columns(*pane.headers)
        self.query_one("#tasks", DataTable).focus()
        self.action_refresh()
        self.set_interval(self.interval, self.action_refresh)

    # -- polling -------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        if not self.polling:
            self.polling = True
            self.poll_server()

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def poll_server(self) -> None:
        try:
            snapshot = model.snapshot(self.client)
        except Exception as exc:  # noqa: BLE001 - any failure goes to the status line, never a crash
            self.call_from_thread(self.poll_failed, f"{type(exc).__name__}: {exc}")
            return
        self.call_from_thread(self.show_snapshot, snapshot)

    def poll_failed(self, message: str) -> None:
        self.polling = False
        self.set_status(f"poll failed: {message}", error=True)

    def show_snapshot(self, snapshot: model.Snapshot) -> None:
        self.polling = False
        self.snapshot = snapshot
        self.fill_tables()
        when = timefmt.local(snapshot.taken)[-8:]
        if snapshot.errors:
            self.set_status(f"{when} · " + "; ".join(snapshot.errors), error=True)
        else:
            self.set_status(f"updated {when} · every {timefmt.duration(self.interval)}")

    def set_status(self, text: str, *, error: bool = False) -> None:
        self.query_one("#status", Static).update(Text(text, style="bold red" if error else ""))

    def fill_tables(self) -> None:
        if self.snapshot is None:
            return
        for pane in self.snapshot.panes:
            self.fill(self.query_one(f"#{pane.name}", DataTable), pane.matching(self.filter_text))

    def fill(self, table: DataTable, pane: model.Pane) -> None:
        """The pane's rows, the cursor kept on the same row (by key) when it is still there."""
        kept = self.selected_key(table)
        table.clear()
        self.targets[pane.name] = {}
        for row in pane.rows:
            table.add_row(*(Text(cell) for cell in row.cells), key=row.key)
            self.targets[pane.name][row.key] = row.target
        table.border_subtitle = f"{len(pane.rows)} rows" + (
            f" matching {self.filter_text!r}" if self.filter_text else ""
        )
        if kept in self.targets[pane.name]:
            table.move_cursor(row=table.get_row_index(kept))

    @staticmethod
    def selected_key(table: DataTable) -> str | None:
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    # -- keys --------------------------------------------------------------------------------

    def current_table(self) -> DataTable | None:
        focused = self.focused
        return focused if isinstance(focused, DataTable) else None

    def selected_target(self) -> model.Target | None:
        table = self.current_table()
        if table is None or table.id is None:
            return None
        key = self.selected_key(table)
        return self.targets.get(table.id, {}).get(key) if key else None

    def action_cursor(self, step: int) -> None:
        table = self.current_table()
        if table is not None:
            table.action_cursor_down() if step > 0 else table.action_cursor_up()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        target = self.targets.get(event.data_table.id or "", {}).get(str(event.row_key.value))
        if target is None or target.kind != "exec":
            self.notify("Enter opens a task's or an experiment's log; this row has none", severity="warning")
            return
        self.push_screen(LogScreen(self.client, target.ident, self.interval))

    def action_stop(self) -> None:
        target = self.selected_target()
        if target is None:
            self.notify("nothing to stop on this row", severity="warning")
            return

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self.stop_target(target)

        self.push_screen(ConfirmStop(target), answered)

    @work(thread=True, group="stop", exit_on_error=False)
    def stop_target(self, target: model.Target) -> None:
        try:
            if target.kind == "exec":
                self.client.execs_exec_id_stop_post(target.ident)
            else:
                self.client.stop_one_hpo(target.ident)
        except DlicliError as exc:
            self.call_from_thread(self.notify, f"stop {target.ident}: {exc.message}", severity="error")
            return
        self.call_from_thread(self.notify, f"asked to stop {target.ident}")
        self.call_from_thread(self.action_refresh)

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self.fill_tables()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.input.display = bool(event.value)
        self.query_one("#tasks", DataTable).focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False
        self.filter_text = ""
        self.fill_tables()
        if self.current_table() is None:
            self.query_one("#tasks", DataTable).focus()

    def shown_rows(self, name: str) -> list[tuple[str, ...]]:
        """The rows a pane shows now (its cells as text), for tests and screenshots."""
        try:
            table = self.query_one(f"#{name}", DataTable)
        except NoMatches:
            return []
        return [tuple(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]
