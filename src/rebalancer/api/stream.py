"""``GET /events``: the live event stream as server-sent events.

Each event is one SSE message: ``id`` is its log id, ``event`` its name, ``data`` the event as
JSON (the same object ``/events/log`` lists). A client that reconnects with ``Last-Event-ID``
(or ``?after=ID``) first gets the logged events it missed, then the live ones; ids are
increasing, so nothing is sent twice. The stream is one pull subscription of the event hub
with a bounded queue: a client too slow to read loses the oldest ordinary events (counted under
the subscriber name ``api-stream``), never the daemon's time.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web
from aiohttp_sse import sse_response

from rebalancer.api.context import ApiContext
from rebalancer.api.errors import ApiError
from rebalancer.api.models import EventsQuery
from rebalancer.api.reads import logged_event
from rebalancer.domain.events import Published

log = logging.getLogger(__name__)

STREAM_SUBSCRIBER = "api-stream"
STREAM_QUEUE = 1000
REPLAY_LIMIT = 1000
PING_INTERVAL_S = 15.0


class EventStream:
    """Serves ``GET /events``."""

    def __init__(self, context: ApiContext) -> None:
        self._context = context

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Replay what the client missed, then stream until it goes away or the daemon stops."""
        after = _resume_point(request)
        hub = self._context.events
        async with (
            hub.stream(STREAM_SUBSCRIBER, queue_size=STREAM_QUEUE) as live,
            sse_response(request, ping_interval=PING_INTERVAL_S) as sse,
        ):
            sent = after or 0
            if after is not None:
                for record in await self._context.store.events(limit=REPLAY_LIMIT):
                    if record.id > after:
                        body = logged_event(record).model_dump_json()
                        await sse.send(body, id=str(record.id), event=record.kind)
                        sent = record.id
            while sse.is_connected():
                try:
                    published = await live.get(timeout_s=PING_INTERVAL_S)
                except TimeoutError:
                    continue  # look again whether the client is still there
                if published is None:
                    break  # the daemon is stopping
                if published.id > sent:  # else: already replayed from the log
                    name = published.event.name
                    await sse.send(_data(published), id=str(published.id), event=name)
        return sse


def _data(published: Published) -> str:
    return json.dumps({"id": published.id} | published.event.as_json())


def _resume_point(request: web.Request) -> int | None:
    """Where to resume: ``?after=`` or the ``Last-Event-ID`` header (None: live only)."""
    query = EventsQuery.model_validate(dict(request.query))  # validated before: no error here
    if query.after is not None:
        return query.after
    header = request.headers.get("Last-Event-ID")
    if header is None or not header.strip():
        return None
    if not header.strip().isdigit():
        raise ApiError(400, "Last-Event-ID: expected an event id (a number)")
    return int(header)
