"""Everything from a model or provider is shown as characters, never obeyed."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from console.demo.lines import HOSTILE
from console.tui.literal import clean, literal, pretty_json
from tests.console.support import SIZE, press, screen_text, settle


def test_clean_makes_controls_visible():
    out = clean("a\x1b[31mb\x1b]52;c;eA==\x07c\x9b1m\u202ed\x00")
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "\u202e" not in out
    assert out == "a␛[31mb␛]52;c;eA==␇c\\x9b1m\\u202ed␀"


def test_literal_never_parses_markup():
    text = literal("[bold]x[/bold] [link=https://e.example]y[/link]")
    assert text.plain == "[bold]x[/bold] [link=https://e.example]y[/link]"
    assert text.spans == []


def test_pretty_json_keeps_strings_literal():
    text = pretty_json('{"a": "[red]\\u001b[2J", "b": "\u009b"}')
    assert "[red]\\u001b[2J" in text.plain and "\\x9b" in text.plain
    assert isinstance(text, Text)


def test_unparseable_raw_is_cleaned():
    assert "␛[2J" in pretty_json("not json \x1b[2J").plain


async def test_inspector_shows_hostile_response_literally(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_batch(8)  # literal-check; item seq 3 carries the hostile answer
        await settle(pilot)
        await press(pilot, "down", "down", "down", "enter")
        response = app.screen.query_one("#response", Static)
        shown = response.visual.plain if hasattr(response.visual, "plain") else str(response.render())
        assert "[bold]Totally normal answer[/bold]" in shown
        assert "\\u001b[31mRED ALERT" in shown and "\\u001b]52;c;" in shown
        assert "\\x9b31m" in shown
        assert "\x1b" not in shown and "\x9b" not in shown
        answer = app.screen.query_one("#answer", Static).visual.plain
        assert answer.startswith("[bold]Totally normal answer[/bold] ␛[31mRED ALERT␛[0m ␛]52;c;")
        assert "␇␛[2J[link=https://evil.example]" in answer and r"\x9b31m" in answer
        # The terminal shows the characters (the markup did not turn into bold text).
        await pilot.press("end")
        await settle(pilot)
        assert "[bold]Totally" in screen_text(app)


def test_hostile_fixture_has_every_danger():
    for needle in ("[bold]", "\x1b[31m", "\x1b]52;", "\x1b[2J", "\x9b"):
        assert needle in HOSTILE


async def test_notifications_are_literal(app):
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.notify(Text("batch [bold]x[/bold] \x1b[2J done"), title="[red]t")
        await pilot.pause(0.3)
        text = screen_text(app)
        assert "batch [bold]x[/bold] ␛[2J done" in text and "[red]t" in text
