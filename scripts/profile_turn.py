"""Where one turn's time goes: timings per hop, from the gateway down to the action server.

    python -m scripts.profile_turn [--conversations 6] [--out results/profile_turn.md]

Starts the stack of `make bench` (Redis, action server, Rasa, gateway; scratch folder, free
ports) and loads the same model a second time in this process, with the same endpoints (the
project's tracker store on that Redis, the Redis lock store, that action server). Then, in
alternating conversations of one pass over the benchmark's message mix (scripts/bench.py: short
messages and long ones), each turn is sent
1. to the gateway (`POST /api/v1/messages`): the whole turn as a web client sees it;
2. straight to Rasa's gateway channel (`POST /webhooks/gateway/webhook`, the gateway's own
   call): Rasa, the tracker store, the lock and the action server over HTTP;
3. to the Agent in this process (`Agent.handle_message`, as the channel calls it), with a timer
   around each hop: the lock, the tracker's retrieval (Redis, deserialisation and replay) and
   saving (serialisation with `bot/tracker_store.py`'s redaction, Redis), NLU parsing and each
   of its graph components, the policies, the calls to the action server, response rendering.
   Times are exclusive: a hop's time does not include the hops inside it.
The gateway's share is (1) - (2); Rasa's HTTP channel (Sanic, JSON) is (2) - (3). The gateway's
language detection is timed apart, in this process, on the same texts. Only timings are printed:
no message text, reply or conversation id.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import inspect
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from api.rate_limits import generous_env
from scripts.bench import MIX, SHORT_TEXTS, mint, send_full
from scripts.stack import Ports, Stack
from scripts.train import model_path
from wegwijs.paths import ROOT
from wegwijs.serve import LOGGING, redis_parts


class Hops:
    """Exclusive time per hop within one turn: a stack of the hops under way."""

    def __init__(self) -> None:
        self._stack: list[list[Any]] = []  # [name, started, time of the hops inside]
        self.turn: dict[str, float] = defaultdict(float)
        self.turns: list[dict[str, float]] = []

    def start(self, name: str) -> None:
        self._stack.append([name, time.perf_counter(), 0.0])

    def stop(self) -> None:
        name, started, inner = self._stack.pop()
        elapsed = time.perf_counter() - started
        self.turn[name] += (elapsed - inner) * 1000
        if self._stack:
            self._stack[-1][2] += elapsed

    @property
    def current(self) -> str | None:
        return self._stack[-1][0] if self._stack else None

    def phase(self) -> str:
        """The outermost hop that names a phase, for the graph components run inside it."""
        for name, _, _ in reversed(self._stack):
            if name in PHASES:
                return PHASES[name]
        return "Rasa: graph"

    def end_turn(self) -> None:
        self.turns.append(dict(self.turn))
        self.turn.clear()


def timed(hops: Hops, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        hops.start(name)
        try:
            return fn(*args, **kwargs)
        finally:
            hops.stop()

    return wrapper


def timed_async(hops: Hops, name: str, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        hops.start(name)
        try:
            return await fn(*args, **kwargs)
        finally:
            hops.stop()

    return wrapper


NLU, POLICIES = "Rasa: NLU parse (graph runner, message)", "Rasa: policies (graph runner)"
PHASES = {NLU: "Rasa: NLU component", POLICIES: "Rasa: policy graph"}
TURN = "Rasa: the rest (processor, events, default actions)"
LOCK = "lock (Redis lock store, acquire and release)"
RETRIEVE, DESERIALISE = "tracker retrieve: Redis GET", "tracker retrieve: deserialise and replay events"
SAVE, SERIALISE = "tracker save: Redis SET", "tracker save: serialise (latest session, as_dict, json)"
REDACT = "tracker save: redact (bot/tracker_store.py)"
ACTIONS = "action server (HTTP round trip, actions run)"
NLG = "Rasa: rendering responses (NLG)"
PROCESSOR_STEPS = (
    "_update_tracker_session",
    "_handle_message_with_tracker",
    "run_action_extract_slots",
    "_run_action",
    "_log_action_on_tracker",
    "_cancel_reminders",
    "_schedule_reminders",
    "is_action_limit_reached",
    "run_anonymization_pipeline",
    "_log_slots",
)


def instrument(agent: Any, hops: Hops) -> None:
    """Timers around the agent's hops (this process only; nothing of the product is changed)."""
    import rasa.engine.graph

    import bot.tracker_store

    processor = agent.processor
    store = getattr(processor.tracker_store, "_tracker_store", processor.tracker_store)  # unwrapped, if wrapped
    store.retrieve = timed_async(hops, RETRIEVE, store.retrieve)
    store.deserialise_tracker = timed(hops, DESERIALISE, store.deserialise_tracker)
    store.save = timed_async(hops, SAVE, store.save)
    store.serialise_tracker = timed(hops, SERIALISE, store.serialise_tracker)
    bot.tracker_store.redact = timed(hops, REDACT, bot.tracker_store.redact)
    processor.parse_message = timed_async(hops, NLU, processor.parse_message)
    processor._predict_next_with_tracker = timed(hops, POLICIES, processor._predict_next_with_tracker)
    processor.action_endpoint.request = timed_async(hops, ACTIONS, processor.action_endpoint.request)
    processor.nlg.generate = timed_async(hops, NLG, processor.nlg.generate)

    # The processor's own steps, so that "the rest" is only what none of them covers.
    for method in PROCESSOR_STEPS:
        fn = getattr(processor, method)
        wrap = timed_async if inspect.iscoroutinefunction(fn) else timed
        setattr(processor, method, wrap(hops, f"Rasa processor: {method}", fn))

    original_lock = agent.lock_store.lock

    @asynccontextmanager
    async def lock(conversation_id: str, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        hops.start(LOCK)
        async with original_lock(conversation_id, *args, **kwargs) as held:
            hops.stop()
            yield held
            hops.start(LOCK)
        hops.stop()

    agent.lock_store.lock = lock

    node_call = rasa.engine.graph.GraphNode.__call__

    def call(node: Any, *inputs: Any) -> Any:
        component = node._node_name.removeprefix("run_").rsplit(".", 1)[-1]
        hops.start(f"{hops.phase()}: {component}")
        try:
            return node_call(node, *inputs)
        finally:
            hops.stop()

    rasa.engine.graph.GraphNode.__call__ = call


async def load(model: Path, env: dict[str, str]) -> Any:
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    # Logging as `rasa run` in the stack sets it up (bot/logging.yml, Rasa's default level):
    # without it, structlog's default prints every event at debug level, which costs time.
    configure_logging_and_warnings(None, LOGGING, warn_only_once=True, filter_repeated_logs=True)
    configure_structlog(None)

    os.environ.update(env)  # the endpoints file reads the stack's Redis and action server from here
    os.environ.update(redis_parts(env["REDIS_URL"]))  # as wegwijs.serve sets them for Rasa
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "bot" / "endpoints.yml"))
    return await load_agent(model_path=str(model), endpoints=endpoints)


