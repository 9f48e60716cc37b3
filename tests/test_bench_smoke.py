"""Every benchmark of `make bench` runs once at a tiny size, so none of them can rot.

No timing assertions (shared machines are noisy): each case must run in its own process
through the same path `make bench` uses and report the figures the table reads, with the
work actually done (every item ingested, every batch polled, every item promoted).
"""

from __future__ import annotations

import pytest

from tests import bench


@pytest.fixture(scope="module")
def runs():
    """One tiny run of every case (except timing the suite itself, which would recurse)."""
    plan = [("result_lines", 300), ("ingest", 300), ("ingest", 600), ("ingest_ceiling", 400), ("store_ingest", 500),
            ("sync", 6), ("sync", 12), ("discovery", 20),
            ("promote", 24), ("console", 10), ("aggregate", 20_000), ("help", 1)]
    out: dict[str, list[bench.CaseRun]] = {}
    for case, n in plan:
        out.setdefault(case, []).append(bench.run_case(case, n, timeout=300))
    return out


def test_end_to_end_ingest_reports_every_item_and_its_memory(runs):
    for run in runs["ingest"]:
        assert run.ok, run.error
        assert run.figures["lines"] == run.size and run.figures["errors"] == {}
        assert run.figures["items_per_s"] > 0
        assert 10 < run.figures["peak_rss_mb"] < 4096
        assert run.process_peak_rss_mb is not None and run.process_peak_rss_mb > 10


def test_the_ingest_ceiling_ingests_every_item_in_processes_of_their_own(runs):
    [run] = runs["ingest_ceiling"]
    assert run.ok, run.error
    assert run.figures["lines"] == 400 and run.figures["processes"] >= 1
    assert len(run.figures["each_s"]) == run.figures["processes"] and run.figures["items_per_s"] > 0


def test_store_only_ingest_inserts_every_item(runs):
    [run] = runs["store_ingest"]
    assert run.ok, run.error
    assert run.figures["inserted"] + run.figures["updated"] == 500
    assert run.figures["rollup_items"] == 500


def test_sync_polls_every_in_flight_batch(runs):
    for run in runs["sync"]:
        assert run.ok, run.error
        assert run.figures["polled"] == run.size and run.figures["errors"] == 0


def test_promote_sends_every_item_despite_the_429s(runs):
    [run] = runs["promote"]
    assert run.ok, run.error
    assert run.figures["promoted"] == 24 and run.figures["failed"] == 0
    assert run.figures["http_429_rate"] == 0.1 and run.figures["concurrency"] == 32


def test_aggregate_refresh_reads_rollups_standing_for_every_item(runs):
    [run] = runs["aggregate"]
    assert run.ok, run.error
    assert run.figures["items_represented"] == 20_000
    assert run.figures["console_refresh_ms"] > 0


def test_help_start_time_is_measured_in_a_fresh_interpreter(runs):
    [run] = runs["help"]
    assert run.ok, run.error
    assert run.figures["runs"] == 1 and run.figures["best_s"] > 0


def test_console_case_runs_or_says_it_is_not_available(runs):
    [run] = runs["console"]
    assert run.ok, run.error
    rows = bench.build_rows({"console": [run]})
    assert [r.figure for r in rows] == ["console first paint, 10 items", "console scroll one page, 10 items"]
    if bench.console_module() is None:
        assert {r.meets for r in rows} == {"not available"}
    else:
        assert all(r.meets in ("yes", "no") for r in rows), rows


def test_the_table_has_a_target_and_a_verdict_on_every_line(runs, tmp_path):
    rows = bench.build_rows(runs)
    # result lines (5), ingest (rate+memory) x2, ceiling, store, sync x2, ..., discovery
    assert len(rows) == 5 + 2 * 2 + 1 + 1 + 2 + 1 + 2 + 1 + 1 + 1
    for row in rows:
        assert row.target and row.meets in ("yes", "no", "n/a", "not available"), row
        assert not row.value.startswith("failed"), row
    table = bench.render_table(rows)
    assert table.count("\n") == len(rows) + 1 and "| figure" in table
    result = {"when": "2026-01-01T00:00:00+00:00", "quick": True, "machine": bench.machine(),
              "rows": [], "growth": {}, "runs": {}}
    path = bench.write_results(result, tmp_path)
    assert path.exists() and (tmp_path / "latest-quick.json").read_text() == path.read_text()


def test_growth_says_linear_or_better_only_when_time_grows_no_faster_than_size():
    linear = bench.growth([(1_000, 1.0), (10_000, 9.0), (100_000, 95.0)])
    assert linear["verdict"] == "linear or better"
    assert [s["exponent"] for s in linear["steps"]] == [0.95, 1.02]
    worse = bench.growth([(1_000, 1.0), (10_000, 30.0)])
    assert worse["verdict"] == "worse than linear" and worse["steps"][0]["exponent"] == 1.48
    assert bench.growth([(1_000, 1.0)]) is None
    assert "×10 size, ×30 time" in bench.growth_text("sync", worse)


def test_a_failing_case_is_reported_as_a_failed_row_not_a_crash():
    run = bench.run_case("no_such_case", 1, timeout=60)
    assert not run.ok and "exit 1" in run.error
    rows = bench.build_rows({"promote": [bench.CaseRun("promote", 5, False, 0.1, error="exit 1: boom")]})
    assert rows[0].meets == "no" and rows[0].value == "failed: exit 1: boom"


def test_result_lines_ingests_every_line_four_ways(runs):
    [run] = runs["result_lines"]
    assert run.ok, run.error
    f = run.figures
    assert all(f[kind]["lines"] == 300 for kind in ("naive", "naive_raw", "decode", "tracked", "submitted"))
    assert f["tracked"]["succeeded"] + f["tracked"]["errored"] == 300


def test_discovery_over_known_batches_lists_only_the_new_page(runs):
    [run] = runs["discovery"]
    assert run.ok, run.error
    f = run.figures
    assert (f["known"], f["list_calls"], f["discovered"], f["errors"]) == (20, 1, 3, 0)

