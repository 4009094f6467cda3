"""Slack: messages as Block Kit (mrkdwn text, a fixed-width table, Approve/Reject buttons),
sent with ``slack_sdk``: the Web API's ``chat.postMessage`` with a bot token, or an incoming
webhook for send-only set-ups (no buttons: a webhook cannot receive their presses).

Slack has no per-message sound: a channel's members are notified by the channel's own
settings. A critical message starts with ``@channel`` so that everyone in it is notified.
Errors become the outbox's: HTTP 429 (``ratelimited``) is ``RateLimited`` with the
``Retry-After`` Slack sent; a timeout, a lost connection or a 5xx is ``TransientFailure``; any
other refusal (``invalid_auth``, ``channel_not_found``) is ``PermanentFailure``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from rebalancer.alerting.message import Action, Message
from rebalancer.alerting.outbox import (
    Outgoing,
    PermanentFailure,
    RateLimited,
    SendFailure,
    TransientFailure,
)

SECTION_LIMIT = 2900  # Slack refuses a section text over 3,000 characters
DEFAULT_RETRY_AFTER_S = 30.0  # Slack's advice when a 429 comes without Retry-After
TIMEOUT_S = 15


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str) -> str:
    return text if len(text) <= SECTION_LIMIT else text[: SECTION_LIMIT - 1] + "…"


def slack_text(message: Message) -> str:
    """The notification's text (Slack shows it in notifications and where blocks cannot be)."""
    mention = "<!channel> " if message.critical else ""
    return mention + _escape(message.headline)


def slack_blocks(message: Message, *, buttons: bool = True) -> list[dict[str, Any]]:
    """The message as Block Kit blocks."""
    lead = f"*{_escape(message.headline)}*"
    if message.critical:
        lead = f"<!channel> {lead}"
    body = "\n".join([lead, *(_escape(line) for line in message.details if line)])
    blocks: list[dict[str, Any]] = [_section(body)]
    if message.table:
        blocks.append(_section("```" + _escape("\n".join(message.table)) + "```"))
    if message.next_steps:
        steps = "  ".join(f"`{_escape(step)}`" for step in message.next_steps)
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(f"Next: {steps}")}]}
        )
    if buttons and message.buttons:
        blocks.append(
            {
                "type": "actions",
                "block_id": "run_decision",
                "elements": [
                    {
                        "type": "button",
                        "action_id": button.action.value,
                        "text": {"type": "plain_text", "text": button.label},
                        "value": button.run_id,
                        "style": "primary" if button.action is Action.APPROVE else "danger",
                    }
                    for button in message.buttons
                ],
            }
        )
    return blocks


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text)}}


def _retry_after(headers: Mapping[str, Any]) -> float:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                break
    return DEFAULT_RETRY_AFTER_S


def failure_for(status: int, headers: Mapping[str, Any], error: str) -> SendFailure:
    """The outbox's failure for an HTTP status and Slack's error name."""
    if status == 429 or error == "ratelimited":
        return RateLimited(_retry_after(headers), f"Slack rate limit ({status} {error})")
    if status >= 500 or status == 408:
        return TransientFailure(f"Slack answered {status} {error}")
    return PermanentFailure(f"Slack refused it: {status} {error}")


def web_client(
    token: str, api_url: str, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """A Web API client on ``api_url`` that leaves retrying to our outbox (``session``: keep
    connections open between calls; None: a session per call)."""
    return AsyncWebClient(
        token=token, base_url=api_url, timeout=TIMEOUT_S, retry_handlers=[], session=session
    )


class SlackWebTransport:
    """``chat.postMessage`` with the bot token (``destination`` is the channel id)."""

    def __init__(self, token: str, api_url: str) -> None:
        self._token = token
        self._api_url = api_url
        self._session: aiohttp.ClientSession | None = None
        self._client: AsyncWebClient | None = None

    def _web(self) -> AsyncWebClient:
        if self._client is None or self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._client = web_client(self._token, self._api_url, self._session)
        return self._client

    async def send(self, item: Outgoing) -> None:
        """Post one message; a ``SendFailure`` when it did not go."""
        message = item.message
        try:
            await self._web().chat_postMessage(
                channel=item.destination,
                text=slack_text(message),
                blocks=slack_blocks(message),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:
            response = error.response
            raise failure_for(
                response.status_code, response.headers, str(response.get("error", ""))
            ) from error
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            raise TransientFailure(f"Slack unreachable: {type(error).__name__}: {error}") from error

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()


class SlackWebhookTransport:
    """An incoming webhook (``destination`` is ignored: the URL names the channel)."""

    def __init__(self, url: str) -> None:
        self._client = AsyncWebhookClient(url, timeout=TIMEOUT_S, retry_handlers=[])

    async def send(self, item: Outgoing) -> None:
        """Post one message; a ``SendFailure`` when it did not go."""
        message = item.message
        try:
            response = await self._client.send(
                text=slack_text(message),
                blocks=slack_blocks(message, buttons=False),
                unfurl_links=False,
                unfurl_media=False,
            )
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            raise TransientFailure(f"Slack unreachable: {type(error).__name__}: {error}") from error
        if response.status_code != 200:
            raise failure_for(response.status_code, response.headers, response.body.strip())

    async def close(self) -> None:
        """Nothing to release."""
