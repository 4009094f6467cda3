"""``[api]`` and ``[alerts]``: tokens from the environment, never shown."""

from __future__ import annotations

from tests.unit.settings.conftest import Load, Problems

from rebalancer.settings.summary import summary_lines

TOKEN = "123456:TELEGRAM-TOKEN-DO-NOT-PRINT"
HOOK = "https://hooks.slack.example/services/T000/B000/DO-NOT-PRINT"
TG_ENV = {
    "REBALANCER_ALERTS__TELEGRAM__BOT_TOKEN": TOKEN,
    "REBALANCER_ALERTS__TELEGRAM__CHAT_IDS": "[111]",
}


def test_api_is_off_by_default(load: Load) -> None:
    api = load().api
    assert not api.enabled
    assert (api.host, api.port) == ("127.0.0.1", 8787)


def test_an_enabled_api_needs_a_token(problems: Problems) -> None:
    found = problems(extra="[api]\nenabled = true\n")
    assert found == [
        "FILE: api.token: is required when the API is enabled (set REBALANCER_API__TOKEN)"
    ]


def test_the_api_token_comes_from_the_environment(load: Load) -> None:
    config = load(
        extra="[api]\nenabled = true\nport = 9000\n", env={"REBALANCER_API__TOKEN": TOKEN}
    )
    assert config.api.token is not None
    assert config.api.token.get_secret_value() == TOKEN
    assert "api: http://127.0.0.1:9000 (token set)" in summary_lines(config)


def test_a_port_out_of_range_is_refused(problems: Problems) -> None:
    found = problems(extra="[api]\nport = 70000\n")
    assert found == ["FILE: api.port: expected less than or equal to 65535, got 70000"]


def test_alert_sinks_take_their_secrets_from_the_environment(load: Load) -> None:
    env = {
        "REBALANCER_ALERTS__TELEGRAM__BOT_TOKEN": TOKEN,
        "REBALANCER_ALERTS__SLACK__WEBHOOK_URL": HOOK,
    }
    config = load(extra="[alerts.telegram]\nchat_ids = [111, -222]\n", env=env)
    assert config.alerts.telegram is not None
    assert config.alerts.telegram.chat_ids == (111, -222)
    assert config.alerts.slack is not None
    assert config.alerts.slack.webhook_url.get_secret_value() == HOOK
    shown = "\n".join([repr(config), *summary_lines(config)])
    assert "alerts: Telegram (2 chats), Slack (webhook)" in shown
    assert TOKEN not in shown
    assert HOOK not in shown


def test_a_telegram_token_without_chats_is_refused(problems: Problems) -> None:
    found = problems(env={"REBALANCER_ALERTS__TELEGRAM__BOT_TOKEN": TOKEN})
    assert found == ["environment: alerts.telegram.chat_ids: is required"]


def test_a_slack_bot_takes_its_tokens_from_the_environment_and_needs_channels(
    load: Load, problems: Problems
) -> None:
    env = {
        "REBALANCER_ALERTS__SLACK__BOT_TOKEN": "xoxb-DO-NOT-PRINT",
        "REBALANCER_ALERTS__SLACK__APP_TOKEN": "xapp-DO-NOT-PRINT",
    }
    config = load(extra='[alerts.slack]\nchannel_ids = ["C0TRADING"]\n', env=env)
    assert config.alerts.slack is not None
    assert "alerts: Slack (bot, 1 channel, commands)" in summary_lines(config)
    assert problems(env=env) == [
        "environment: alerts.slack.channel_ids: is required with bot_token (where to post)"
    ]
    assert problems(extra="[alerts.slack]\n") == [
        "FILE: alerts.slack: needs webhook_url (send only) or bot_token and channel_ids (a bot)"
    ]


def test_levels_name_events_and_say_on_silent_or_off(problems: Problems) -> None:
    (loud,) = problems(extra='[alerts.levels]\nRunEnded = "loud"\n')
    assert loud == "FILE: alerts.levels.RunEnded: expected 'on', 'silent' or 'off', got \"loud\""
    (typo,) = problems(extra='[alerts.telegram.levels]\nRunEndd = "on"\n', env=TG_ENV)
    assert typo.startswith("FILE: alerts.telegram.levels.RunEndd: is not an event name (one of: ")


def test_a_digest_needs_a_clock_time_and_a_real_zone(problems: Problems) -> None:
    found = problems(extra='[alerts.digest]\nat = "8am"\ntimezone = "Mars/Olympus"\n')
    assert found == [
        "FILE: alerts.digest.at: expected a time of day as HH:MM, got '8am'",
        "FILE: alerts.digest.timezone: expected an IANA time zone such as 'UTC' or "
        "'Europe/Zurich', got 'Mars/Olympus'",
    ]


def test_a_webhook_secret_must_be_long(problems: Problems) -> None:
    env = {
        "REBALANCER_ALERTS__WEBHOOK__URL": "https://hooks.example/x",
        "REBALANCER_ALERTS__WEBHOOK__SECRET": "short",
    }
    assert problems(env=env) == [
        "environment: alerts.webhook.secret: must be at least 16 characters (a random string)"
    ]
