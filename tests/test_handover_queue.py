"""The hand-over queue against a real redis-server: order, atomic claims, one open ticket per
conversation, and tickets that survive restarts."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from tests.conftest import RedisServer
from wegwijs.handover.tickets import Callback, TicketQueue


def run(coroutine):
    return asyncio.run(coroutine)


def queue_for(server: RedisServer) -> tuple[Redis, TicketQueue]:
    redis = Redis(host="127.0.0.1", port=server.port)
    return redis, TicketQueue(redis)


def test_safety_jumps_ahead_of_earlier_normal_tickets(redis_server: RedisServer) -> None:
    async def scenario():
        redis, queue = queue_for(redis_server)
        first = await queue.open("c1", "api", "fa-AF", "voluntary_return", "normal", "user_request")
        second = await queue.open("c2", "api", "nl", "contact", "normal", "repeated_fallback")
        urgent = await queue.open("c3", "api", "ar", "safety", "urgent", "safety")
        order = [t.id for t in await queue.queued()]
        positions = [await queue.position(t.id) for t in (first, second, urgent)]
        dari = [t.id for t in await queue.queued(language="fa-AF")]
        await redis.close()
        return order, positions, dari, (first.id, second.id, urgent.id)

    order, positions, dari, (first, second, urgent) = run(scenario())
    assert order == [urgent, first, second]
    assert positions == [2, 3, 1]
    assert dari == [first]


def test_a_conversation_has_one_open_ticket(redis_server: RedisServer) -> None:
    async def scenario():
        redis, queue = queue_for(redis_server)
        one = await queue.open("c1", "api", "nl", "contact", "normal", "user_request")
        again = await queue.open("c1", "api", "nl", "contact", "urgent", "safety")
        closed = await queue.close(one.id)
        fresh = await queue.open("c1", "api", "nl", "contact", "normal", "user_request")
        await redis.close()
        return one, again, closed, fresh

    one, again, closed, fresh = run(scenario())
    assert again.id == one.id and closed and fresh.id != one.id


def test_concurrent_claims_exactly_one_wins(redis_server: RedisServer) -> None:
    async def scenario():
        clients = [queue_for(redis_server) for _ in range(10)]
        ticket = await clients[0][1].open("c1", "api", "nl", "contact", "normal", "user_request")
        wins = await asyncio.gather(*(queue.claim(ticket.id, f"agent{n}") for n, (_, queue) in enumerate(clients)))
        stored = await clients[0][1].get(ticket.id)
        position = await clients[0][1].position(ticket.id)
        for redis, _ in clients:
            await redis.close()
        return wins, stored, position

    wins, stored, position = run(scenario())
    assert sum(wins) == 1
    assert stored.status == "active" and stored.holder == f"agent{wins.index(True)}"
    assert position is None, "a claimed ticket leaves the queue"


def test_only_the_holder_closes_an_active_ticket(redis_server: RedisServer) -> None:
    async def scenario():
        redis, queue = queue_for(redis_server)
        ticket = await queue.open("c1", "api", "nl", "contact", "normal", "user_request")
        await queue.claim(ticket.id, "anna")
        by_other = await queue.close(ticket.id, holder="bram")
        by_holder = await queue.close(ticket.id, holder="anna")
        twice = await queue.close(ticket.id, holder="anna")
        open_now = await queue.open_for("c1")
        await redis.close()
        return by_other, by_holder, twice, open_now

    assert run(scenario()) == (False, True, False, None)


def test_tickets_survive_a_redis_restart(redis_server: RedisServer) -> None:
    async def before():
        redis, queue = queue_for(redis_server)
        queued = await queue.open("c1", "api", "fa-AF", "voluntary_return", "normal", "user_request")
        active = await queue.open("c2", "api", "ar", "safety", "urgent", "safety")
        await queue.claim(active.id, "anna")
        await redis.close()
        return queued, active

    async def after():
        redis, queue = queue_for(redis_server)
        result = [await queue.get(t.id) for t in tickets], await queue.queued(), await queue.open_for("c2")
        await redis.close()
        return result

    tickets = run(before())
    redis_server.stop()
    redis_server.start()
    stored, queued, open_c2 = run(after())
    assert [t.status for t in stored] == ["queued", "active"]
    assert [t.id for t in queued] == [tickets[0].id]
    assert open_c2.holder == "anna"


def test_an_unknown_reason_is_refused(redis_server: RedisServer) -> None:
    async def scenario():
        redis, queue = queue_for(redis_server)
        try:
            await queue.open("c1", "api", "nl", "contact", "normal", "because")
        finally:
            await redis.close()

    with pytest.raises(ValueError, match="unknown hand-over reason"):
        run(scenario())


def test_a_call_back_keeps_its_number_until_closed(redis_server: RedisServer) -> None:
    async def scenario():
        redis, queue = queue_for(redis_server)
        callback = Callback(phone="+93701234567", time="morning", consented=1.0)
        ticket = await queue.open("c1", "whatsapp", "fa-AF", "voluntary_return", "normal", "user_request", callback)
        stored = await queue.get(ticket.id)
        await queue.close(ticket.id)
        closed = await queue.get(ticket.id)
        await redis.close()
        return stored, closed

    stored, closed = run(scenario())
    assert stored.is_callback and (stored.callback_phone, stored.callback_time) == ("+93701234567", "morning")
    assert closed.status == "closed" and closed.callback_phone == "" and closed.callback_time == "morning"


def test_a_call_back_needs_a_known_time_and_an_international_number() -> None:
    with pytest.raises(ValueError):
        Callback(phone="+93701234567", time="midnight", consented=1.0)
    with pytest.raises(ValueError):
        Callback(phone="0701234567", time="any", consented=1.0)


def test_escalating_moves_a_queued_ticket_ahead_of_normal_ones(redis_server: RedisServer) -> None:
    async def scenario():
        redis, queue = queue_for(redis_server)
        first = await queue.open("c1", "api", "nl", "contact", "normal", "user_request")
        later = await queue.open("c2", "api", "en", "contact", "normal", "user_request")
        await queue.escalate(later.id)
        order = [t.id for t in await queue.queued()]
        escalated = await queue.get(later.id)
        await redis.close()
        return order, escalated, first.id

    order, escalated, first = run(scenario())
    assert order == [escalated.id, first] and escalated.priority == "urgent"
