"""The sync lease and per-account health in a real store file: one holder at a time."""

from __future__ import annotations

from store import Store


def take(store, holder: str, now: float, *, pid: int = 1, host: str = "h", dead=None):
    return store.take_lease(holder=holder, who=f"ops@{host}", host=host, pid=pid, now=now, ttl=90.0,
                            holder_dead=dead)


def test_one_holder_at_a_time_until_it_lapses_or_releases(tmp_path):
    with Store.open(tmp_path / "a.db") as store, Store.open(tmp_path / "a.db") as other:
        assert take(store, "A", 100.0).holder == "A"
        assert take(other, "B", 150.0).holder == "A"  # A is live: B stands by
        renewed = take(store, "A", 160.0)
        assert (renewed.holder, renewed.acquired_at, renewed.expires_at) == ("A", 100.0, 250.0)
        store.record_sync_pass(holder="A", now=170.0)
        other.record_sync_pass(holder="B", now=171.0)  # not the holder: ignored
        assert other.read_lease().last_pass_at == 170.0
        assert take(other, "B", 251.0).holder == "B"  # A stopped renewing
        other.release_lease(holder="B")
        assert store.read_lease() is None
        assert take(store, "A", 252.0).holder == "A"


def test_a_holder_known_dead_is_replaced_at_once(tmp_path):
    with Store.open(tmp_path / "a.db") as store:
        take(store, "A", 100.0, pid=4242)
        assert take(store, "B", 101.0, pid=7, dead=lambda lease: lease.pid == 4242).holder == "B"


def test_account_health_tracks_failing_since_until_a_success(tmp_path):
    with Store.open(tmp_path / "a.db") as store:
        store.record_profile_calls("openai", "prod", now=10.0, ok=False, error="connection refused")
        store.record_profile_calls("openai", "prod", now=40.0, ok=False, error="connection refused again")
        [h] = store.profile_health()
        assert (h.failing_since, h.last_error_at, h.last_error) == (10.0, 40.0, "connection refused again")
        store.record_profile_calls("openai", "prod", now=70.0, ok=True)
        [h] = store.profile_health()
        assert (h.failing_since, h.last_success_at) == (None, 70.0)
        store.record_listed("openai", "prod", until=55.0, first_id="batch_9", now=71.0)
        store.record_listed("openai", "prod", until=None, now=72.0)
        assert (store.profile_health()[0].listed_until, store.profile_health()[0].listed_first_id) == (55.0, "batch_9")
