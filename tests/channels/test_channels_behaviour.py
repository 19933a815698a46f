"""Channels on both backends (memory and a real Redis): publish/subscribe, ordering, replay, history bounds,
backpressure and unsubscribing, through the public API."""

from __future__ import annotations

import datetime
import json
import random
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import anyio
import pytest
from channels_support import BackendFactory, Item, ids, other_tasks, take, wait_until
from pydantic import BaseModel

from vivace.channels import Channels, Gap, InvalidChannel, InvalidMessageId, Message


class Note(BaseModel):
    text: str
    at: datetime.date


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    anyio.run(scenario)


def test_json_values_reach_subscribers_in_order(make_backend: BackendFactory) -> None:
    """Dicts, lists, strings, numbers and pydantic models arrive as JSON, in publish order, with rising ids."""
    channels = Channels(make_backend())
    values: list[Any] = [{"n": 1}, [1, "two"], "three", 4, None, Note(text="hi", at=datetime.date(2024, 5, 1))]

    async def scenario() -> None:
        async with channels, channels.subscribe("room") as subscription:
            published = [await channels.publish("room", value) for value in values]
            items = await take(subscription, len(values))
        assert ids(items) == published
        assert [m.data for m in items if isinstance(m, Message)] == [
            {"n": 1}, [1, "two"], "three", 4, None, {"text": "hi", "at": "2024-05-01"},
        ]  # fmt: skip
        keys = [channels.backend.order(i) for i in published]
        assert keys == sorted(keys) and len(set(keys)) == len(keys)
        first = items[0]
        assert isinstance(first, Message)
        assert (first.channel, first.kind, first.text) == ("room", "json", '{"n":1}')
        assert first.envelope() == f'{{"channel":"room","id":"{first.id}","data":{{"n":1}}}}'

    run(scenario)


def test_bytes_messages_keep_their_bytes(make_backend: BackendFactory) -> None:
    """Bytes are published as they are; over SSE they become the base64 `bytes` event."""
    channels = Channels(make_backend())

    async def scenario() -> None:
        async with channels, channels.subscribe("blobs") as subscription:
            await channels.publish("blobs", b"\x00\xffraw")
            [message] = await take(subscription, 1)
        assert isinstance(message, Message)
        assert (message.kind, message.payload, message.data) == ("bytes", b"\x00\xffraw", b"\x00\xffraw")
        event = message.event()
        assert (event.event, event.raw_data, event.id) == ("bytes", "AP9yYXc=", message.id)
        with pytest.raises(TypeError):
            message.envelope()

    run(scenario)


def test_many_messages_keep_their_order(make_backend: BackendFactory) -> None:
    """300 messages published in a row arrive in the same order, none missing, none twice."""
    channels = Channels(make_backend(), queue_size=1000)

    async def scenario() -> None:
        async with channels, channels.subscribe("seq") as subscription:
            published = [await channels.publish("seq", n) for n in range(300)]
            items = await take(subscription, 300)
        assert ids(items) == published
        assert [m.data for m in items if isinstance(m, Message)] == list(range(300))

    run(scenario)


def test_channels_are_separate(make_backend: BackendFactory) -> None:
    """A subscriber of one channel never sees another channel's messages."""
    channels = Channels(make_backend())

    async def scenario() -> None:
        async with channels, channels.subscribe("a") as a, channels.subscribe("b") as b:
            await channels.publish("b", "for b")
            await channels.publish("a", "for a")
            [got_a] = await take(a, 1)
            [got_b] = await take(b, 1)
        assert isinstance(got_a, Message) and isinstance(got_b, Message)
        assert (got_a.data, got_b.data) == ("for a", "for b")

    run(scenario)


def test_one_message_object_is_shared_by_all_local_subscribers(make_backend: BackendFactory) -> None:
    """Fan-out hands the same Message to every subscriber, so its SSE event and envelope are built once."""
    channels = Channels(make_backend())

    async def scenario() -> None:
        async with channels, AsyncExitStack() as stack:
            subscriptions = [await stack.enter_async_context(channels.subscribe("fan")) for _ in range(50)]
            assert channels.subscriber_count("fan") == 50
            await channels.publish("fan", {"hello": "all"})
            received = [(await take(s, 1))[0] for s in subscriptions]
            assert all(item is received[0] for item in received)
            first = received[0]
            assert isinstance(first, Message)
            assert first.event() is first.event()
            await stack.aclose()
            assert channels.subscriber_count() == 0

    run(scenario)


