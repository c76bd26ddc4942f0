"""One turn of a conversation at a time, across replicas (bot/lock_store.py), on a real Redis.

The Redis is a redis-server of this module's own (tests/conftest.py's RedisServer on a free
port), as every test here uses, so the machine's Redis is never touched; each test's keys carry
a prefix of their own and are deleted afterwards. A "replica" is a store with its own Redis
connection (in a thread with its own event loop, or in a process of its own), as a Rasa
replica's would be. Nothing here sleeps to see that nothing happened: every wait is for a
condition, with a deadline that fails the test."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from rasa.core.lock_store import LockError, LockStore, RedisLockStore
from rasa.core.tracker_store import TrackerStore
from rasa.core.utils import AvailableEndpoints, _lock_store_is_multi_worker_compatible
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.lock_store import FencedRedisLockStore, StaleTurn, held_ticket
from bot.tracker_store import BoundedRedisTrackerStore
from tests.conftest import RedisServer
from tests.lock_contender import keys as contender_keys
from tests.test_tracker_store import DOMAIN, session
from tests.waiting import until

ROOT = Path(__file__).resolve().parent.parent
CONVERSATION = "api:one-conversation"
DEADLINE = 30.0  # seconds any awaited condition may take before the test fails


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    redis_server = RedisServer(tmp_path_factory.mktemp("lock-store-redis"))
    yield redis_server
    redis_server.stop()


@pytest.fixture
def prefix(server: RedisServer) -> Iterator[str]:
    """A key prefix of the test's own (alphanumeric, as Rasa's key_prefix must be); its keys go afterwards."""
    name = "locktest" + secrets.token_hex(4)
    yield name
    client = redis.Redis(host="127.0.0.1", port=server.port)
    try:
        doomed = list(client.scan_iter(match=f"{name}*", count=1000))
        if doomed:
            client.delete(*doomed)
    finally:
        client.close()


def fenced(server: RedisServer, prefix: str, **settings: Any) -> FencedRedisLockStore:
    return FencedRedisLockStore(host="127.0.0.1", port=server.port, db=0, key_prefix=prefix, **settings)


def stock(server: RedisServer, prefix: str) -> RedisLockStore:
    return RedisLockStore(host="127.0.0.1", port=server.port, db=0, key_prefix=prefix)


STORES: dict[str, Callable[[RedisServer, str], LockStore]] = {"fenced": fenced, "stock": stock}


def redis_now(store: LockStore) -> float:
    seconds, microseconds = store.red.time()
    return float(seconds) + microseconds / 1_000_000


class Turns:
    """What the holders of one conversation's lock saw, shared by every replica (thread-safe)."""

    def __init__(self, replicas: int) -> None:
        self.replicas = replicas
        self.guard = threading.Lock()
        self.inside: set[int] = set()
        self.most_inside = 0
        self.entered: list[int] = []
        self.finished = 0
        self.errors: list[str] = []

    def enter(self, who: int) -> None:
        with self.guard:
            self.inside.add(who)
            self.most_inside = max(self.most_inside, len(self.inside))
            self.entered.append(who)

    def leave(self, who: int) -> None:
        with self.guard:
            self.inside.discard(who)

    def done(self) -> None:
        with self.guard:
            self.finished += 1

    def others_settled(self, observer: LockStore) -> bool:
        """Every replica has entered, or the lock shows a live ticket for each replica not yet
        finished (the others are queued behind the holder). A holder waits for this before it
        leaves, so a store that lets several in at once has them inside together every time, and
        one that queues them lets the holder go as soon as the queue is visible."""
        lock = observer.get_lock(CONVERSATION)
        queued = len(lock.tickets) if lock else 0
        with self.guard:
            return len(set(self.entered)) == self.replicas or queued == self.replicas - self.finished

    async def turn(self, store: LockStore, observer: LockStore, who: int) -> None:
        try:
            async with store.lock(CONVERSATION, lock_lifetime=DEADLINE, wait_time_in_seconds=0.01):
                self.enter(who)
                try:
                    await until(lambda: self.others_settled(observer), "the other replicas entered or queued", DEADLINE)
                finally:
                    self.leave(who)
        except Exception as error:  # noqa: BLE001 - recorded and asserted on by the test
            with self.guard:
                self.errors.append(repr(error))
        finally:
            self.done()


