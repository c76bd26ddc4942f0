"""The cluster as `make cluster` runs it (bot/endpoints.yml: FencedRedisLockStore), with 3 Rasa
replicas, 2 gateways and 2 action servers behind HAProxy: turns stay in order under load,
socket.io works through HAProxy because its sessions are sticky, and replicas killed with
SIGKILL come back while no request hangs and no WhatsApp message is lost or answered twice (the
gateways send to the Graph API stand-in on 127.0.0.1). Every wait is for a condition, with a
deadline."""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import httpx
import pytest
import redis
import socketio

from api.turns import UNAVAILABLE
from api.whatsapp.keys import FAILED
from api.whatsapp.signature import signature_for
from scripts.cluster import Cluster, Program
from scripts.stack import free_port, port_open
from tests.cluster.conftest import Figures, start_cluster
from tests.cluster.load import Sent, cookieless, new_conversations, percentile, send
from tests.cluster.order import RASA_TIMEOUT, check_order
from tests.conftest import WHATSAPP_APP_SECRET, whatsapp_env
from tests.fake_graph_api import FakeGraphAPI
from tests.test_handover import text_of
from tests.waiting import until
from tests.whatsapp_load import delivery, text


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, case_database: str | None, graph_api: FakeGraphAPI
) -> Iterator[Cluster]:
    running = start_cluster(
        tmp_path_factory.mktemp("cluster"),
        case_database,
        gateways=2,
        rasa=3,
        actions=2,
        extra_env={**RASA_TIMEOUT, **whatsapp_env(graph_api)},
    )
    try:
        yield running
    finally:
        running.stop()


def test_every_turn_stays_in_order_with_three_rasa_replicas(cluster: Cluster, figures: Figures) -> None:
    check_order(cluster, figures, "FencedRedisLockStore (bot/endpoints.yml)")


# -- stickiness -------------------------------------------------------------------------------
class PollingChat:
    """A Rasa web chat widget on socket.io's polling transport (tests/test_socketio_channel.py),
    keeping cookies as a browser does (also for an address like 127.0.0.1, which aiohttp's
    default jar refuses)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.client = socketio.AsyncClient(reconnection=False, http_session=self.http, request_timeout=10)
        self.confirmed: asyncio.Queue[str] = asyncio.Queue()
        self.uttered: asyncio.Queue[dict] = asyncio.Queue()
        self.client.on("session_confirm", self.confirmed.put)
        self.client.on("bot_uttered", self.uttered.put)

    async def converse(self) -> list[str]:
        """Connects, asks for a session, says hello and thanks: the texts of the replies."""
        try:
            await self.client.connect(self.url, transports=["polling"], socketio_path="socket.io", wait_timeout=10)
            await self.client.emit("session_request", {"session_id": None})
            await asyncio.wait_for(self.confirmed.get(), 10)
            await self.client.emit("user_uttered", {"message": "hello there"})
            replies = [await asyncio.wait_for(self.uttered.get(), 20) for _ in range(2)]  # with the privacy notice
            await self.client.emit("user_uttered", {"message": "thank you very much"})
            replies.append(await asyncio.wait_for(self.uttered.get(), 20))
            return [reply["text"] for reply in replies]
        finally:
            if self.client.eio.state == "connected":
                await self.client.eio.disconnect(abort=True)
            await self.http.close()

    def cookies(self) -> set[str]:
        return {cookie.key for cookie in self.http.cookie_jar}


BALANCER = """
global
    maxconn 256
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
frontend roundrobin
    bind 127.0.0.1:{plain}
    default_backend roundrobin
backend roundrobin
    balance roundrobin
{servers}
frontend roundrobin_sticky
    bind 127.0.0.1:{sticky}
    default_backend roundrobin_sticky
