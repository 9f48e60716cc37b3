"""Command palette (ctrl+p): every screen, every action, and "go to batch #N" for each batch.

Read-only mode leaves the spending and cancelling commands out, as it does their keys.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

SCREENS = (
    ("Batches", "Home: every batch (1)", "goto('batches')"),
    ("Savings", "Realized savings by provider, model, day, batch (2)", "goto('savings')"),
    ("Audit log", "Every operator action, newest first (3)", "goto('audit')"),
    ("Track a batch by id", "Watch a batch submitted elsewhere (t)", "track"),
    ("Help: keys of this screen", "Every key of the current screen (?)", "help"),
    ("Toggle UTC / local time", "Show times in UTC or local time (z)", "toggle_utc"),
    ("Toggle monochrome theme", "Readable without colour", "toggle_mono"),
)
SCREEN_ACTIONS = (
    ("Resubmit failures", "Resubmit retryable failures of the batch or selection (r)", "resubmit", True),
    ("Promote to realtime", "Send pending items through the realtime API, with tier costs (p)",
     "promote", True),
    ("Cancel batch", "Ask the provider to cancel (c)", "cancel_batch", True),
    ("Export results", "Write the batch's results to a JSONL or CSV file (e)", "export", False),
    ("Attach input file", "Give a tracked batch whose inputs are unknown its original file (i)",
     "attach_inputs", False),
    ("Needs attention", "Show only batches with failures, near expiry or at risk (n)", "attention",
     False),
    ("Sort", "Cycle the sort order (s)", "sort", False),
)


class BatchdeckCommands(Provider):
    """Screens, actions of the current screen, and one "Open batch #N" per batch."""

    def _commands(self) -> list[tuple[str, str, Any]]:
        app = self.app
        out: list[tuple[str, str, Any]] = [
            (name, help_, partial(app.run_action, action)) for name, help_, action in SCREENS]
        screen = self.screen
        for name, help_, action, spends in SCREEN_ACTIONS:
            if spends and app.read_only:
                continue
            # Offered only where the screen has it and allows it now (attach: inputs unknown).
            if callable(getattr(screen, f"action_{action}", None)) and screen.check_action(action, ()):
                out.append((name, help_, partial(screen.run_action, action)))
        for batch in (app.fleet.batches if app.fleet else [])[:500]:
            out.append(_open_batch(app, batch))
        return out

    def _by_id(self, query: str) -> list[tuple[str, str, Any]]:
        """Every batch whose id, ours (`14`, `#14`) or the provider's (whole or a part of it),
        is the query: found in the whole fleet, not only the 500 listed for fuzzy matching."""
        text = query.strip().lstrip("#").lower()
        if len(text) < 1:
            return []
        found = []
        for batch in self.app.fleet.batches if self.app.fleet else []:
            pid = (batch.provider_batch_id or "").lower()
            if str(batch.id) == text or (len(text) >= 6 and text in pid):
                found.append(_open_batch(self.app, batch))
        return found[:20]

    async def discover(self) -> Hits:
        for name, help_, callback in self._commands()[: len(SCREENS) + len(SCREEN_ACTIONS)]:
            yield DiscoveryHit(name, callback, help=help_)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        exact = self._by_id(query)
        for name, help_, callback in exact:
            yield Hit(1.0, name, callback, help=help_)
        seen = {name for name, _, _ in exact}
        for name, help_, callback in self._commands():
            if name in seen:
                continue
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_)


def _open_batch(app: Any, batch: Any) -> tuple[str, str, Any]:
    """One "Open batch" command: our id, its name and the provider's id, all searchable."""
    name = f"Open batch #{batch.id} {batch.label or ''} {batch.provider_batch_id or ''}"
    return (" ".join(name.split()), f"{batch.provider} · {batch.status} · {batch.model or '—'}",
            partial(app.open_batch, batch.id))
