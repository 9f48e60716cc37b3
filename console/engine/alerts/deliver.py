"""Sending an alert: apprise URLs, `exec:` commands, and `env:` names for either.

Why apprise: one maintained library speaks Slack, Teams, PagerDuty, Opsgenie, email, ntfy,
Matrix, plain webhooks (json://, form://) and ~100 more, each from one URL, so batchdeck
carries no code per service. It is imported only when an alert is sent (it loads its plugins
on import), so `batchdeck --help` and the console's start do not pay for it.

A target's text is a secret (webhook tokens, passwords, commands with keys): it is never
printed, stored or logged. Targets are named "target 2 (slack)" — their number and scheme —
and every error message has the target's text and its parts blanked out before anyone sees it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from console.engine.alerts.message import body_of, title_of

REDACTED = "***"
_SECRET_PIECE_MIN = 4
"""Shorter parts of a URL (e.g. `json`, `443`) are not blanked: they say nothing secret and
blanking them would make every error unreadable."""
_SECRET_WORD_MIN = 6
"""Words of a target's text (a command's arguments) shorter than this (`exit`, `echo`) are
ordinary words, not tokens."""


@dataclass(frozen=True, slots=True)
class Target:
    number: int
    """1-based position in the list it came from (the name an operator sees)."""
    spec: str = field(repr=False)

    @property
    def label(self) -> str:
        if self.spec.startswith("env:"):
            return f"target {self.number} (${self.spec[4:].strip()})"
        if self.spec.startswith("exec:"):
            return f"target {self.number} (exec)"
        return f"target {self.number} ({self.spec.split('://', 1)[0].lower()})"


@dataclass(frozen=True, slots=True)
class Outcome:
    label: str
    ok: bool
    error: str | None = None

    def __str__(self) -> str:
        return f"{self.label} ok" if self.ok else f"{self.label} failed: {self.error}"


def targets_of(specs: Sequence[str]) -> list[Target]:
    return [Target(i + 1, s) for i, s in enumerate(specs)]


def summary(outcomes: Iterable[Outcome]) -> str:
    return "; ".join(str(o) for o in outcomes) or "no targets configured"


def deliver(targets: Sequence[Target], alert: dict[str, Any], *, timeout: float) -> list[Outcome]:
    """Send `alert` to every target, each on its own: one failing never stops the others."""
    return [_one(t, alert, timeout) for t in targets]


def _one(target: Target, alert: dict[str, Any], timeout: float) -> Outcome:
    spec = target.spec
    if spec.startswith("env:"):
        name = spec[4:].strip()
        spec = os.environ.get(name, "").strip()
        if not spec:
            return Outcome(target.label, False, f"environment variable {name} is not set")
    secrets = secret_pieces(spec)
    try:
        if spec.startswith("exec:"):
            error = _exec(spec[5:].strip(), alert, timeout)
        else:
            error = _apprise(spec, alert, timeout)
    except Exception as exc:  # noqa: BLE001 - a broken target is reported, never raised
        error = f"{type(exc).__name__}: {exc}"
    if error is None:
        return Outcome(target.label, True)
    return Outcome(target.label, False, redact(error, secrets))


def _exec(command: str, alert: dict[str, Any], timeout: float) -> str | None:
    """Run the command (no shell) with the alert JSON on stdin; None on exit 0."""
    argv = shlex.split(command)
    try:
        done = subprocess.run(argv, input=json.dumps(alert).encode(), capture_output=True,
                              timeout=timeout, check=False, stdin=None)
    except subprocess.TimeoutExpired:
        return f"did not finish within {timeout:g} s"
    except OSError as exc:
        return f"could not start ({exc.strerror or exc})"
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        return f"exited with status {done.returncode}" + (f": {tail[0][:200]}" if tail[0] else "")
    return None


def _apprise(url: str, alert: dict[str, Any], timeout: float) -> str | None:
    import apprise  # ~0.2 s of plugin loading: only when an alert goes out

    sender = apprise.Apprise()
    if not sender.add(url):
        return "apprise does not recognise this URL (see the apprise wiki for the service's URL form)"
    notify_type = {"resolved": apprise.NotifyType.SUCCESS, "test": apprise.NotifyType.INFO}.get(
        alert["event"], apprise.NotifyType.FAILURE)
    for server in sender:
        # Each service's own socket timeouts (apprise's default is 4 s connect, 4 s read).
        server.socket_connect_timeout = timeout
        server.socket_read_timeout = timeout
    # apprise ships LogCapture without annotations; it returns a context manager over a StringIO.
    with apprise.LogCapture(level=apprise.logging.WARNING) as logs:  # type: ignore[no-untyped-call]
        result: Any = sender.notify(body=body_of(alert), title=title_of(alert), notify_type=notify_type)
        captured = logs.getvalue() if hasattr(logs, "getvalue") else ""
    ok = result if isinstance(result, bool) else (result.success_count > 0 and result.failed_count == 0)
    if ok:
        return None
    lines = [line.split(" - ", 2)[-1] for line in str(captured).strip().splitlines() if line.strip()]
    return (lines[-1] if lines else "the service refused the notification")[:300]


def secret_pieces(spec: str) -> list[str]:
    """The target's text and every part of it that could be a token, longest first."""
    pieces = {spec, spec.split("://", 1)[-1]}
    body = spec[5:] if spec.startswith("exec:") else spec
    if "://" in body:
        parts = urlsplit(body)
        for text in (parts.netloc, parts.path, parts.query, parts.fragment, parts.username or "",
                     parts.password or "", parts.hostname or ""):
            pieces.add(text)
            pieces.add(unquote(text))
    words = {w for word in re.split(r"[\s/:@?&=#,;+'\"]+", body) for w in (word, unquote(word))}
    pieces = {p for p in pieces if len(p) >= _SECRET_PIECE_MIN}
    pieces |= {w for w in words if len(w) >= _SECRET_WORD_MIN}
    return sorted(pieces, key=len, reverse=True)


def redact(text: str, secrets: Sequence[str]) -> str:
    for piece in secrets:
        text = text.replace(piece, REDACTED)
    return text
