"""Benchmark: the same trained model served bare (`rasa run`, REST channel) and through the full
stack (gateway -> Rasa gateway channel -> action server, Redis behind both), in one run.

    python -m scripts.bench [--messages 200] [--turns 300] [--skip-training] [--out docs/benchmarks.md]

Both targets get the same message mix, in alternating rounds so that machine noise hits both
alike; what matters is the ratio full/bare, measured in the same session. Prints and writes
per-turn p50/p95 latency, throughput at 1 and 10 concurrent conversations, latency growth of
one conversation over many turns, start-up time to healthy, training time and resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from api.rate_limits import generous_env
from scripts.stack import Ports, Stack, StackError, free_port, port_open
from scripts.train import model_path
from scripts.whatsapp_load import measure_acks
from tests.lookup_timing import failure_timings, import_pool
from wegwijs.paths import ROOT

MIX = [
    ("en", "I want to go back to my country, how does it work?"),
    ("nl", "hoe werkt gezinshereniging bij IOM"),
    ("ar", "بدي ارجع على بلدي، كيف بتساعدوني؟"),
    ("fa-AF", "میخواهم به افغانستان برگردم"),
    ("en", "where do my kids do the dna test"),
    ("nl", "wat is het LEARN project"),
    ("ar", "مين بيدفع تذكرة السفر"),
    ("fa-AF", "تیلفون شما چند است؟"),
    ("en", "hello"),
    ("nl", "bedankt"),
    ("ar", "ما هي منظمة الهجرة الدولية"),
    ("fa-AF", "میخواهم با یک کارمند صحبت کنم"),
]
Send = Callable[[httpx.AsyncClient, str, str, str], Awaitable[None]]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    pids = [pid]
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    pids += [int(c) for c in children]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


@dataclass
class Target:
    name: str
    url: str
    send: Send


WHATSAPP_SLOW_RASA_SECONDS = 2.0
MINTED: dict[str, str] = {}  # the benchmark's conversation names -> ids the gateway minted


async def mint(client: httpx.AsyncClient, url: str, conversation: str) -> None:
    if conversation not in MINTED:
        MINTED[conversation] = (await client.post(f"{url}/api/v1/conversations")).json()["conversation_id"]


async def send_full(client: httpx.AsyncClient, url: str, conversation: str, text: str) -> None:
    await mint(client, url, conversation)
    answer = await client.post(f"{url}/api/v1/messages", json={"conversation_id": MINTED[conversation], "text": text})
    if answer.status_code != 200 or not answer.json()["messages"]:
        raise RuntimeError(f"full stack answered {answer.status_code}")


def bare_sender(language_of: dict[str, str]) -> Send:
    async def send(client: httpx.AsyncClient, url: str, conversation: str, text: str) -> None:
        body = {"sender": conversation, "message": text, "metadata": {"language": language_of[text]}}
        answer = await client.post(f"{url}/webhooks/rest/webhook", json=body)
        if answer.status_code != 200 or not answer.json():
            raise RuntimeError(f"bare Rasa answered {answer.status_code} {answer.text[:80]}")

    return send


async def latencies(target: Target, conversation: str, count: int) -> list[float]:
    async with httpx.AsyncClient(timeout=60) as client:
        results = []
        for i in range(count):
            text = MIX[i % len(MIX)][1]
            started = time.perf_counter()
            await target.send(client, target.url, conversation, text)
            results.append((time.perf_counter() - started) * 1000)
        return results


async def throughput(target: Target, prefix: str, concurrency: int, total: int) -> float:
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=concurrency + 2)) as client:
        per_worker = total // concurrency

        async def worker(n: int) -> None:
            for i in range(per_worker):
                await target.send(client, target.url, f"{prefix}-{n}", MIX[(i + n) % len(MIX)][1])

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        return per_worker * concurrency / (time.perf_counter() - started)


def start_bare(stack: Stack, port: int, model: Path) -> tuple[subprocess.Popen, float]:
    env = stack.environment()
    started = time.monotonic()
    with open(stack.run_dir / "bare-rasa.log", "ab") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "rasa"),
                "run",
                "--model",
                str(model),
                "--endpoints",
                "scripts/bench_endpoints.yml",
                "--credentials",
                "scripts/bench_credentials.yml",
                "--interface",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError("bare Rasa exited: see bare-rasa.log")
        if port_open(port):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/webhooks/rest/", timeout=2).status_code == 200:
                    return process, time.monotonic() - started
            except httpx.HTTPError:
                pass
        time.sleep(0.5)
    raise StackError("bare Rasa did not become ready")


def training_seconds() -> float:
    """A full training from an empty cache into a scratch folder (the served model is untouched)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(
            os.environ,
            PYTHONPATH=str(ROOT),
            RASA_TELEMETRY_ENABLED="false",
            TF_CPP_MIN_LOG_LEVEL="2",
            RASA_CACHE_DIRECTORY=str(Path(tmp) / "cache"),
        )
        started = time.monotonic()
        subprocess.run(
            [
                str(Path(sys.executable).parent / "rasa"),
                "train",
                "--config",
                "config.yml",
                "--domain",
                "bot/domain",
                "--data",
                "data",
                "--out",
                tmp,
            ],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return time.monotonic() - started


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = (
        int(
            next(
                line.split()[1]
                for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")
            )
        )
        / 1024
        / 1024
    )
    return f"{os.cpu_count()} cores, {cpu}, {memory:.0f} GiB, {platform.platform()}"


async def measure(targets: list[Target], messages: int, turns: int, rounds: int) -> dict:
    out: dict = {t.name: {"lat": [], "tp1": [], "tp10": []} for t in targets}
    for target in targets:  # warm-up
        await latencies(target, f"warm-{target.name}", len(MIX))
    for r in range(rounds):
        for target in targets if r % 2 == 0 else list(reversed(targets)):
            out[target.name]["lat"] += await latencies(target, f"lat-{target.name}-{r}", messages // rounds)
            out[target.name]["tp1"].append(await throughput(target, f"tp1-{target.name}-{r}", 1, messages // rounds))
            out[target.name]["tp10"].append(await throughput(target, f"tp10-{target.name}-{r}", 10, messages // rounds))
    for target in targets:
        series = await latencies(target, f"growth-{target.name}", turns)
        out[target.name]["growth"] = statistics.median(series[-20:]) / statistics.median(series[:20])
        out[target.name]["growth_first"] = statistics.median(series[:20])
        out[target.name]["growth_last"] = statistics.median(series[-20:])
    return out


CASE_LOOKUP = "IOM-NL-2026-000107 02-11-1985"  # a demo case (data/cases/demo.csv), synthetic


async def case_lookups(target: Target, count: int) -> list[float]:
    """One whole case lookup per fresh conversation (reference and date of birth in one message)."""
    async with httpx.AsyncClient(timeout=60) as client:
        results = []
        for i in range(count):
            conversation = f"case-{i}-{os.getpid()}"
            if target.send is send_full:
                await mint(client, target.url, conversation)  # not part of the lookup's time
            started = time.perf_counter()
            await target.send(client, target.url, conversation, CASE_LOOKUP)
            results.append((time.perf_counter() - started) * 1000)
        return results


def lookup_failures(timings: dict[str, list[float]]) -> str:
    """The three ways a lookup fails, at the action server: they must take the same time (the
    test checks the reply and a coarse bound; the milliseconds are here)."""
    p50 = {kind: statistics.median(values) for kind, values in timings.items()}
    p95 = {kind: percentile(values, 0.95) for kind, values in timings.items()}
    shown = ", ".join(f"{kind} p50 {p50[kind]:.1f} / p95 {p95[kind]:.1f} ms" for kind in timings)
    return (
        f"A failed lookup at the action server ({len(next(iter(timings.values())))} of each, alternating): {shown}; "
        f"slowest / fastest p50 {max(p50.values()) / min(p50.values()):.2f} x, "
        f"p95 {max(p95.values()) / min(p95.values()):.2f} x."
    )


PARALLEL_LOGINS = 20


async def chat_under_logins(target: Target, messages: int) -> dict[str, list[float]]:
    """Chat turn latency idle, then while 20 clients keep sending wrong staff logins (each login
    costs an argon2 verification; the gateway runs them in a bounded pool of their own)."""
    idle = await latencies(target, f"idle-{os.getpid()}", messages)
    stop = asyncio.Event()
    attempts = 0

    async def attacker(n: int) -> None:
        nonlocal attempts
        async with httpx.AsyncClient(timeout=120) as client:
            while not stop.is_set():
                await client.post(
                    f"{target.url}/staff/api/login",
                    json={"username": f"nobody-{n}", "password": "a wrong password", "code": "000000"},
                )
                attempts += 1

    attackers = [asyncio.create_task(attacker(n)) for n in range(PARALLEL_LOGINS)]
    await asyncio.sleep(1)  # the pool is busy before the first measured turn
    try:
        loaded = await latencies(target, f"loaded-{os.getpid()}", messages)
    finally:
        stop.set()
        await asyncio.gather(*attackers, return_exceptions=True)
    return {"idle": idle, "loaded": loaded, "attempts": [float(attempts)]}


def report(results: dict, extra: dict, args: argparse.Namespace) -> str:
    bare, full = results["bare"], results["full"]

    def row(label: str, b: float, f: float, unit: str) -> str:
        return f"| {label} | {b:.1f} {unit} | {f:.1f} {unit} | {f / b:.2f} |"

    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (scripts/bench.py) on {time.strftime('%Y-%m-%d')}. Machine: {machine()}.",
        f"Bare: `rasa run` with the REST channel. Full: gateway -> Rasa gateway channel -> action server. Same model "
        f"(`{model_path().name}`), same Redis tracker and lock store, same action server, same message mix of "
        f"{len(MIX)} "
        f"messages in four languages, {args.messages} messages per measurement in {args.rounds} alternating rounds.",
        "",
        "Bare Rasa keeps Rasa's stock `RedisTrackerStore`, which replays a conversation's whole history on every "
        "turn; the full stack uses `bot/tracker_store.py`. Conversations in the latency and throughput rounds run to "
        f"{args.messages // args.rounds} turns, so the stock store's growth is part of bare Rasa's figures.",
        "",
        "| measure | bare Rasa | full stack | full / bare |",
        "| --- | --- | --- | --- |",
        row("p50 latency per turn", statistics.median(bare["lat"]), statistics.median(full["lat"]), "ms"),
        row("p95 latency per turn", percentile(bare["lat"], 0.95), percentile(full["lat"], 0.95), "ms"),
        row("throughput, 1 conversation", statistics.median(bare["tp1"]), statistics.median(full["tp1"]), "msg/s"),
        row("throughput, 10 conversations", statistics.median(bare["tp10"]), statistics.median(full["tp10"]), "msg/s"),
        f"| latency growth over {args.turns} turns (median last 20 / first 20) | {bare['growth']:.2f} x "
        f"({bare['growth_first']:.0f} -> {bare['growth_last']:.0f} ms) | {full['growth']:.2f} x "
        f"({full['growth_first']:.0f} -> {full['growth_last']:.0f} ms) | |",
        row("start-up to healthy", extra["bare_startup"], extra["full_startup"], "s"),
        "",
        f"Case lookup turn (reference and date of birth in one message, identity check, SQLite case store, "
        f"Redis throttle), full stack, {len(extra['lookups'])} lookups: p50 "
        f"{statistics.median(extra['lookups']):.1f} ms, "
        f"p95 {percentile(extra['lookups'], 0.95):.1f} ms.",
        "",
        lookup_failures(extra["lookup_failures"]),
        "",
        f"Chat turns while {PARALLEL_LOGINS} clients send wrong staff logins without pause (rate limits "
        "lifted, so every "
        f"login costs an argon2 verification; {extra['logins']['attempts'][0]:.0f} logins during the measurement), "
        f"{len(extra['logins']['loaded'])} turns each: p95 idle {percentile(extra['logins']['idle'], 0.95):.1f} ms, "
        f"under logins {percentile(extra['logins']['loaded'], 0.95):.1f} ms, ratio "
        f"{percentile(extra['logins']['loaded'], 0.95) / percentile(extra['logins']['idle'], 0.95):.2f} "
        "(target: at most 1.5).",
        "",
        f"WhatsApp webhook acknowledgement under a burst of {len(extra['whatsapp_acks'][0.0])} signed deliveries "
        "(20 users, 10 messages each, all at once; a gateway of its own, Graph API stand-in on 127.0.0.1): "
        + "; ".join(
            f"Rasa {'as is' if delay == 0.0 else f'slowed by {delay:.1f} s per turn'}: p50 "
            f"{statistics.median(acks):.1f} ms, p99 {percentile(acks, 0.99):.1f} ms"
            for delay, acks in extra["whatsapp_acks"].items()
        )
        + ". Target: p99 under 100 ms, whatever Rasa's speed.",
        "",
        "Resident memory after the run (MB):",
        "",
        "| process | MB |",
        "| --- | --- |",
    ]
    lines += [f"| {name} | {mb:.0f} |" for name, mb in extra["memory"].items()]
    lines += [
        f"| **full stack total** | **{sum(extra['memory'].values()):.0f}** |",
        f"| bare `rasa run` (for comparison) | {extra['bare_memory']:.0f} |",
        "",
    ]
    if extra.get("training") is not None:
        lines.append(f"Training from an empty cache: {extra['training']:.0f} s.")
    lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=240)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--out", default="docs/benchmarks.md")
    args = parser.parse_args()
    # A TERM (a CI timeout, `kill`) must still stop the services this run started.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    if not shutil.which("redis-server"):
        print("error: the benchmark needs redis-server", file=sys.stderr)
        return 1
    model = model_path()
    if not model.exists():
        print("error: no model for the current data: run `make train`", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        ports = Ports.free()
        # One load generator on one address: the rate limits would refuse it (they are tested apart).
        stack = Stack(ports=ports, model=model, run_dir=Path(tmp), quiet=True, extra_env=generous_env())
        stack.use_redis = True
        bare = None
        try:
            stack.start()
            bare_port = free_port()
            bare, bare_startup = start_bare(stack, bare_port, model)
            language_of = {text: language for language, text in MIX}
            targets = [
                Target("bare", f"http://127.0.0.1:{bare_port}", bare_sender(language_of)),
                Target("full", stack.gateway_url, send_full),
            ]
            results = asyncio.run(measure(targets, args.messages, args.turns, args.rounds))
            lookups = asyncio.run(case_lookups(targets[1], 60))[10:]
            failures, _ = failure_timings(
                f"http://127.0.0.1:{stack.ports.actions}/webhook", import_pool(stack.environment(), Path(tmp)), 200
            )
            logins = asyncio.run(chat_under_logins(targets[1], 60))
            memory = {name: rss_mb(p.pid) for name, p in stack.processes.items()}
            rasa_url = f"http://127.0.0.1:{stack.ports.rasa}"
            redis_base = (stack.redis_url or "").rsplit("/", 1)[0]
            acks = {
                delay: measure_acks(stack.environment(), rasa_url, f"{redis_base}/{db}", delay)
                for db, delay in ((1, 0.0), (2, WHATSAPP_SLOW_RASA_SECONDS))
            }
            extra = {
                "bare_startup": bare_startup,
                "full_startup": stack.startup_seconds,
                "memory": memory,
                "bare_memory": rss_mb(bare.pid),
                "lookups": lookups,
                "whatsapp_acks": acks,
                "logins": logins,
                "lookup_failures": failures,
            }
        finally:
            if bare:
                bare.terminate()
                bare.wait(timeout=20)
            stack.stop()
    extra["training"] = None if args.skip_training else training_seconds()
    text = report(results, extra, args)
    (ROOT / args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