def test_replay_gives_exactly_the_missed_messages_then_live_ones(make_backend: BackendFactory) -> None:
    """Resuming after an id replays every later message once, in order, then continues with live ones."""
    channels = Channels(make_backend(), replay_page=3)

    async def scenario() -> None:
        async with channels:
            published = [await channels.publish("feed", n) for n in range(10)]
            async with channels.subscribe("feed", last_id=published[3]) as subscription:
                published.append(await channels.publish("feed", 10))
                items = await take(subscription, 7)
                assert ids(items) == published[4:]
                assert subscription.last_id == published[-1]
            async with channels.subscribe("feed", last_id=published[-1]) as caught_up:
                published.append(await channels.publish("feed", 11))
                assert ids(await take(caught_up, 1)) == published[-1:]

    run(scenario)


def test_replay_from_zero_gives_all_retained_history(make_backend: BackendFactory) -> None:
    """`last_id="0"` asks for everything retained; nothing was trimmed, so there is no gap marker."""
    channels = Channels(make_backend())

    async def scenario() -> None:
        async with channels:
            published = [await channels.publish("all", n) for n in range(5)]
            async with channels.subscribe("all", last_id="0") as subscription:
                assert ids(await take(subscription, 5)) == published

    run(scenario)


def test_replay_older_than_history_starts_with_a_gap_marker(make_backend: BackendFactory, backend_kind: str) -> None:
    """When the id is older than the retained history, a `history` gap comes first, then what is retained."""
    channels = Channels(make_backend(history=5))

    async def scenario() -> None:
        async with channels:
            published = [await channels.publish("short", n) for n in range(12)]
            async with channels.subscribe("short", last_id=published[2]) as subscription:
                gap, *rest = await take(subscription, 6)
        assert isinstance(gap, Gap)
        # the memory backend's ids are consecutive, so it knows the count (8 messages: ids 4..8 of 1..12)
        missed = 4 if backend_kind == "memory" else None
        assert gap == Gap("short", "history", published[2], missed)
        assert ids(rest) == published[-5:]
        assert gap.event().event == "gap" and gap.event().id is None
        summary = {"reason": "history", "after": published[2], "missed": missed}
        assert json.loads(gap.envelope()) == {"channel": "short", "gap": summary}

    run(scenario)


def test_history_is_bounded_by_age(make_backend: BackendFactory) -> None:
    """Messages older than max_age are not replayed: the reader gets a gap, then only the recent ones."""
    channels = Channels(make_backend(max_age=0.3))

    async def scenario() -> None:
        async with channels:
            old = [await channels.publish("aging", n) for n in range(3)]
            await anyio.sleep(0.6)
            recent = await channels.publish("aging", "new")
            async with channels.subscribe("aging", last_id=old[0]) as subscription:
                gap, message = await take(subscription, 2)
        assert isinstance(gap, Gap) and gap.reason == "history"
        assert ids([message]) == [recent]

    run(scenario)


def test_an_id_this_history_never_gave_restarts_from_the_oldest(make_backend: BackendFactory) -> None:
    """An id newer than anything published (the history was lost, e.g. a restart) gives a gap, then all."""
    channels = Channels(make_backend())

    async def scenario() -> None:
        async with channels:
            published = [await channels.publish("reset", n) for n in range(3)]
            future = "99999999" if published[0].isdigit() else "99999999999999-0"
            async with channels.subscribe("reset", last_id=future) as subscription:
                gap, *rest = await take(subscription, 4)
        assert gap == Gap("reset", "history", future, None)
        assert ids(rest) == published

    run(scenario)


def test_replay_races_with_publishing_without_gaps_or_duplicates(make_backend: BackendFactory) -> None:
    """Subscribers joining from random ids while messages keep coming see every later message exactly once;
    the only holes are overflow drops, each announced by a gap marker with the exact count."""
    channels = Channels(make_backend(), queue_size=4, replay_page=5)
    total = 120
    published: list[str] = []
    results: list[tuple[int, list[Item]]] = []
    rng = random.Random(7)

    async def subscriber(start: int) -> None:
        last_id = published[start]
        async with channels.subscribe("race", last_id=last_id) as subscription:
            items: list[Item] = []
            with anyio.fail_after(20):
                async for item in subscription:
                    items.append(item)
                    if rng.random() < 0.2:
                        await anyio.sleep(0)  # now and then a slower consumer
                    if isinstance(item, Message) and item.data == total - 1:
                        break
            results.append((start, items))

    async def scenario() -> None:
        async with channels:
            published.extend([await channels.publish("race", n) for n in range(10)])
            async with anyio.create_task_group() as group:
                for n in range(10, total):
                    if n % 15 == 0:
                        group.start_soon(subscriber, rng.randrange(len(published)))
                    published.append(await channels.publish("race", n))
                    if n % 3 == 0:
                        await anyio.sleep(0)

    run(scenario)
    assert len(results) == 7
    for start, items in results:
        expected = published[start + 1 :]
        position = 0
        for item in items:
            if isinstance(item, Gap):
                assert item.reason == "overflow" and item.missed
                position += item.missed
            else:
                assert item.id == expected[position], f"from {start}: a duplicate or a hole without a marker: {items}"
                position += 1
        assert position == len(expected)