@pytest.mark.parametrize("kind", ["fenced", "stock"])
def test_concurrent_tasks_of_one_process_hold_the_lock_one_at_a_time_in_ticket_order(
    kind: str, server: RedisServer, prefix: str
) -> None:
    """Within one process Rasa's stock store is right too: its GET and SET run with no await
    between them, so tasks of one event loop cannot interleave inside them."""
    tasks = 6
    turns = Turns(tasks)
    observer = STORES[kind](server, prefix)

    async def scenario() -> None:
        # Tasks start in the order they are created, and each takes its ticket in its first step.
        await asyncio.gather(*(turns.turn(STORES[kind](server, prefix), observer, who) for who in range(tasks)))

    asyncio.run(scenario())
    assert turns.errors == []
    assert turns.most_inside == 1, "never two holders at once"
    assert turns.entered == list(range(tasks)), "served in ticket order"
    assert observer.get_lock(CONVERSATION) is None, "nothing left after the last turn"


def in_lockstep(
    store: LockStore, who: int, issued: list[int], issuing: threading.Lock, barrier: threading.Barrier
) -> None:
    """Interleaves the replicas' Redis commands the way that breaks a non-atomic ticket: every
    replica's first command completes (one at a time, in the order recorded in ``issued``)
    before any replica sends its second. For the stock store that is every GET before any SET;
    for the fenced one every ticket-issuing script before any attempt to acquire."""
    send = store.red.execute_command
    sent, waited = 0, False

    def execute_command(*args: Any, **options: Any) -> Any:
        nonlocal sent, waited
        if str(args[0]).upper().startswith("SCRIPT"):  # redis-py loading a script it then calls
            return send(*args, **options)
        if sent == 0:
            with issuing:
                reply = send(*args, **options)
                issued.append(who)
        else:
            if not waited:
                waited = True
                barrier.wait()
            reply = send(*args, **options)
        sent += 1
        return reply

    store.red.execute_command = execute_command


@pytest.mark.parametrize(
    "kind",
    [
        "fenced",
        pytest.param(
            "stock",
            marks=pytest.mark.xfail(
                strict=True,
                reason="Rasa 3.6's RedisLockStore reads, adds a ticket and writes back: replicas that all read first"
                " all get ticket 0 and all hold the lock",
            ),
        ),
    ],
)
def test_replicas_hold_the_lock_one_at_a_time_in_ticket_order_however_their_commands_interleave(
    kind: str, server: RedisServer, prefix: str
) -> None:
    replicas = 3
    turns = Turns(replicas)
    observer = STORES[kind](server, prefix)
    issued: list[int] = []
    issuing, barrier = threading.Lock(), threading.Barrier(replicas, timeout=DEADLINE)

    def replica(who: int) -> None:
        store = STORES[kind](server, prefix)
        in_lockstep(store, who, issued, issuing, barrier)
        asyncio.run(turns.turn(store, observer, who))

    threads = [threading.Thread(target=replica, args=(who,), daemon=True) for who in range(replicas)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * DEADLINE)
    assert not any(thread.is_alive() for thread in threads), "every replica finished"
    assert turns.errors == []
    assert turns.most_inside == 1, f"{turns.most_inside} replicas held the lock at once"
    assert turns.entered == issued, "served in the order the tickets were issued"
    assert observer.get_lock(CONVERSATION) is None


def test_two_processes_never_hold_the_lock_together_and_their_tokens_only_grow(
    server: RedisServer, prefix: str
) -> None:
    rounds = 15
    ready, start, log, _ = contender_keys(prefix)
    client = redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.lock_contender", str(server.port), prefix, CONVERSATION, name, str(rounds)],
            cwd=ROOT,
            env=env,
        )
        for name in ("a", "b")
    ]
    try:
        deadline = time.monotonic() + 2 * DEADLINE
        while int(client.get(ready) or 0) < len(processes):  # both imported and connected
            assert time.monotonic() < deadline, "the contending processes did not get ready"
            assert all(p.poll() is None for p in processes), "a contending process ended early"
            time.sleep(0.01)
        client.set(start, "1")
        assert [p.wait(timeout=4 * DEADLINE) for p in processes] == [0, 0]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()
    holders = [entry.split() for entry in client.lrange(log, 0, -1)]
    client.close()
    assert len(holders) == 2 * rounds
    assert sorted(name for name, *_ in holders) == ["a"] * rounds + ["b"] * rounds
    assert all(entering == leaving == "1" for _, _, entering, leaving in holders), "one holder at a time"
    tokens = [int(token) for _, token, _, _ in holders]
    assert tokens == sorted(set(tokens)), "each holder's token is larger than every earlier holder's"


