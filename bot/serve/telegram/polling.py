"""Long polling, confirming updates only once they are handled.

``getUpdates`` confirms every update below the ``offset`` it is given, so a
batch is handled -- chats side by side, each chat's updates in order --
before the next call confirms what was handled. A crash mid-batch loses
nothing: Telegram sends the batch again, and updates whose turns were
committed are recognised by their ids and not answered twice. A stop asked
for mid-batch lets each chat finish the update in hand (for at most
``shutdown_timeout``), and confirms only the updates before the first one
left. Polling is for one instance; several instances take the webhook.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, TimedOut

from bot.serve.telegram.app import ALLOWED_UPDATES, Adapter, App
from bot.serve.telegram.settings import Settings

__all__ = ["poll"]

_LOGGER = logging.getLogger("bot.telegram")
#: Updates asked for per getUpdates (Telegram's maximum).
BATCH = 100


async def poll(app: App, adapter: Adapter, settings: Settings, stop: asyncio.Event) -> None:
    """Fetch and handle updates until ``stop`` is set; the batch in hand is finished first."""
    offset: int | None = None
    delay = 1.0
    while not stop.is_set():
        fetch = asyncio.ensure_future(
            app.bot.get_updates(
                offset=offset,
                limit=BATCH,
                timeout=int(settings.poll_timeout),
                allowed_updates=list(ALLOWED_UPDATES),
            )
        )
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not fetch.done():
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await fetch
            break
        try:
            updates = fetch.result()
        except InvalidToken:
            raise
        except (NetworkError, TimedOut, Conflict) as exc:  # Conflict: another poller, or a webhook
            _LOGGER.warning("fetching updates failed (%s); retrying in %.0fs", exc, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(30.0, delay * 1.5)
            continue
        delay = 1.0
        if updates:
            handled = await _handle_until_stopped(app, adapter, updates, settings, stop)
            left = [u.update_id for u in updates if u.update_id not in handled]
            offset = min(left) if left else updates[-1].update_id + 1
    if offset is not None:  # confirm the last batch, so a restart does not fetch it again
        with contextlib.suppress(NetworkError, TimedOut):
            await app.bot.get_updates(offset=offset, limit=1, timeout=0)


async def _handle_until_stopped(
    app: App, adapter: Adapter, updates: Sequence[Update], settings: Settings, stop: asyncio.Event
) -> set[int]:
    """:func:`handle_batch`, given ``shutdown_timeout`` to finish once ``stop`` is set."""
    handled: set[int] = set()
    batch = asyncio.ensure_future(
        handle_batch(app, adapter, updates, settings.max_in_flight, stop, handled)
    )
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({batch, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not batch.done():
        await asyncio.wait({batch}, timeout=settings.shutdown_timeout)
        if not batch.done():
            _LOGGER.warning("stopping with updates unfinished; Telegram will send them again")
            batch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await batch
    stopping.cancel()
    if batch.done() and not batch.cancelled() and batch.exception() is not None:
        raise batch.exception()  # type: ignore[misc]
    return handled


async def handle_batch(
    app: App,
    adapter: Adapter,
    updates: Sequence[Update],
    concurrency: int,
    stop: asyncio.Event | None = None,
    handled: set[int] | None = None,
) -> None:
    """Handle ``updates``: chats side by side, each chat's updates one after another, in order.

    Stops taking a chat's next update once ``stop`` is set; the ids of the
    updates handled go into ``handled``.
    """
    handled = handled if handled is not None else set()
    queues: dict[object, list[Update]] = {}
    for update in updates:
        queues.setdefault(_sender(update), []).append(update)
    gate = asyncio.Semaphore(concurrency)

    async def run(queue: list[Update]) -> None:
        async with gate:
            for update in queue:
                while stop is None or not stop.is_set():
                    if (await adapter.handle(app, update)).value != "busy":
                        handled.add(update.update_id)
                        break
                    # A chat still locked by a process that died: its lock expires.
                    await asyncio.sleep(adapter.settings.lock_ttl / 4)
                else:
                    return

    await asyncio.gather(*(run(queue) for queue in queues.values()))


def _sender(update: Update) -> object:
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    return ("update", update.update_id)
