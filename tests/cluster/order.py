"""The order test, shared by the cluster with the project's lock store (test_cluster.py) and the
one with Rasa's stock store (test_cluster_stock.py): the same load and the same checks."""

from __future__ import annotations

import asyncio

from scripts.cluster import Cluster
from tests.cluster.conftest import Figures
from tests.cluster.load import burst, problems, summary

CONVERSATIONS = 50
MESSAGES = 20
# Each conversation's messages go 10 at a time, the next 10 once those are answered: turns of one
# conversation arriving together at 3 Rasa replicas are what the stock lock store gets wrong (sent
# one by one, the lock would never be contended). Measured with the stock store: 5 at a time broke
# 2 to 9 of the 50 conversations per run, too few to fail every time; 10 at a time broke 9.
AT_ONCE = 10
ANSWER_SECONDS = 90.0  # the client's bound per request (the gateway's own Rasa timeout is below it)
# Under this load (up to 500 messages in flight on 2 cores) a turn waits for the 9 sent with it and
# for the machine: up to about 32 s measured, so the cluster's gateways give Rasa 60 s, not 30 s
# (a waiting turn's lock is given up after 60 s: bot/lock_store.py).
RASA_TIMEOUT = {"WEGWIJS_RASA_TIMEOUT": "60"}


def check_order(cluster: Cluster, figures: Figures, label: str) -> None:
    result = asyncio.run(burst(cluster.public_url, CONVERSATIONS, MESSAGES, AT_ONCE, ANSWER_SECONDS))
    found = problems(result, cluster.redis_url)
    section = f"Order: {CONVERSATIONS} conversations x {MESSAGES} messages, {AT_ONCE} at a time"
    figures.add(
        section,
        f"{label} ({cluster.gateways} gateways, {cluster.rasa} Rasa, {cluster.actions} action servers; "
        f"cluster healthy {cluster.startup_seconds:.0f} s after start): {summary(result)}; "
        f"conversations with a lost, doubled, interleaved or misplaced turn: {len(found)} of {CONVERSATIONS}",
    )
    shown = "\n".join(
        f"{conversation[:8]}...: {'; '.join(wrong[:4])}" for conversation, wrong in list(found.items())[:5]
    )
    assert not found, f"{len(found)} of {CONVERSATIONS} conversations are not in order:\n{shown}"
