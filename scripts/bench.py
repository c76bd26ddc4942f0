"""Benchmark: the same trained model served bare (`rasa run`, REST channel) and through the full
stack (gateway -> Rasa gateway channel -> action server, Redis behind both), in one run.

    python -m scripts.bench [--messages 240] [--rounds 4] [--turns 300] [--stock-every 2]
                            [--stock-turns 100] [--skip-training] [--out docs/benchmarks.md]

Two baselines: bare Rasa on its default in-memory tracker store (the main one: what the
gateway, the Redis tracker store and the lock cost shows against it) and bare Rasa on the stock
`RedisTrackerStore` (in fewer rounds and a shorter long conversation, as it gets seconds slower
per turn). All targets get the same message mix, short messages and long ones, in alternating
rounds so that machine noise hits them alike; what matters is the ratio full/bare, measured in
the same session. Prints and writes per-turn p50/p95 latency, throughput at 1 and 10 concurrent
conversations, latency growth of one conversation over many turns, start-up time to healthy,
training time and resident memory. Sections of the output file after its first `## ` heading
are kept.
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
from wegwijs.serve import redis_parts

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
# Long messages as people write them when they first explain themselves: a short story that ends
# with a request, three to five sentences (written for the benchmark, not taken from data/ or
# tests/; no digits, dates or phone numbers, so nothing in them is redacted).
LONG_MIX = [
    (
        "nl",
        "Ik woon nu bijna drie jaar in Nederland, maar mijn asielaanvraag is afgewezen en mijn advocaat zegt "
        "dat een nieuwe procedure weinig kans heeft. Mijn moeder in Ethiopië is ziek en ik wil graag bij haar "
        "zijn. Ik heb geen geld voor een vliegticket en mijn paspoort is verlopen. Kunnen jullie mij helpen om "
        "terug te keren, en wat moet ik daarvoor doen?",
    ),
    (
        "en",
        "I came to the Netherlands two years ago and I have been living in a reception centre since then. My "
        "application was rejected and I do not want to stay here without papers. My family in Iraq says our "
        "town is safer now and my father needs help with his shop. Can you tell me what support I can get if "
        "I go back, and how long it takes to arrange?",
    ),
    (
        "ar",
        "أنا هون بهولندا من سنتين مع مرتي وولادي التلاتة، ورفضوا طلب اللجوء تبعنا. الولاد بدهم يرجعوا "
        "على مدرستهم وأهلنا بالعراق عم يستنونا. ما عنا مصاري لتذاكر الطيارة وما بعرف شو الأوراق يلي "
        "لازمتنا. فيكن تشرحولي كيف بتساعدونا نرجع على بلدنا؟",
    ),
    (
        "fa-AF",
        "من سه سال است که در هالند زندگی میکنم و درخواست پناهندگی من رد شده است. فامیلم در کابل هستند و "
        "مادرم مریض است. من پول ندارم که تکت طیاره بخرم و پاسپورتم هم گم شده است. لطفاً بگویید که چطور "
        "میتوانم به افغانستان برگردم و شما چه کمکی میکنید؟",
    ),
    (
        "en",
        "My husband lives in the Netherlands and got his residence permit, and the embassy told us our "
        "children need a DNA test before they can travel. We live in Kampala now and I do not know where to "
        "go for the test or who pays for it. The children are small and I am worried about the long journey "
        "on my own. Please tell me where the DNA test is done and what happens after that.",
    ),
    (
        "nl",
        "Mijn vrouw en onze twee kinderen wonen nog in Eritrea en ik heb sinds vorig jaar een "
        "verblijfsvergunning. De IND zegt dat mijn gezin naar Nederland mag komen, maar ze moeten eerst naar "
        "een ambassade in een ander land. Ik weet niet hoe ze daar veilig komen en wie de reis betaalt. Kunt u "
        "uitleggen hoe IOM helpt bij gezinshereniging?",
    ),
    (
        "ar",
        "أخوي أخد الإقامة بهولندا من فترة، وقالولنا إنو فينا نلحقه بلم الشمل. أنا وأمي هلق بتركيا وما "
        "منعرف لوين لازم نروح لنعمل المقابلة بالسفارة. سمعنا إنو في منظمة بتساعد بتذاكر السفر وبالتحضير "
        "للرحلة. بدي أعرف كيف بتساعدونا وشو لازم نعمل أول شي؟",
    ),
    (
        "fa-AF",
        "شوهرم در هالند اجازه اقامت گرفته و ما میخواهیم با اولادها پیش او برویم. سفارت به ما گفت که باید "
        "آزمایش دی ان ای بدهیم، اما نمیدانیم کجا و چه وقت. ما حالا در پاکستان هستیم و سفر برای ما خیلی سخت "
        "است. لطفاً بگویید که آزمایش دی ان ای را کجا انجام میدهیم و چه کسی پول آن را میپردازد؟",
    ),
]
SHORT_TEXTS = frozenset(text for _, text in MIX)
# Twenty messages, the long ones spread among the short: every window of 20 turns holds the whole
# mix once, so the growth figures (first 20 turns against the last 20) compare like with like.
MIX = [message for pair in zip(MIX[:8], LONG_MIX, strict=True) for message in pair] + MIX[8:]
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


# The targets, by name: the main baseline, the second one (skipped with --stock-every 0), the
# full stack.
MEMORY, STOCK, FULL = "bare", "stock", "full"


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


async def latencies(
    target: Target, conversation: str, count: int, by_length: dict[str, list[float]] | None = None
) -> list[float]:
    """Milliseconds per turn of one conversation; also into ``by_length["lat_short" or "lat_long"]``."""
    async with httpx.AsyncClient(timeout=60) as client:
        results = []
        for i in range(count):
            text = MIX[i % len(MIX)][1]
            started = time.perf_counter()
            await target.send(client, target.url, conversation, text)
            results.append((time.perf_counter() - started) * 1000)
            if by_length is not None:
                by_length["lat_short" if text in SHORT_TEXTS else "lat_long"].append(results[-1])
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


def start_bare(stack: Stack, port: int, model: Path, endpoints: str, name: str) -> tuple[subprocess.Popen, float]:
    # Plain `rasa run` (not wegwijs.serve, which fixes the gateway channel's credentials): the
    # Redis address as the separate variables the endpoints file reads, as serve.py sets them.
    env = stack.environment()
    env.update(redis_parts(env["REDIS_URL"]))
    started = time.monotonic()
    with open(stack.run_dir / f"{name}.log", "ab") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "rasa"),
                "run",
                "--model",
                str(model),
                "--endpoints",
                endpoints,
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
            raise StackError(f"bare Rasa exited: see {name}.log")
        if port_open(port):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/webhooks/rest/", timeout=2).status_code == 200:
                    return process, time.monotonic() - started
            except httpx.HTTPError:
                pass
        time.sleep(0.5)
    raise StackError(f"bare Rasa ({name}) did not become ready")


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


def growth(series: list[float], turns: int) -> tuple[float, float, float]:
    """Median of turns ``turns - 19 .. turns`` against the first 20: factor, first, last (ms)."""
    first, last = statistics.median(series[:20]), statistics.median(series[turns - 20 : turns])
    return last / first, first, last


async def measure(
    targets: list[Target], messages: int, turns: dict[str, int], rounds: int, stock_every: int
) -> dict[str, dict[str, list[float]]]:
    """Latency and throughput in alternating rounds (the stock Redis baseline only in every
    ``stock_every``-th one), then one long conversation per target, ``turns[name]`` turns."""
    out: dict[str, dict[str, list[float]]] = {
        t.name: {"lat": [], "lat_short": [], "lat_long": [], "tp1": [], "tp10": []} for t in targets
    }
    for target in targets:  # warm-up
        await latencies(target, f"warm-{target.name}", len(MIX))
    for r in range(rounds):
        for target in targets if r % 2 == 0 else list(reversed(targets)):
            if target.name == STOCK and r % stock_every:
                continue
            out[target.name]["lat"] += await latencies(
                target, f"lat-{target.name}-{r}", messages // rounds, out[target.name]
            )
            out[target.name]["tp1"].append(await throughput(target, f"tp1-{target.name}-{r}", 1, messages // rounds))
            out[target.name]["tp10"].append(await throughput(target, f"tp10-{target.name}-{r}", 10, messages // rounds))
    for target in targets:
        out[target.name]["growth"] = await latencies(target, f"growth-{target.name}", turns[target.name])
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


def comparison(results: dict[str, dict[str, list[float]]], extra: dict, args: argparse.Namespace) -> list[str]:
    """The table: each measure for every target, and full / bare against each baseline."""
    names = [name for name in (MEMORY, STOCK, FULL) if name in results]
    full = results[FULL]

    def cells(values: dict[str, float], unit: str, digits: int = 1) -> str:
        shown = [f"{values[n]:.{digits}f} {unit}" if n in values else "not run" for n in names]
        ratios = [f"{values[FULL] / values[n]:.2f}" if n in values else "" for n in names if n != FULL]
        return " | ".join(shown + ratios)

    def row(label: str, measure: Callable[[dict[str, list[float]]], float], unit: str) -> str:
        return f"| {label} | {cells({n: measure(results[n]) for n in names}, unit)} |"

    def growth_row(turns: int) -> str:
        reached = {n: growth(results[n]["growth"], turns) for n in names if len(results[n]["growth"]) >= turns}
        shown = [
            f"{reached[n][0]:.2f} x ({reached[n][1]:.0f} -> {reached[n][2]:.0f} ms)"
            if n in reached
            else f"not run (`--stock-turns {len(results[n]['growth'])}`)"
            for n in names
        ]
        ratios = [f"{reached[FULL][0] / reached[n][0]:.2f}" if n in reached else "" for n in names if n != FULL]
        return (
            f"| latency growth over {turns} turns (median of the last 20 / first 20) | {' | '.join(shown + ratios)} |"
        )

    heads = {MEMORY: "bare Rasa, in-memory tracker", STOCK: "bare Rasa, stock Redis tracker", FULL: "full stack"}
    ratio_heads = {MEMORY: "full / in-memory bare", STOCK: "full / stock Redis bare"}
    columns = [heads[n] for n in names] + [ratio_heads[n] for n in names if n != FULL]
    growth_turns = sorted({len(results[n]["growth"]) for n in names} | {min(100, args.turns)})
    lines = [
        f"| measure | {' | '.join(columns)} |",
        "|" + " --- |" * (len(columns) + 1),
        row("p50 latency per turn", lambda r: statistics.median(r["lat"]), "ms"),
        row("p95 latency per turn", lambda r: percentile(r["lat"], 0.95), "ms"),
        row(
            f"p50 latency, the {len(SHORT_TEXTS)} short messages",
            lambda r: statistics.median(r["lat_short"]),
            "ms",
        ),
        row(
            f"p50 latency, the {len(MIX) - len(SHORT_TEXTS)} long messages",
            lambda r: statistics.median(r["lat_long"]),
            "ms",
        ),
        row("throughput, 1 conversation", lambda r: statistics.median(r["tp1"]), "msg/s"),
        row("throughput, 10 conversations", lambda r: statistics.median(r["tp10"]), "msg/s"),
        *(growth_row(turns) for turns in growth_turns if turns <= len(full["growth"])),
        f"| start-up to healthy | {cells(extra['startup'], 's')} |",
    ]
    return lines


def report(results: dict[str, dict[str, list[float]]], extra: dict, args: argparse.Namespace) -> str:
    per_round = args.messages // args.rounds
    stock = (
        f"The second baseline, bare Rasa on Rasa's stock `RedisTrackerStore` (scripts/bench_endpoints.yml), "
        "replays a conversation's whole history on every turn. To keep the run short it takes part in one of "
        f"every {args.stock_every} rounds only (`--stock-every`), and its long conversation runs to "
        f"{min(args.stock_turns, args.turns)} turns (`--stock-turns`): by turn 300 it takes seconds per turn."
        if STOCK in results
        else "The stock Redis baseline was not run (`--stock-every 0`)."
    )
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (scripts/bench.py) on {time.strftime('%Y-%m-%d')}. Machine: {machine()}.",
        f"Bare: `rasa run` with the REST channel. Full: gateway -> Rasa gateway channel -> `bot/tracker_store.py` "
        f"on Redis -> action server. Same model (`{model_path().name}`), same Redis lock store, same action server, "
        f"same message mix of {len(MIX)} messages in four languages ({len(SHORT_TEXTS)} short ones and "
        f"{len(MIX) - len(SHORT_TEXTS)} stories of three to five sentences that end with a request), "
        f"{args.messages} messages per measurement in {args.rounds} alternating rounds; conversations in these "
        f"rounds run to {per_round} turns.",
        "",
        "The main baseline is bare Rasa on its default in-memory tracker store "
        "(scripts/bench_endpoints_memory.yml): no tracker store could cost less, so full / in-memory bare is "
        f"what the gateway, the Redis tracker store and the lock cost per turn. {stock}",
        "",
        *comparison(results, extra, args),
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
        *(
            f"| {heads} (for comparison) | {extra['bare_memory'][name]:.0f} |"
            for name, heads in BARE_HEADS.items()
            if name in extra["bare_memory"]
        ),
        "",
    ]
    if extra.get("training") is not None:
        lines.append(f"Training from an empty cache: {extra['training']:.0f} s.")
    lines.append("")
    return "\n".join(lines)


BARE_HEADS = {MEMORY: "bare `rasa run`, in-memory tracker", STOCK: "bare `rasa run`, stock Redis tracker"}
BARE_ENDPOINTS = {MEMORY: "scripts/bench_endpoints_memory.yml", STOCK: "scripts/bench_endpoints.yml"}


def write_report(path: Path, text: str) -> None:
    """The bench's part of the file is replaced; the sections after it (from the first ``## ``
    heading: notes of earlier issues) are kept."""
    kept = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        at = old.find("\n## ")
        kept = old[at + 1 :] if at >= 0 else ""
    path.write_text(text + ("\n" + kept if kept else ""), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=240)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument(
        "--stock-every",
        type=int,
        default=2,
        help="the stock Redis baseline takes part in every N-th round (default 2; 0: not run at all)",
    )
    parser.add_argument(
        "--stock-turns",
        type=int,
        default=100,
        help="turns of the stock Redis baseline's long conversation (default 100: by turn 300 it takes seconds "
        "per turn, and that one conversation would take a quarter of an hour)",
    )
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
        bare: dict[str, subprocess.Popen] = {}
        try:
            stack.start()
            startup = {FULL: stack.startup_seconds}
            language_of = {text: language for language, text in MIX}
            targets = []
            # One after the other, so that each start-up time is its own on this machine.
            for name in (MEMORY, STOCK) if args.stock_every else (MEMORY,):
                port = free_port()
                bare[name], startup[name] = start_bare(stack, port, model, BARE_ENDPOINTS[name], f"bare-rasa-{name}")
                targets.append(Target(name, f"http://127.0.0.1:{port}", bare_sender(language_of)))
            full = Target(FULL, stack.gateway_url, send_full)
            targets.append(full)
            turns = {MEMORY: args.turns, STOCK: min(args.stock_turns, args.turns), FULL: args.turns}
            results = asyncio.run(measure(targets, args.messages, turns, args.rounds, args.stock_every or 1))
            # The bare processes are done: measured now, and stopped before the full stack's extras.
            bare_memory = {name: rss_mb(process.pid) for name, process in bare.items()}
            for process in bare.values():
                process.terminate()
                process.wait(timeout=20)
            lookups = asyncio.run(case_lookups(full, 60))[10:]
            failures, _ = failure_timings(
                f"http://127.0.0.1:{stack.ports.actions}/webhook", import_pool(stack.environment(), Path(tmp)), 200
            )
            logins = asyncio.run(chat_under_logins(full, 60))
            memory = {name: rss_mb(p.pid) for name, p in stack.processes.items()}
            rasa_url = f"http://127.0.0.1:{stack.ports.rasa}"
            redis_base = (stack.redis_url or "").rsplit("/", 1)[0]
            acks = {
                delay: measure_acks(stack.environment(), rasa_url, f"{redis_base}/{db}", delay)
                for db, delay in ((1, 0.0), (2, WHATSAPP_SLOW_RASA_SECONDS))
            }
            extra = {
                "startup": startup,
                "memory": memory,
                "bare_memory": bare_memory,
                "lookups": lookups,
                "whatsapp_acks": acks,
                "logins": logins,
                "lookup_failures": failures,
            }
        finally:
            for process in bare.values():
                if process.poll() is None:
                    process.terminate()
                    process.wait(timeout=20)
            stack.stop()
    extra["training"] = None if args.skip_training else training_seconds()
    text = report(results, extra, args)
    write_report(ROOT / args.out, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