backend roundrobin_sticky
    balance roundrobin
    cookie TEST_GATEWAY insert indirect nocache
{sticky_servers}
"""


@pytest.fixture
def balancer(cluster: Cluster, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A balancer of the test's own over the cluster's gateways: two frontends, both round-robin,
    one without stickiness and one sticky by cookie, the only difference between them."""
    plain, sticky = free_port(), free_port()
    gateways = cluster.port_map.replicas["gateway"]
    config = tmp_path / "balancer.cfg"
    config.write_text(
        BALANCER.format(
            plain=plain,
            sticky=sticky,
            servers="\n".join(f"    server g{i} 127.0.0.1:{port}" for i, port in enumerate(gateways)),
            sticky_servers="\n".join(
                f"    server g{i} 127.0.0.1:{port} cookie g{i}" for i, port in enumerate(gateways)
            ),
        ),
        encoding="utf-8",
    )
    process = subprocess.Popen([shutil.which("haproxy") or "haproxy", "-db", "-f", str(config)])
    try:
        asyncio.run(until(lambda: port_open(plain) and port_open(sticky), "the test's balancer listens", 10))
        yield f"http://127.0.0.1:{plain}", f"http://127.0.0.1:{sticky}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_socketio_polling_works_through_haproxy_because_sessions_are_sticky(
    cluster: Cluster, balancer: tuple[str, str], figures: Figures
) -> None:
    plain, sticky = balancer
    greeting, thanks = text_of("utter_greet", "en"), text_of("utter_thank", "en")

    async def scenario() -> tuple[list[str], set[str], list[str], str]:
        public = PollingChat(cluster.public_url)
        through_public = await public.converse()
        own_sticky = await PollingChat(sticky).converse()
        try:
            await PollingChat(plain).converse()
        except (socketio.exceptions.SocketIOError, asyncio.TimeoutError) as error:
            return through_public, public.cookies(), own_sticky, f"{type(error).__name__}: {error}"
        return through_public, public.cookies(), own_sticky, ""

    through_public, cookies, own_sticky, plain_failure = asyncio.run(scenario())
    assert through_public[0] == greeting and through_public[2] == thanks, through_public
    assert "WEGWIJS_GATEWAY" in cookies, "HAProxy pinned the browser to a gateway with its cookie"
    assert own_sticky[0] == greeting and own_sticky[2] == thanks, "round-robin with a cookie works too"
    assert plain_failure, "round-robin without stickiness must not carry a polling session across 2 gateways"
    figures.add(
        "Stickiness: socket.io polling, 2 gateways",
        "through `make cluster`'s HAProxy (cookie WEGWIJS_GATEWAY): the conversation completes",
    )
    figures.add(
        "Stickiness: socket.io polling, 2 gateways",
        f"through a round-robin balancer with a cookie: completes; the same without the cookie: {plain_failure}",
    )


# -- kills ------------------------------------------------------------------------------------
KILL_CONVERSATIONS = 8
BOUND_SECONDS = 75.0  # the gateway's Rasa timeout here (60 s) and a margin: no answer may take longer
KILL_TEXTS = ("hello there", "how does voluntary return work")  # the second one asks the action server too
BACK_WITHIN = 240.0  # seconds for supervisord to restart a killed replica and HAProxy to see it up
WHATSAPP_EVERY = 1.0  # seconds between two WhatsApp users' first messages during the kills


async def deliver_like_meta(client: httpx.AsyncClient, wa_id: str, words: str) -> None:
    """One signed delivery through HAProxy, delivered again (same message id) until a gateway
    answers 200, as Meta redelivers what was not acknowledged."""
    raw = json.dumps(delivery(wa_id, text(words))).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": signature_for(WHATSAPP_APP_SECRET.encode(), raw),
    }
    deadline = time.monotonic() + BACK_WITHIN
    while True:
        try:
            if (await client.post("/webhooks/whatsapp", content=raw, headers=headers)).status_code == 200:
                return
        except httpx.HTTPError:
            pass  # the gateway died under the request: Meta would deliver it again
        assert time.monotonic() < deadline, "no gateway acknowledged a WhatsApp delivery"
        await asyncio.sleep(0.5)


def apologies() -> set[str]:
    return {text_of(UNAVAILABLE, "en")}