def test_a_turn_longer_than_the_lock_lifetime_keeps_the_lock_and_the_next_turn_waits_for_it(
    server: RedisServer, prefix: str
) -> None:
    lifetime = 1.0
    first, second, observer = (fenced(server, prefix, max_wait_seconds=DEADLINE) for _ in range(3))
    events: list[str] = []
    tokens: dict[str, int] = {}

    async def scenario() -> None:
        first_in, release = asyncio.Event(), asyncio.Event()

        async def first_turn() -> None:
            async with first.lock(CONVERSATION, lock_lifetime=lifetime, wait_time_in_seconds=0.02):
                events.append("first in")
                tokens["first"] = held(CONVERSATION)
                first_in.set()
                await release.wait()
                events.append("first out")

        async def second_turn() -> None:
            async with second.lock(CONVERSATION, lock_lifetime=lifetime, wait_time_in_seconds=0.02):
                events.append("second in")
                tokens["second"] = held(CONVERSATION)

        holding = asyncio.create_task(first_turn())
        await first_in.wait()
        lease = only(observer.get_lock(CONVERSATION)).tickets[0]
        waiting = asyncio.create_task(second_turn())
        await until(lambda: len(only(observer.get_lock(CONVERSATION)).tickets) == 2, "the second turn queued", DEADLINE)
        # Two lifetimes after the first lease would have run out without renewal:
        await until(lambda: redis_now(observer) > lease.expires + 2 * lifetime, "time passed", 10 * lifetime)
        tickets = only(observer.get_lock(CONVERSATION)).tickets
        assert [t.number for t in tickets] == [lease.number, tickets[1].number], "both tickets still live"
        assert tickets[0].expires > lease.expires + 2 * lifetime, "the first turn's lease was renewed"
        assert events == ["first in"], "the second turn is still waiting"
        release.set()
        await asyncio.wait_for(asyncio.gather(holding, waiting), DEADLINE)

    asyncio.run(scenario())
    assert events == ["first in", "first out", "second in"]
    assert tokens["second"] > tokens["first"]
    assert observer.get_lock(CONVERSATION) is None
    assert not observer.red.exists(observer.lock_key(CONVERSATION)), "the lock is deleted after the turns"


def test_a_waiter_not_served_within_its_wait_gets_a_lock_error_and_leaves_the_queue(
    server: RedisServer, prefix: str
) -> None:
    holder, observer = fenced(server, prefix), fenced(server, prefix)
    waiter = fenced(server, prefix, max_wait_seconds=0.3)

    async def scenario() -> None:
        async with holder.lock(CONVERSATION, lock_lifetime=DEADLINE):
            token = held(CONVERSATION)
            with pytest.raises(LockError):
                async with waiter.lock(CONVERSATION, lock_lifetime=DEADLINE, wait_time_in_seconds=0.02):
                    pytest.fail("entered while another turn held the lock")
            assert [t.number for t in only(observer.get_lock(CONVERSATION)).tickets] == [token]
            assert held(CONVERSATION) == token, "the failed wait did not change what this turn holds"

    asyncio.run(scenario())
    assert observer.get_lock(CONVERSATION) is None


