"""Loopback fakes of the services alerts go to: the Telegram Bot API, Slack (Web API, Socket
Mode, incoming webhooks) and a webhook receiver. Each runs an aiohttp server on 127.0.0.1 in a
thread of its own, speaks the real request and response shapes, and records every request."""