def test_killed_replicas_are_restarted_and_no_request_hangs(
    cluster: Cluster, figures: Figures, graph_api: FakeGraphAPI
) -> None:
    victims = [cluster.replicas(kind)[0] for kind in ("rasa", "gateway", "actions")]
    assert cluster.ready(), "the cluster is whole before the kills"
    numbers: list[str] = []  # WhatsApp users, each with one message acknowledged by a gateway

    async def scenario() -> tuple[list[Sent], dict[str, tuple[float, float]]]:
        answers: list[Sent] = []
        stop = asyncio.Event()
        limits = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(
            base_url=cluster.public_url, timeout=BOUND_SECONDS, limits=limits, cookies=cookieless()
        ) as client:
            conversations = await new_conversations(client, KILL_CONVERSATIONS)
            answered_after: dict[str, float] = {}

            async def talk(conversation: str) -> None:
                turn = 0
                while not stop.is_set():
                    sent = await send(client, conversation, KILL_TEXTS[turn % 2])
                    answers.append(sent)
                    if sent.status == 200:
                        answered_after[conversation] = sent.sent
                    turn += 1

            async def write_on_whatsapp() -> None:
                while not stop.is_set():
                    wa_id = "3169" + "".join(secrets.choice("0123456789") for _ in range(7))
                    await deliver_like_meta(client, wa_id, KILL_TEXTS[len(numbers) % 2])
                    numbers.append(wa_id)
                    await asyncio.sleep(WHATSAPP_EVERY)

            talking = [asyncio.create_task(talk(conversation)) for conversation in conversations]
            talking.append(asyncio.create_task(write_on_whatsapp()))
            try:
                await until(lambda: len(answered_after) == KILL_CONVERSATIONS, "every conversation answered", 60)
                old = {victim.name: await asyncio.to_thread(cluster.pid, victim) for victim in victims}
                killed = time.monotonic()
                for victim in victims:
                    await asyncio.to_thread(cluster.kill, victim, signal.SIGKILL)
                back = await asyncio.gather(
                    *(came_back(cluster, victim, old[victim.name], killed) for victim in victims)
                )
                recovered = time.monotonic()
                await until(
                    lambda: all(answered_after[c] > recovered for c in conversations),
                    "every conversation answered again after the replicas came back",
                    BACK_WITHIN,
                )
            finally:
                stop.set()
                await asyncio.gather(*talking)
        return answers, {victim.name: times for victim, times in zip(victims, back, strict=True)}

    answers, back = asyncio.run(scenario())
    lost = whatsapp_unanswered(cluster, graph_api, numbers)
    sent = [m for m in graph_api.sent if m.get("to") in set(numbers)]
    twice = len(sent) - len({json.dumps(m, sort_keys=True) for m in sent})
    unanswered = [a for a in answers if a.error]
    too_slow = [a for a in answers if a.seconds > BOUND_SECONDS]
    wrong = [
        a
        for a in answers
        if not a.error
        and not (a.status == 200 and a.body.get("messages"))
        and not (a.status == 503 and a.body.get("phone_line") == "general" and set(a.reply_texts) <= apologies())
    ]
    replies = sum(1 for a in answers if a.status == 200)
    sorry = [a for a in answers if a.status == 503]
    section = "Kills: SIGKILL to one Rasa replica, one gateway and one action server at once"
    for name, (restarted, serving) in back.items():
        figures.add(
            section,
            f"{name}: running again under supervisord after {restarted:.1f} s, up behind HAProxy after {serving:.1f} s",
        )
    figures.add(
        section,
        f"load: {KILL_CONVERSATIONS} conversations sending one message after another; {len(answers)} requests: "
        f"{replies} replies, {len(sorry)} apologies with the phone line, {len(unanswered)} without an answer; "
        f"answer time p50 {percentile([a.seconds for a in answers], 0.5):.1f} s, "
        f"slowest {max(a.seconds for a in answers):.1f} s (bound {BOUND_SECONDS:.0f} s)",
    )
    figures.add(
        section,
        f"WhatsApp: {len(numbers)} users wrote during the kills (one message each, delivered again until "
        f"acknowledged, as Meta does); {len(numbers) - len(lost)} answered, {len(lost)} lost, "
        f"{twice} messages sent twice",
    )
    assert not lost, f"{len(lost)} of {len(numbers)} WhatsApp messages were never answered"
    assert twice == 0, f"{twice} WhatsApp messages were sent twice"
    assert not unanswered, f"{len(unanswered)} requests got no answer: {sorted({a.error for a in unanswered})}"
    assert not too_slow, f"{len(too_slow)} answers took longer than {BOUND_SECONDS} s"
    assert not wrong, f"answers neither a reply nor the apology: {[(a.status, a.body) for a in wrong[:3]]}"
    assert cluster.ready(), "the cluster is whole again"


def whatsapp_unanswered(cluster: Cluster, graph: FakeGraphAPI, numbers: list[str]) -> list[str]:
    """The users who got nothing: no message at the Graph API and none recorded as one that may
    have arrived (a send cut off by the kill is recorded for a person, never resent blindly).
    Waits, with a deadline, for the surviving gateways to take over a killed one's entries."""
    with redis.Redis.from_url(cluster.redis_url, decode_responses=True) as store:

        def missing() -> list[str]:
            answered = {m.get("to") for m in graph.sent}
            recorded = {f.get("to") for _, f in store.xrange(FAILED)}
            return [n for n in numbers if n not in answered and n not in recorded]

        deadline = time.monotonic() + BACK_WITHIN
        while missing() and time.monotonic() < deadline:
            time.sleep(0.5)
        return missing()


async def came_back(cluster: Cluster, victim: Program, old_pid: int, killed: float) -> tuple[float, float]:
    """Seconds from the kill until supervisord runs a new process, and until it serves behind HAProxy."""

    def restarted() -> bool:
        info = cluster.process_info(victim)
        return info["statename"] == "RUNNING" and info["pid"] not in (0, old_pid)

    await until(lambda: asyncio.to_thread(restarted), f"supervisord restarted {victim.name}", BACK_WITHIN, poll=0.1)
    restarted_after = time.monotonic() - killed
    await until(
        lambda: asyncio.to_thread(cluster.serving, victim), f"{victim.name} up behind HAProxy", BACK_WITHIN, poll=0.2
    )
    return restarted_after, time.monotonic() - killed
