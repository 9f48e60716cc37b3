"""The stdlib-only cleaning the command line uses: controls shown, JSON still decodes."""

from __future__ import annotations

import csv
import io
import json

from console.engine.export import _CleanCells
from console.format.textclean import clean, json_escape

NASTY = "a\x1b[2J\x07b\x08c\x9b1m\u202ed\x7f\r\nnext\tline"


def test_clean_is_the_console_literal_clean():
    from console.tui.literal import clean as literal_clean

    assert literal_clean is clean


def test_json_escape_keeps_the_value_and_escapes_what_json_dumps_leaves_raw():
    line = json.dumps({"text": NASTY}, ensure_ascii=False)
    assert "\x9b" in line and "\u202e" in line and "\x7f" in line  # json.dumps leaves these
    safe = json_escape(line)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c == "\u202e" for c in safe)
    assert json.loads(safe) == {"text": NASTY}
    assert json_escape('{"text": "plain ünïcode ✓"}') == '{"text": "plain ünïcode ✓"}'


def test_csv_for_a_terminal_shows_controls_and_keeps_rows():
    buf = io.StringIO()
    csv.writer(_CleanCells(buf)).writerows([["id", NASTY], ["x", "y"]])
    text = buf.getvalue()
    assert not any(ord(c) < 0x20 and c not in "\r\n\t" or 0x7F <= ord(c) < 0xA0 for c in text)
    assert text.count("\r\n") == 2 and "\r" not in text.replace("\r\n", "")
    assert [r[0] for r in csv.reader(io.StringIO(text))] == ["id", "x"]
