"""Account watch: find the batches each watched account lists that the store does not know yet.

Production pipelines submit batches without batchdeck; on-call engineers must see them anyway.
Every sync pass lists each watched account's batches, newest first, one page per provider call
(each page through the bounded backoff that honours `retry-after`), and tracks the unknown ones.

Cheap by design: the pass stops at the first batch it already knows that is older than the
newest batch a previous complete listing saw (`listed_until`, kept per account in the store).
So once an account has been read to its end, a pass costs one list call plus one per page of
new batches, however many thousand batches the account holds. The first listing of an account
reads it all (that is the "whole account" an empty store must show).

Watched accounts: every `[profiles.NAME]` of the config unless it says `watch = false`, plus,
for each provider whose key is in the environment (OPENAI_API_KEY, ...), its implicit
`default` profile.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from adapters.errors import AdapterError
from console.engine import inputs, names, providers, retry
from console.engine.retry import RetryPolicy
from console.engine.submit import keep_known_total
from console.engine.types import BadInput, SyncReport
from store.model import ProfileHealth, RemoteBatch

if TYPE_CHECKING:
    from adapters.base import BatchAdapter
    from console.engine.service import Engine
    from store.config import Config


PAGE_LIMIT = 1000
"""Batches asked for per list call; each adapter clamps it to its provider's most (OpenAI 100,
Anthropic 1,000), so a first listing takes as few calls as the provider allows."""


@dataclass(frozen=True, slots=True)
class Account:
    """One provider account to watch: a provider and the profile that holds its key."""

    provider: str
    profile: str

    @property
    def name(self) -> str:
        """`openai:prod` — how the header and the heartbeat name the account."""
        return f"{self.provider}:{self.profile}"


def watched_accounts(config: Config | Mapping[str, Any] | None, env: Mapping[str, str] | None = None) -> list[Account]:
    """The accounts a sync pass lists: configured profiles with `watch` on (the default), and
    each provider's implicit `default` profile when its key variable is set."""
    import adapters
    from adapters.profiles import env_vars

    env = os.environ if env is None else env
    out: list[Account] = []
    for name, profile in providers.config_profiles(config).items():
        watch = profile.get("watch", True) if isinstance(profile, Mapping) else getattr(profile, "watch", True)
        provider = profile.get("provider") if isinstance(profile, Mapping) else getattr(profile, "provider", None)
        if watch is not False and isinstance(provider, str) and provider:
            out.append(Account(provider, "default" if name == "default" else name))
    for provider in adapters.providers():
        key_var = env_vars(provider)[0]
        if env.get(key_var) and Account(provider, "default") not in out:
            out.append(Account(provider, "default"))
    return out


@dataclass(slots=True)
class Listing:
    """What one account's listing did: batches tracked now, and (listing whole) known ones."""

    created: list[int]
    existing: list[int]


