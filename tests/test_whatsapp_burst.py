"""A burst of 200 WhatsApp deliveries (20 users, 10 messages each) while Rasa is slow: every
delivery is acknowledged without waiting for Rasa, every message is handled, and each user's
messages are handled in the order they were sent. A gateway of the test's own, with a Redis of
its own, talks to the stack's Rasa through a proxy that delays every request."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import redis

from scripts.stack import Stack, free_port
from tests.conftest import WHATSAPP_APP_SECRET, RedisServer, whatsapp_env
from tests.fake_graph_api import FakeGraphAPI
from tests.test_health import start_gateway
from tests.whatsapp_load import SlowProxy, burst, burst_users

USERS, PER_USER, RASA_DELAY_SECONDS = 20, 10, 0.5


def test_a_burst_is_acknowledged_at_once_and_handled_in_order_per_user(stack: Stack, tmp_path: Path) -> None:
    own_redis = RedisServer(tmp_path)
    proxy = SlowProxy(f"http://127.0.0.1:{stack.ports.rasa}", RASA_DELAY_SECONDS)
    graph = FakeGraphAPI()
    gateway = None
    try:
        graph.start()
        env = {
            **stack.environment(),
            **whatsapp_env(graph),
            "REDIS_URL": own_redis.url,
            "WEGWIJS_RASA_URL": proxy.start(),
        }
        port = free_port()
        gateway = start_gateway(env, port)
        users = burst_users(USERS)
        results = asyncio.run(burst(f"http://127.0.0.1:{port}", WHATSAPP_APP_SECRET.encode(), users, PER_USER))
        handled_when_acknowledged = len(graph.sent)
        assert [status for status, _ in results] == [200] * USERS * PER_USER
        assert handled_when_acknowledged < USERS * PER_USER, "the acknowledgements did not wait for Rasa"

        store = redis.Redis.from_url(own_redis.url, decode_responses=True)
        deadline = time.monotonic() + 240
        for wa_id in users:
            while True:
                said = [json.loads(e)["text"] for e in store.lrange(f"wegwijs:gw:transcript:whatsapp:{wa_id}", 0, -1)]
                said = [text for text in said if text.startswith("hallo ")]
                if len(said) == PER_USER:
                    break
                assert time.monotonic() < deadline, f"{len(said)} of {PER_USER} messages of a user were handled"
                time.sleep(0.2)
            assert said == [f"hallo {n}" for n in range(1, PER_USER + 1)], "a user's messages in the order sent"
        assert len({m["to"] for m in graph.sent}) == USERS and graph.violations == []
    finally:
        if gateway:
            gateway.terminate()
            gateway.wait(timeout=20)
        proxy.stop()
        graph.stop()
        own_redis.stop()


def test_a_gateway_killed_mid_burst_loses_no_message(stack: Stack, tmp_path: Path) -> None:
    """SIGKILL while messages wait and one is being handled: the next gateway takes the partition
    over when the lease runs out and handles every message, the unfinished one again (at least
    once), in order."""
    import signal

    own_redis = RedisServer(tmp_path)
    proxy = SlowProxy(f"http://127.0.0.1:{stack.ports.rasa}", 1.0)
    graph = FakeGraphAPI()
    first = second = None
    try:
        graph.start()
        env = {
            **stack.environment(),
            **whatsapp_env(graph),
            "REDIS_URL": own_redis.url,
            "WEGWIJS_RASA_URL": proxy.start(),
        }
        port = free_port()
        first = start_gateway(env, port)
        (wa_id,) = burst_users(1)
        results = asyncio.run(burst(f"http://127.0.0.1:{port}", WHATSAPP_APP_SECRET.encode(), [wa_id], 6))
        assert [status for status, _ in results] == [200] * 6
        store = redis.Redis.from_url(own_redis.url, decode_responses=True)
        transcript = f"wegwijs:gw:transcript:whatsapp:{wa_id}"

        def said() -> list[str]:
            texts = [json.loads(e)["text"] for e in store.lrange(transcript, 0, -1)]
            return [t for t in texts if t.startswith("hallo ")]

        deadline = time.monotonic() + 60
        while not said():
            assert time.monotonic() < deadline, "nothing was handled"
            time.sleep(0.1)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert len(said()) < 6, "killed while messages were still waiting"
        second = start_gateway(env, port)
        deadline = time.monotonic() + 120
        while len(set(said())) < 6:
            assert time.monotonic() < deadline, f"after the restart only {sorted(set(said()))} were handled"
            time.sleep(0.2)
        texts = said()
        handled = [t for n, t in enumerate(texts) if n == 0 or texts[n - 1] != t]  # a repeat: handled again
        assert handled == [f"hallo {n}" for n in range(1, 7)]
    finally:
        for process in (first, second):
            if process and process.poll() is None:
                process.terminate()
                process.wait(timeout=20)
        proxy.stop()
        graph.stop()
        own_redis.stop()