def test_drop_oldest_keeps_the_queue_bounded_and_marks_the_gap(make_backend: BackendFactory) -> None:
    """A subscriber that does not read keeps at most queue_size messages; it then gets an overflow gap
    with the exact count, followed by the newest messages."""
    channels = Channels(make_backend(), queue_size=3, overflow="drop_oldest")

    async def scenario() -> None:
        async with channels, channels.subscribe("busy") as subscription:
            published = []
            for n in range(10):
                published.append(await channels.publish("busy", n))
                assert subscription.pending <= 3
            await wait_until(lambda: subscription.pending + subscription.dropped == 10)
            assert subscription.pending == 3
            gap, *newest = await take(subscription, 4)
            assert gap == Gap("busy", "overflow", None, 7)
            assert ids(newest) == published[-3:]
            # later drops name the last message the subscriber did get
            published += [await channels.publish("busy", 10 + n) for n in range(5)]
            await wait_until(lambda: subscription.pending + subscription.dropped == 12)
            gap, *newest = await take(subscription, 4)
            assert gap == Gap("busy", "overflow", published[9], 2)
            assert ids(newest) == published[-3:]

    run(scenario)


def test_disconnect_policy_ends_a_slow_subscription(make_backend: BackendFactory) -> None:
    """Under `disconnect`, a full queue ends the subscription: its iteration stops and it is unsubscribed;
    resuming from its last id replays what it had not read."""
    channels = Channels(make_backend(), queue_size=3)

    async def scenario() -> None:
        async with channels:
            async with channels.subscribe("slow", overflow="disconnect") as subscription:
                published = [await channels.publish("slow", 0)]
                assert ids(await take(subscription, 1)) == published
                published += [await channels.publish("slow", n) for n in range(1, 6)]
                await wait_until(lambda: subscription.ended is not None)
                assert (subscription.ended, subscription.pending) == ("overflow", 0)
                assert await take(subscription, 1) == []
                assert channels.subscriber_count() == 0
            async with channels.subscribe("slow", last_id=subscription.last_id) as resumed:
                assert ids(await take(resumed, 5)) == published[1:]

    run(scenario)


def test_unsubscribing_leaves_nothing_behind(make_backend: BackendFactory) -> None:
    """Leaving the block unsubscribes; after the channels close no task of theirs is left running."""
    channels = Channels(make_backend())

    async def scenario() -> None:
        before = other_tasks()
        async with channels:
            for _ in range(3):
                async with channels.subscribe("temp") as subscription:
                    await channels.publish("temp", "x")
                    await take(subscription, 1)
                assert channels.subscriber_count() == 0
            async with channels.subscribe("temp") as subscription:
                pass
            assert subscription.ended == "closed"
        assert other_tasks() == before

    run(scenario)


def test_closing_the_channels_ends_every_subscription(make_backend: BackendFactory) -> None:
    """At shutdown every subscription ends with `closed`, so endpoints waiting on one return."""
    channels = Channels(make_backend())
    ended: list[str | None] = []

    async def listener(subscription: Any) -> None:
        await take(subscription, 1)
        ended.append(subscription.ended)

    async def scenario() -> None:
        async with anyio.create_task_group() as group, AsyncExitStack() as subscriptions, channels:
            for _ in range(2):
                group.start_soon(listener, await subscriptions.enter_async_context(channels.subscribe("bye")))
            await anyio.sleep(0.05)
            # the channels are closed while the subscriptions' blocks are still open

    run(scenario)
    assert ended == ["closed", "closed"]


def test_bad_names_and_ids_are_client_errors(make_backend: BackendFactory) -> None:
    """Empty, overlong or multi-line channel names and malformed ids are 400s, not server errors."""
    channels = Channels(make_backend())

    async def scenario() -> None:
        async with channels:
            for name in ["", "x" * 201, "a\nb"]:
                with pytest.raises(InvalidChannel) as caught:
                    await channels.publish(name, 1)
                assert caught.value.status_code == 400
            for bad in ["abc", "1-x", "-1", "1" * 30]:
                with pytest.raises(InvalidMessageId) as invalid:
                    async with channels.subscribe("ok", last_id=bad):
                        pass
                assert invalid.value.status_code == 400
            assert channels.subscriber_count() == 0

    run(scenario)