async def discover_account(engine: Engine, account: Account, *, policy: RetryPolicy,
                           report: SyncReport, whole: bool = False) -> Listing:
    """List one account down to what the store knows and track the unknown batches.

    `whole` lists every page and refreshes the known batches too (`track --all`). Raises
    AdapterError when a page stays refused after the bounded retries; what earlier pages found
    is already tracked and the high-water mark is left as it was, so the next pass reads those
    pages again (down to the top of the last complete listing).
    """
    store = engine.store
    adapter = engine.adapter(account.provider, account.profile)
    health = None if whole else _health(engine, account)
    mark = health.listed_until if health is not None else None
    top = health.listed_first_id if health is not None else None
    newest: float | None = None
    first_id: str | None = None
    created: list[int] = []
    existing: list[int] = []
    cursor: str | None = None
    while True:
        page = await retry.call(functools.partial(adapter.list_page, cursor, limit=PAGE_LIMIT), policy=policy,
                                sleep=engine.sleep)
        report.list_calls += 1
        known = store.known_provider_ids(account.provider, (r.provider_batch_id for r in page.batches))
        reached_known = False
        now = engine.clock()
        for remote in page.batches:
            first_id = first_id or remote.provider_batch_id
            if remote.created_at is not None:
                newest = remote.created_at if newest is None else max(newest, remote.created_at)
            if remote.provider_batch_id in known and whole:
                # Refreshed, keeping the total we know (a validating batch reports 0).
                held = store.get_batch(remote.provider_batch_id)
                if held is not None and held.provider == remote.provider:
                    keep_known_total(remote, held.counts.total)
                existing.append(store.upsert_tracked(remote, profile=account.profile, now=now)[0])
                continue
            if remote.provider_batch_id in known:
                # The top of the last complete listing, or anything known that is older: all
                # below was read before. (Batches created in one second share a created_at.)
                if remote.provider_batch_id == top or (
                        mark is not None and remote.created_at is not None and remote.created_at < mark):
                    reached_known = True
                    break
                continue
            local, new = store.upsert_tracked(remote, profile=account.profile, now=now)
            if new:
                created.append(local)
                inputs.mark_tracked(engine, local, remote)
                label = names.label_from_metadata(remote.metadata, names.label_keys(engine.config))
                if label:
                    store.set_batch_fields(local, label=label)
        if reached_known or page.next_cursor is None:
            break
        cursor = page.next_cursor
    store.record_listed(account.provider, account.profile, until=newest, first_id=first_id, now=engine.clock())
    return Listing(created, existing)


async def list_since(engine: Engine, adapter: BatchAdapter, since: float | None, *,
                     policy: RetryPolicy) -> list[RemoteBatch]:
    """The account's batches created at or after `since`, newest first, page by page, each
    page through the bounded backoff (reconcile matches pending submissions against these)."""
    out: list[RemoteBatch] = []
    cursor: str | None = None
    while True:
        page = await retry.call(functools.partial(adapter.list_page, cursor, limit=PAGE_LIMIT), policy=policy,
                                sleep=engine.sleep)
        for remote in page.batches:
            if since is not None and remote.created_at is not None and remote.created_at < since:
                return out
            out.append(remote)
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


def _health(engine: Engine, account: Account) -> ProfileHealth | None:
    known: list[ProfileHealth] = engine.store.profile_health()
    for health in known:
        if health.provider == account.provider and health.profile == account.profile:
            return health
    return None


DISCOVER_INTERVAL = 30.0
"""Seconds between two listings of the watched accounts in the long-running sync loop: a batch
submitted elsewhere shows up within this (plus one pass); `sync --once` always lists."""


class AccountTally:
    """One pass's outcome per account (provider, profile): whether any call was answered, and
    the last error. Recorded once per pass (`record`), so the heartbeat shows an account as
    failing only when nothing it was asked in a pass got through."""

    def __init__(self) -> None:
        self.ok: set[tuple[str, str]] = set()
        self.errors: dict[tuple[str, str], str] = {}

    def record(self, engine: Engine) -> None:
        now = engine.heartbeat_clock()  # real time, as the lease (Engine.heartbeat_clock)
        for key in self.ok | set(self.errors):
            engine.store.record_profile_calls(key[0], key[1], now=now, ok=key in self.ok,
                                              error=self.errors.get(key))


async def discover(engine: Engine, report: SyncReport, health: AccountTally, *, force: bool = True) -> None:
    """One discovery pass over every watched account (unless not due and not `force`);
    failures are per account (in `health` and `report.account_errors`), never fatal."""
    now = engine.clock()
    if not force and now < engine.next_discovery:
        return
    engine.next_discovery = now + DISCOVER_INTERVAL * engine.poll_scale
    for account in watched_accounts(engine.config):
        try:
            found = (await discover_account(engine, account, policy=engine.poll_policy, report=report)).created
        except (AdapterError, BadInput) as exc:
            message = exc.message if isinstance(exc, AdapterError) else str(exc)
            report.account_errors[account.name] = message
            health.errors[(account.provider, account.profile)] = message
            continue
        health.ok.add((account.provider, account.profile))
        report.discovered.extend(found)
    if report.discovered:
        engine.audit("discover", None, {"tracked": report.discovered[:200], "list_calls": report.list_calls})
