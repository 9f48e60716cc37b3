"""A one-line strip above the footer showing engine actions still running, with progress.

Long actions (promoting 5,000 items) run in workers; the operator keeps browsing, and every
screen shows this bar, fed by the app's `jobs_signal`, so the progress can be followed anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static


@dataclass(slots=True)
class Job:
    """One running action: what it is and how far it got (total 0 = unknown)."""

    id: int
    title: str
    done: int = 0
    total: int = 0


def job_text(jobs: list[Job], width: int = 24) -> Text:
    """`⟳ Promote 212 items of #14  ██████░░░░ 80/212` for each running job."""
    text = Text()
    for job in jobs:
        if text:
            text.append("   ")
        text.append(f"⟳ {job.title}", style="bold")
        if job.total:
            filled = min(width, width * job.done // max(1, job.total))
            text.append(f"  {'█' * filled}{'░' * (width - filled)} {job.done:,}/{job.total:,}")
        else:
            text.append("  working…")
    return text


class ActivityBar(Static):
    """Shows the app's running jobs; hidden when there are none."""

    DEFAULT_CSS = """
    ActivityBar { height: 1; background: $boost; color: $text; display: none; }
    ActivityBar.-busy { display: block; }
    """

    def on_mount(self) -> None:
        self.app.jobs_signal.subscribe(self, self.show_jobs)
        self.show_jobs(list(self.app.jobs.values()))

    def show_jobs(self, jobs: list[Job]) -> None:
        self.set_class(bool(jobs), "-busy")
        self.update(job_text(jobs))
