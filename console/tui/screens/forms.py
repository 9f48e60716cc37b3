"""Small forms that are their own confirmation: track a batch by id, export a batch to a file,
attach a tracked batch's original input file.

None spends money; each says so, and says exactly what will happen, before `enter`/`y`.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from console.format.wording import plural
from console.tui.widgets.choice import Choice
from console.tui.widgets.field import Field


class _Form(ModalScreen):
    BINDINGS = [Binding("escape", "back", "Cancel", id="no")]

    def action_back(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "yes":
            self.submit()
        else:
            self.dismiss(None)

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        self.submit()

    def choice(self) -> str | None:
        return self.query_one(Choice).value

    def submit(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class TrackScreen(_Form):
    """Dismisses with (provider, provider batch id) or None."""

    def __init__(self, providers: list[str]) -> None:
        super().__init__(classes="dialog-screen")
        self.providers = providers

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Track a batch by id", classes="dialog-title")
            yield Static(Text("Start watching a batch someone else submitted. Nothing is sent "
                              "or spent; the batch is read from the provider and synced."),
                         classes="dialog-body")
            yield Choice([(name, name, True) for name in self.providers], id="provider")
            yield Field(placeholder="provider batch id, e.g. batch_abc123 or msgbatch_…", id="batch-id")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Track (enter)", id="yes", variant="primary")
                yield Button("Cancel (esc)", id="no")

    AUTO_FOCUS = "#batch-id"

    def submit(self) -> None:
        value = self.query_one(Input).value.strip()
        if not value:
            self.notify("Type the provider's batch id first.", severity="warning")
            return
        self.dismiss((self.choice() or self.providers[0], value))


class ExportScreen(_Form):
    """Dismisses with (path, format) or None."""

    def __init__(self, batch_id: int, rows: int, default_path: str) -> None:
        super().__init__(classes="dialog-screen")
        self.batch_id = batch_id
        self.rows = rows
        self.default_path = default_path

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Export batch #{self.batch_id}", classes="dialog-title")
            yield Static(Text(f"Write the results of {plural(self.rows, 'item')}, in original order, to the "
                              "file below (an existing file is replaced). Costs nothing."),
                         classes="dialog-body")
            yield Choice([("jsonl", "JSONL (one result line per item)", True),
                          ("csv", "CSV (one row per item)", True)], "jsonl", id="format")
            yield Field(value=self.default_path, id="path")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export (enter)", id="yes", variant="primary")
                yield Button("Cancel (esc)", id="no")

    AUTO_FOCUS = "#path"

    @on(Choice.Changed)
    def _format(self, event: Choice.Changed) -> None:
        box = self.query_one(Input)
        stem, _, ext = box.value.rpartition(".")
        if ext in ("jsonl", "csv") and stem:
            box.value = f"{stem}.{self.choice()}"

    def submit(self) -> None:
        path = self.query_one(Input).value.strip()
        if not path:
            self.notify("Type a file path first.", severity="warning")
            return
        self.dismiss((path, self.choice() or "jsonl"))


class AttachScreen(_Form):
    """Dismisses with the path typed, or None. Shown again by the action, with the engine's
    one-sentence refusal under the field and the path kept, when the file does not fit."""

    def __init__(self, batch_id: int, provider: str, path: str = "", error: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.batch_id = batch_id
        self.provider = provider
        self.path = path
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Attach the input file of batch #{self.batch_id}", classes="dialog-title")
            yield Static(Text(f"{self.provider} does not give this batch's requests back. Name the JSONL "
                              "file it was made from: lines are matched by custom_id and keep the "
                              "file's order. Once per batch; nothing is sent or spent."),
                         classes="dialog-body")
            yield Field(value=self.path, placeholder="path/to/requests.jsonl", id="attach-path")
            sentence = (self.error or "").rstrip(".") + ("." if self.error else "")
            error = Static(Text(sentence), id="attach-error", classes="dialog-error")
            error.display = bool(self.error)
            yield error
            with Horizontal(classes="dialog-buttons"):
                yield Button("Attach (enter)", id="yes", variant="primary")
                yield Button("Cancel (esc)", id="no")

    AUTO_FOCUS = "#attach-path"

    def submit(self) -> None:
        path = self.query_one(Input).value.strip()
        if not path:
            error = self.query_one("#attach-error", Static)
            error.update(Text("Type the path of the batch's original JSONL file first."))
            error.display = True
            return
        self.dismiss(path)
