"""BatchdeckApp: modes (Batches, Savings, Audit), global keys, the fleet watcher, theme.

The app reads the store on a background thread once a second (non-overlapping: a tick is
skipped while the previous read runs), keeps the newest fleet snapshot, raises notifications
when a batch completes, fails or nears expiry, and hands the snapshot to the Batches screen.
Operator actions go through `ActionRunner` to the engine; the app never calls a provider.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import events, on, work
from textual.app import App
from textual.binding import Binding
from textual.signal import Signal
from textual.theme import Theme
from textual.widgets import Input
from textual.worker import Worker, WorkerState, get_current_worker

from console.engine.batch_facts import EXPIRY_WARN_SECONDS
from console.format.numbers import PLAIN, Palette
from console.tui.actions import ActionRunner
from console.tui.clock import Clock
from console.tui.engine_loop import EngineLoop
from console.tui.esc_burst import typed_keys
from console.tui.fleet import notices, one_toast, read_fleet
from console.tui.hangup import watch_hangup
from console.tui.literal import clean
from console.tui.messages import FleetLoaded
from console.tui.palette import BatchdeckCommands
from console.tui.screens.audit import AuditScreen
from console.tui.screens.batches import BatchesScreen
from console.tui.screens.detail import BatchDetailScreen
from console.tui.screens.help import HelpScreen, bindings_of
from console.tui.screens.inspector import ItemInspectorScreen
from console.tui.screens.savings import SavingsScreen

if TYPE_CHECKING:  # the engine comes through the composition root only (console/compose.py)
    from console.compose import Engine
    from store.store import Store

MONO = Theme(name="batchdeck-mono", primary="#d0d0d0", secondary="#a0a0a0", accent="#ffffff",
             foreground="#e0e0e0", background="#000000", surface="#101010", panel="#202020",
             success="#e0e0e0", warning="#ffffff", error="#ffffff", dark=True)
"""Greys only: every fact must still read (words and glyphs, bold for emphasis)."""


SWITCH_INTERVAL = 0.0005
"""Seconds the interpreter lets a thread hold the GIL while others wait (see on_mount)."""


class BatchdeckApp(App[int]):
    """The console. `store` is an open store.Store; `engine` a console.engine.Engine (or a
    factory returning one, built on first action so a read-only look never needs keys)."""

    CSS_PATH = "app.tcss"
    TITLE = "batchdeck"
    MODES = {"batches": BatchesScreen, "savings": SavingsScreen, "audit": AuditScreen}
    DEFAULT_MODE = "batches"
    COMMANDS = App.COMMANDS | {BatchdeckCommands}
    BINDINGS = [
        Binding("1", "goto('batches')", "Batches", id="batches"),
        Binding("2", "goto('savings')", "Savings", id="savings"),
        Binding("3", "goto('audit')", "Audit", id="audit"),
        Binding("t", "track", "Track", show=False, id="track"),
        # k9s: `:` opens the command line; here the palette, which opens a batch by either id.
        Binding("colon", "open_by_id", "Open by id", show=False, id="colon_palette"),
        Binding("z", "toggle_utc", "UTC/local", show=False, id="utc"),
        Binding("question_mark", "help", "Keys", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
        # Textual's ctrl+c shows a "press ctrl+q" toast (in markup); an operator's ctrl+c means
        # quit, everywhere, text fields included (priority), by the same action as q.
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="quit_ctrl_c"),
        # Fallbacks: a screen's r/p/c are hidden when refused (read-only, nothing to act on);
        # the key then lands here and says why instead of doing nothing silently.
        Binding("r,p,c,R", "refused", show=False, id="refused"),
    ]

    def __init__(self, store: Store, *, engine: Engine | Callable[[], Engine] | None = None,
                 clock: Clock | None = None,
                 read_only: bool = False, utc: bool = False, refresh_interval: float | None = 1.0,
                 expiry_warn: float = EXPIRY_WARN_SECONDS, bell: bool = False,
                 mono: bool = False) -> None:
        super().__init__()
        self.store = store
        self._engine = engine
        self.clock = clock or Clock()
        self.read_only = read_only
        self.utc = utc
        self.refresh_interval = refresh_interval
        """Seconds between store reads; None turns ticks off (snapshots, tests)."""
        self.expiry_warn = expiry_warn
        self.bell_on_notice = bell
        self.fleet: FleetLoaded | None = None
        self.actions = ActionRunner(self)
        self.engine_loop = EngineLoop()
        """Where engine coroutines run (started on first use, stopped on exit)."""
        self.jobs: dict[int, Any] = {}
        self.jobs_signal: Signal[list[Any]] = Signal(self, "jobs")
        self.fleet_signal: Signal[FleetLoaded] = Signal(self, "fleet")
        self.palette = Palette()
        self.register_theme(MONO)
        if mono:
            self.theme = "batchdeck-mono"

    # ---- theme -------------------------------------------------------------------------
    def get_css_variables(self) -> dict[str, str]:
        variables = super().get_css_variables()
        semantic = {"status-ok": variables["success"], "status-failed": variables["error"],
                    "status-expired": variables["secondary"], "deadline-risk": variables["warning"]}
        merged = {**semantic, **variables}
        self.theme_variables = merged
        self.palette = PLAIN if not self.coloured else Palette(
            ok=merged["status-ok"], failed=f"bold {merged['status-failed']}",
            warning=f"bold {merged['deadline-risk']}", expired=merged["status-expired"],
            risk=f"bold {merged['deadline-risk']}", muted="dim", accent="bold")
        return merged

    @property
    def coloured(self) -> bool:
        """False under the monochrome theme or NO_COLOR: then nothing adds colour of its own
        (JSON highlighting included), and every fact reads by words, glyphs and weight."""
        return not (self.theme == "batchdeck-mono" or self.no_color)

    @property
    def engine(self) -> Engine:
        if callable(self._engine) and not hasattr(self._engine, "estimate_promotion"):
            self._engine = self._engine()
        if self._engine is None:
            from console.compose import build_engine

            self._engine = build_engine(self.store, read_only=self.read_only)
        return cast("Engine", self._engine)  # a factory was called (and replaced) above

    # ---- fleet watcher -------------------------------------------------------------------
    background: Callable[[asyncio.Event], Coroutine[Any, Any, Any]] | None = None
    """Called with the engine loop's stop event, returns a coroutine to run on the engine loop
    while the app is up (the live demo's submit-and-sync task); it returns once the event is
    set on exit (cancelled only if it does not within engine_loop.STOP_GRACE)."""
    syncs: bool = False
    """Run sync passes in the background (on the engine loop) while no other live process
    holds the store's sync lease: the console keeps itself current (console/engine/lease.py)."""

    def on_mount(self) -> None:
        # Store reads run in worker threads, and SQLite gives up the GIL on every row it
        # steps. With the default 5 ms switch interval a worker waits up to 5 ms for it back
        # each time the UI thread is busy drawing: the detail screen's ~20 ms of reads took
        # ~200 ms in about one opening in five (measured on a 1M-item batch). 0.5 ms bounds
        # those waits; the cost is a little more switching between threads.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, SWITCH_INTERVAL))
        stop = self.engine_loop.stopping  # set on exit: the pass ends, the lease is released
        if self.background is not None:
            future = self.engine_loop.submit(self.background(stop))
            future.add_done_callback(self._background_ended)
        elif self.syncs:
            future = self.engine_loop.submit(self.engine.sync_forever(lease=True, stop=stop))
            future.add_done_callback(self._background_ended)
        self.refresh_now()
        if self.refresh_interval:
            self.set_interval(self.refresh_interval, self._tick)
        if not self.is_headless:  # a real terminal: leave with it when it hangs up
            watch_hangup(self.exit, self.set_interval)

    def _background_ended(self, future: Any) -> None:  # runs on the engine thread
        if future.cancelled() or future.exception() is None or not self.is_running:
            return
        message = Text(f"Background sync stopped: {future.exception()}")
        try:
            self.call_from_thread(self.notify, message, severity="error", timeout=30)
        except RuntimeError:  # the app is already shutting down
            pass

    def on_unmount(self) -> None:
        self.engine_loop.stop(self._engine if not callable(self._engine) else None)
        sys.setswitchinterval(getattr(self, "_switch_interval", sys.getswitchinterval()))

    def _tick(self) -> None:
        if not any(w.group == "fleet" and w.is_running for w in self.workers):
            self.load_fleet()

    def refresh_now(self) -> None:
        """Re-read the fleet now (after an action) and refresh the screen on top."""
        self.load_fleet()
        after = getattr(self.screen, "after_action", None)
        if callable(after):
            after()

    @work(thread=True, exclusive=True, group="fleet", exit_on_error=False, description="read fleet")
    def load_fleet(self) -> None:
        snapshot = read_fleet(self.store, self.clock.now(), self.clock.wall())
        if not get_current_worker().is_cancelled:
            self.post_message(snapshot)

    @on(FleetLoaded)
    def _fleet(self, snapshot: FleetLoaded) -> None:
        previous, self.fleet = self.fleet, snapshot
        if previous is not None:
            toast = one_toast(notices(previous, snapshot, self.expiry_warn))
            if toast is not None:
                severity, title, message = toast
                self.notify(Text(message), title=title, severity=severity, timeout=10)  # type: ignore[arg-type]
                if self.bell_on_notice:
                    self.bell()
        self.fleet_signal.publish(snapshot)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group != "action":
            error = event.worker.error
            self.notify(Text(f"{event.worker.description}: {error}"), title="Could not read the store",
                        severity="error", timeout=8)

    # ---- keys ----------------------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        # A key straight from the terminal (not one already on its way through the widgets)
        # that is really an esc and the next key, read together: hand on the two keys, in
        # order, as the terminal would have had they come in two reads (console/tui/esc_burst.py).
        if isinstance(event, events.Key) and not event.is_forwarded:
            keys = typed_keys(event.key, event.character, in_text_field=isinstance(self.focused, Input))
            if keys is not None and not self._claimed(event.key):
                for key, character in keys:
                    await super().on_event(events.Key(key, character))
                return
        await super().on_event(event)

    def _claimed(self, key: str) -> bool:
        """Whether a binding anywhere in the active chain (priority ones included, and those
        below a modal screen) names `key`: then an alt+x is meant as alt+x."""
        return any(key in bindings.key_to_bindings for _, bindings in self.screen._binding_chain)

    # ---- navigation ------------------------------------------------------------------------
    def open_batch(self, batch_id: int) -> None:
        if self.current_mode != "batches":
            self.switch_mode("batches")
        self.push_screen(BatchDetailScreen(batch_id))

    def open_item(self, item_id: int) -> None:
        self.push_screen(ItemInspectorScreen(item_id))

    def notify(self, message: Any, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Toasts are literal text: engine summaries quote provider errors and batch labels,
        so markup is off and control characters are made visible (Text is accepted too)."""
        plain = message.plain if isinstance(message, Text) else str(message)
        super().notify(clean(plain, multiline=True), title=clean(title), severity=severity,  # type: ignore[arg-type]
                       timeout=timeout, markup=markup)

    def publish_jobs(self) -> None:
        self.jobs_signal.publish(list(self.jobs.values()))

    # ---- global actions ------------------------------------------------------------------------
    def action_goto(self, mode: str) -> None:
        """1/2/3: the mode's own screen, from anywhere (a detail or inspector opened in it, too)."""
        if self.current_mode != mode:
            self.switch_mode(mode)
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def action_help(self) -> None:
        # Each screen names itself for people ("Batch #4"); the class name is only a fallback.
        title = getattr(self.screen, "help_title", None) or type(self.screen).__name__.removesuffix("Screen")
        self.push_screen(HelpScreen(bindings_of(self), title))

    def action_open_by_id(self) -> None:
        """`:` — the palette, where our id or the provider's opens the batch (k9s' command line)."""
        self.action_command_palette()

    def action_track(self) -> None:
        self.actions.track()

    def action_toggle_utc(self) -> None:
        self.utc = not self.utc
        self.notify(f"Times now shown in {'UTC' if self.utc else 'local time'}.")
        self.refresh_now()

    def action_toggle_mono(self) -> None:
        self.theme = "textual-dark" if self.theme == "batchdeck-mono" else "batchdeck-mono"
        self.refresh_now()

    def action_refused(self) -> None:
        if self.read_only:
            self.notify("Read-only mode: resubmit, promote and cancel are off "
                        "(--read-only, or read_only = true in the config).",
                        severity="warning")
        else:
            self.notify("Nothing to act on here: open a batch or select one first.")