async def profile(stack: Stack, model: Path, conversations: int) -> dict[str, Any]:
    from rasa.core.channels.channel import UserMessage

    from api.language.detector import build_detector
    from api.language.resolve import resolve
    from bot.channels.collector import KeyedCollectingOutputChannel

    env = stack.environment()
    agent = await load(model, env)
    hops = Hops()
    instrument(agent, hops)
    rasa_url = f"http://127.0.0.1:{stack.ports.rasa}/webhooks/gateway/webhook"
    headers = {"Authorization": f"Bearer {env['WEGWIJS_RASA_TOKEN']}"}
    whole: dict[str, list[float]] = {"gateway": [], "rasa_http": [], "in_process": []}
    long_turn: list[bool] = []
    tag = os.getpid()
    async with httpx.AsyncClient(timeout=60) as client:
        for c in range(-1, conversations):  # conversation -1: warm-up, not counted
            name = f"profile-{tag}-{c}"
            await mint(client, stack.gateway_url, name)
            for language, text in MIX:
                metadata = {"channel": "api", "language": language}
                started = time.perf_counter()
                await send_full(client, stack.gateway_url, name, text)
                gateway = (time.perf_counter() - started) * 1000
                started = time.perf_counter()
                body = {"sender": f"direct-{name}", "message": text, "metadata": metadata}
                answer = await client.post(rasa_url, json=body, headers=headers)
                rasa_http = (time.perf_counter() - started) * 1000
                if answer.status_code != 200:
                    raise RuntimeError(f"Rasa's gateway channel answered {answer.status_code}")
                message = UserMessage(
                    text, KeyedCollectingOutputChannel(), f"inproc-{name}", input_channel="gateway", metadata=metadata
                )
                hops.start(TURN)
                started = time.perf_counter()
                await agent.handle_message(message)
                in_process = (time.perf_counter() - started) * 1000
                hops.stop()
                hops.end_turn()
                if c < 0:
                    hops.turns.pop()
                    continue
                whole["gateway"].append(gateway)
                whole["rasa_http"].append(rasa_http)
                whole["in_process"].append(in_process)
                long_turn.append(text not in SHORT_TEXTS)
    detector = build_detector()
    detection = []
    for _ in range(conversations):
        for _, text in MIX:
            started = time.perf_counter()
            resolve(detector, text, remembered=None, remembered_explicit=False)
            detection.append((time.perf_counter() - started) * 1000)
    return {"whole": whole, "hops": hops.turns, "long": long_turn, "detection": detection}