def test_a_stale_holders_tracker_write_is_refused(server: RedisServer, prefix: str) -> None:
    """The first replica's event loop stops (as under a long blocking call) while it holds the
    lock: its lease is not renewed, runs out, and the second replica takes the lock and writes.
    When the first wakes up, its write is refused, and the second's tracker stays."""
    entered, written, attempted = threading.Event(), threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def tracker(texts: list[str]) -> DialogueStateTracker:
        return DialogueStateTracker.from_events(CONVERSATION, session(texts), DOMAIN.slots)

    def trackers() -> BoundedRedisTrackerStore:
        return BoundedRedisTrackerStore(DOMAIN, host="127.0.0.1", port=server.port, key_prefix=prefix)

    def first() -> None:
        store, saved = fenced(server, prefix), trackers()

        async def turn() -> None:
            async with store.lock(CONVERSATION, lock_lifetime=1, wait_time_in_seconds=0.02):
                await saved.save(tracker(["first"]))
                outcome["first, while holding"] = stored_texts(saved)
                entered.set()
                outcome["woken"] = written.wait(timeout=DEADLINE)  # blocks this replica's event loop
                try:
                    await saved.save(tracker(["first", "first again, late"]))
                    outcome["late write"] = "written"
                except StaleTurn:
                    outcome["late write"] = "refused"
                finally:
                    attempted.set()

        run_recording(turn, outcome, "first")

    def second() -> None:
        store, saved = fenced(server, prefix, max_wait_seconds=DEADLINE), trackers()

        async def turn() -> None:
            assert entered.wait(timeout=DEADLINE)
            async with store.lock(CONVERSATION, lock_lifetime=DEADLINE, wait_time_in_seconds=0.02):
                await saved.save(tracker(["second"]))
                written.set()
                assert attempted.wait(timeout=DEADLINE)  # still holding when the first tries to write

        run_recording(turn, outcome, "second")

    threads = [threading.Thread(target=f, daemon=True) for f in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * DEADLINE)
    assert not any(thread.is_alive() for thread in threads)
    assert "first error" not in outcome and "second error" not in outcome, outcome
    assert outcome["first, while holding"] == ["first"], "a holder's write is accepted"
    assert outcome["woken"] is True
    assert outcome["late write"] == "refused"
    assert stored_texts(trackers()) == ["second"], "the newer holder's tracker stays"


def test_a_save_outside_any_lock_writes_as_before(server: RedisServer, prefix: str) -> None:
    saved = BoundedRedisTrackerStore(DOMAIN, host="127.0.0.1", port=server.port, key_prefix=prefix)
    asyncio.run(saved.save(DialogueStateTracker.from_events(CONVERSATION, session(["hello"]), DOMAIN.slots)))
    assert stored_texts(saved) == ["hello"]


def test_rasa_creates_the_fenced_store_from_bot_endpoints_and_the_tracker_store_writes_under_it(
    server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": str(server.port),
        "REDIS_DB": "0",
        "REDIS_PASSWORD": "",
        "WEGWIJS_ACTIONS_URL": "http://127.0.0.1:9/webhook",
    }.items():
        monkeypatch.setenv(name, value)
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "bot" / "endpoints.yml"))
    lock_store = LockStore.create(endpoints.lock_store)
    tracker_store = TrackerStore.create(endpoints.tracker_store, DOMAIN)
    assert type(lock_store) is FencedRedisLockStore
    assert type(tracker_store) is BoundedRedisTrackerStore
    assert (lock_store.key_prefix, lock_store.tokens_key) == ("wegwijs:lock:", "wegwijs:lock-tokens")
    assert _lock_store_is_multi_worker_compatible(endpoints.lock_store)
    conversation = "api:endpoints-" + secrets.token_hex(4)

    async def turn() -> None:
        async with lock_store.lock(conversation):
            await tracker_store.save(DialogueStateTracker.from_events(conversation, session(["hi"]), DOMAIN.slots))

    try:
        asyncio.run(turn())
        restored = asyncio.run(tracker_store.retrieve(conversation))
        assert [e.text for e in restored.events if isinstance(e, UserUttered)] == ["hi"]
        assert lock_store.get_lock(conversation) is None
    finally:
        lock_store.red.delete(f"wegwijs:tracker:{conversation}", lock_store.lock_key(conversation))


def held(conversation: str) -> int:
    ticket = held_ticket(conversation)
    assert ticket is not None, "inside lock(), the turn knows its ticket"
    return ticket.token


def only(lock: Any) -> Any:
    assert lock is not None, "the conversation has a lock"
    return lock


def stored_texts(store: BoundedRedisTrackerStore) -> list[str]:
    """The user texts of the conversation's tracker as stored (read directly: callable in a turn)."""
    stored = store.red.get(store.key_prefix + CONVERSATION)
    assert stored is not None, "a tracker is stored"
    return [e["text"] for e in json.loads(stored)["events"] if e["event"] == "user"]


def run_recording(turn: Callable[[], Coroutine[Any, Any, None]], outcome: dict[str, Any], who: str) -> None:
    try:
        asyncio.run(turn())
    except Exception as error:  # noqa: BLE001 - recorded and asserted on by the test
        outcome[f"{who} error"] = repr(error)
