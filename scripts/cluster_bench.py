"""Throughput and soak figures of the replicated topology (`make cluster`'s Cluster class):

    python -m scripts.cluster_bench throughput   # 1 Rasa replica against 2, the same load, one run
    python -m scripts.cluster_bench soak         # 100 conversations at once for 10 minutes

Throughput: for 1 and then 2 Rasa replicas (2 gateways, 2 action servers), ``--conversations``
conversations each send ``--messages`` messages one after another, as fast as answers come; the
figure is turns per second and the ratio. Soak: ``--conversations`` (100) conversations send one
message after another for ``--seconds`` (600); errors (anything but a 200 with a reply), p50, p95
and p99, and each process's resident memory after a warm-up and at the end. Both append their
figures to results/cluster-bench.md. Load loops are bounded by count or time, on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from api.rate_limits import generous_env
from scripts.bench import percentile
from scripts.cluster import Cluster, ClusterPorts
from scripts.train import model_path
from tests.cluster.load import PHRASES, cookieless, new_conversations
from wegwijs.paths import ROOT

RESULTS = ROOT / "results" / "cluster-bench.md"


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    kinds: dict[str, int] = field(default_factory=dict)  # what the errors were: a status or an exception
    seconds: float = 0.0


def messages(count: int) -> list[str]:
    """A greeting and a question about return in turn (PHRASES), each numbered."""
    return [PHRASES[n % len(PHRASES)].format(word=str(n + 1)) for n in range(count)]


async def conversation_loop(client: httpx.AsyncClient, conversation: str, load: Load, until: float, count: int) -> None:
    for text in messages(count):
        if time.monotonic() >= until:
            return
        started = time.monotonic()
        try:
            answer = await client.post("/api/v1/messages", json={"conversation_id": conversation, "text": text})
            ok = answer.status_code == 200 and bool(answer.json().get("messages"))
            kind = str(answer.status_code)
        except (httpx.HTTPError, ValueError) as error:
            ok, kind = False, type(error).__name__
        load.latencies.append(time.monotonic() - started)
        if not ok:
            load.errors += 1
            load.kinds[kind] = load.kinds.get(kind, 0) + 1


async def run_load(url: str, conversations: int, messages: int, seconds: float) -> Load:
    limits = httpx.Limits(max_connections=conversations, max_keepalive_connections=conversations)
    async with httpx.AsyncClient(base_url=url, timeout=90, limits=limits, cookies=cookieless()) as client:
        ids = await new_conversations(client, conversations)
        load = Load()
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(*(conversation_loop(client, c, load, until, messages) for c in ids))
        load.seconds = time.monotonic() - started
        return load


def start(folder: Path, rasa: int) -> Cluster:
    cluster = Cluster(
        gateways=2,
        rasa=rasa,
        actions=2,
        ports=ClusterPorts.free(2, rasa, 2),
        run_dir=folder,
        model=model_path(),
        quiet=True,
        extra_env=generous_env(),  # the load is one client: no rate limit may refuse it
    )
    cluster.start(timeout=360)
    return cluster


def memory_kib(cluster: Cluster) -> dict[str, int]:
    """Resident memory of each replica (VmRSS), by supervisord's program name."""
    out = {}
    for program in cluster.replicas():
        status = Path(f"/proc/{cluster.pid(program)}/status").read_text()
        out[program.name] = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
    return out


def record(lines: list[str]) -> None:
    RESULTS.parent.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(f"\n## {stamp}\n\n" + "\n".join(f"- {line}" for line in lines) + "\n")
    print("\n".join(lines))


def throughput(conversations: int, messages: int) -> None:
    rates = {}
    lines = []
    for rasa in (1, 2):
        with tempfile.TemporaryDirectory(prefix="cluster-bench-") as folder:
            cluster = start(Path(folder), rasa)
            try:
                asyncio.run(run_load(cluster.public_url, 4, 3, 120))  # warm-up: models, pools, caches
                load = asyncio.run(run_load(cluster.public_url, conversations, messages, 3600))
            finally:
                cluster.stop()
        rates[rasa] = len(load.latencies) / load.seconds
        lines.append(
            f"throughput, {rasa} Rasa replica(s), 2 gateways, 2 action servers: {len(load.latencies)} turns "
            f"({conversations} conversations x {messages}) in {load.seconds:.1f} s = {rates[rasa]:.1f} turns/s, "
            f"p50 {percentile(sorted(load.latencies), 0.5):.2f} s, errors {load.errors}"
        )
    lines.append(f"throughput ratio, 2 Rasa replicas against 1: {rates[2] / rates[1]:.2f} x")
    record(lines)


def soak(conversations: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory(prefix="cluster-soak-") as folder:
        cluster = start(Path(folder), 2)
        try:
            asyncio.run(run_load(cluster.public_url, conversations, 2, 300))  # warm-up
            before = memory_kib(cluster)
            load = asyncio.run(run_load(cluster.public_url, conversations, 10_000, seconds))
            after = memory_kib(cluster)
        finally:
            cluster.stop()
    latencies = sorted(load.latencies)
    growth = ", ".join(f"{name} {100 * (after[name] - before[name]) / before[name]:+.1f} %" for name in sorted(before))
    record(
        [
            f"soak, 2 gateways, 2 Rasa, 2 action servers: {conversations} conversations at once for "
            f"{load.seconds:.0f} s: {len(latencies)} turns, {load.errors} errors {load.kinds}; p50 "
            f"{percentile(latencies, 0.5):.2f} s, p95 {percentile(latencies, 0.95):.2f} s, "
            f"p99 {percentile(latencies, 0.99):.2f} s",
            f"soak memory growth per process (resident, after warm-up to the end): {growth}",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.cluster_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("throughput", "soak"))
    parser.add_argument("--conversations", type=int)
    parser.add_argument("--messages", type=int, default=15)
    parser.add_argument("--seconds", type=float, default=600)
    args = parser.parse_args()
    if args.what == "throughput":
        throughput(args.conversations or 20, args.messages)
    else:
        soak(args.conversations or 100, args.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