def p50(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def table(result: dict[str, Any]) -> str:
    whole, turns = result["whole"], result["hops"]
    names = sorted({name for turn in turns for name in turn})
    per_hop = {name: [turn.get(name, 0.0) for turn in turns] for name in names}
    gateway = [g - r for g, r in zip(whole["gateway"], whole["rasa_http"], strict=True)]
    channel = [r - i for r, i in zip(whole["rasa_http"], whole["in_process"], strict=True)]
    total = p50(whole["gateway"])
    rows = [
        ("gateway: the route, minus its call to Rasa", gateway),
        ("  of which language detection (in-process, same texts)", result["detection"]),
        ("Rasa's HTTP channel (Sanic, JSON, aiohttp hop), minus Agent.handle_message", channel),
        *sorted(per_hop.items(), key=lambda item: -p50(item[1])),
    ]
    long = result["long"]

    def of(values: list[float], want_long: bool) -> list[float]:
        return [v for v, is_long in zip(values, long, strict=False) if is_long == want_long]

    lines = [
        f"{len(turns)} turns ({sum(long)} long messages), whole turn at the gateway p50 {total:.1f} ms "
        f"(short {p50(of(whole['gateway'], False)):.1f}, long {p50(of(whole['gateway'], True)):.1f}); "
        f"Rasa's gateway channel straight p50 {p50(whole['rasa_http']):.1f} ms; Agent.handle_message in-process "
        f"p50 {p50(whole['in_process']):.1f} ms.",
        "",
        "| hop | ms p50 | ms mean | share of the mean turn | short, p50 | long, p50 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    mean_total = statistics.mean(whole["gateway"])
    for label, values in rows:
        if not values or (max(values) < 0.05 and not label.startswith(" ")):
            continue
        share = "" if label.startswith(" ") else f"{statistics.mean(values) / mean_total:.0%}"
        short_p50 = "" if values is result["detection"] else f"{p50(of(values, False)):.2f}"
        long_p50 = "" if values is result["detection"] else f"{p50(of(values, True)):.2f}"
        lines.append(
            f"| {label.strip()} | {p50(values):.2f} | {statistics.mean(values):.2f} | {share} "
            f"| {short_p50} | {long_p50} |"
        )
    lines.append(f"| **whole turn at the gateway** | **{total:.2f}** | **{mean_total:.2f}** | 100% | | |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=6, help="conversations of one pass over the mix each")
    parser.add_argument("--out", default="results/profile_turn.md")
    args = parser.parse_args()
    model = model_path()
    if not model.exists():
        print("error: no model for the current data: run `make train`", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(ports=Ports.free(), model=model, run_dir=Path(tmp), quiet=True, extra_env=generous_env())
        try:
            stack.start()
            result = asyncio.run(profile(stack, model, args.conversations))
        finally:
            stack.stop()
    text = table(result)
    out = ROOT / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
