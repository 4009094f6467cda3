"""Alert sinks and chat commands: the daemon's events for people, and their answers.

- ``sink``: one event subscriber per sink (Telegram, Slack, a signed webhook): each event's
  level for that sink (on, silent, off), de-duplication, rendering, then its own ``outbox``;
- ``outbox``: a sink's queued sender (429 and Retry-After honoured, transient errors retried
  with backoff, critical messages never given up on), so sending never blocks trading;
- ``render`` and ``texts``: what a trader reads (what happened, weights against targets and
  bands, amounts with units and the run id, what to do next);
- ``commands``: the chat commands (``/status``, ``/approve 42`` ...), carried out through
  ``services.operations`` like the CLI's and the API's;
- ``telegram_*``, ``slack_*``, ``webhook``: the transports, each library in its own module.

The runtime builds all of it from ``[alerts]`` (``rebalancer.runtime.alerts``).
"""
