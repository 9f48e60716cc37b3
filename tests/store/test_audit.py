"""The audit log: append-only events, newest first, filterable."""

from __future__ import annotations

import getpass
import socket

from store.audit import actor

from .helpers import T0


def test_actor_is_user_at_host():
    assert actor() == f"{getpass.getuser()}@{socket.gethostname()}"


def test_events_are_appended_and_read_newest_first(store):
    first = store.append_event("submit", "batch 1", {"requests": 100, "cost": 1.5}, actor="ana@box", now=T0)
    store.append_event("cancel", "batch 1", now=T0 + 5)
    store.append_event("promote", "item 42", {"tier": "priority"}, actor="bo@box", now=T0 + 9)
    events = store.events()
    assert [e.action for e in events] == ["promote", "cancel", "submit"]
    assert events[1].actor == actor() and events[1].details == {}
    submit = events[2]
    assert (submit.id, submit.at, submit.actor, submit.target, submit.details) == (
        first, T0, "ana@box", "batch 1", {"requests": 100, "cost": 1.5})


def test_events_filter_by_action_text_and_page(store):
    for i in range(5):
        store.append_event("submit", f"batch {i}", {"label": "nightly" if i % 2 else "eval"}, actor="a@b", now=T0 + i)
    store.append_event("cancel", "batch 3", actor="a@b", now=T0 + 10)
    assert [e.target for e in store.events(action="submit", limit=2)] == ["batch 4", "batch 3"]
    assert [e.target for e in store.events(action="submit", limit=2, offset=2)] == ["batch 2", "batch 1"]
    assert [e.target for e in store.events(text="NIGHTLY")] == ["batch 3", "batch 1"]
    assert [e.action for e in store.events(text="batch 3")] == ["cancel", "submit"]
