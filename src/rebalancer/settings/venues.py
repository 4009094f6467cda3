"""``[venues.NAME]``: one exchange account the portfolios may hold assets on.

Credentials are ``SecretStr``: they never show in a repr, a log line or an error message. They
normally come from the environment (``REBALANCER_VENUES__NAME__API_KEY``, ``__SECRET``,
``__PASSWORD``) rather than the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time
from decimal import Decimal
from typing import Self

from pydantic import Field, JsonValue, SecretStr, field_validator, model_validator

from rebalancer.settings.fields import Asset, ConfigModel, ConfigPath, ExchangeId, rules_error


class VenueConfig(ConfigModel):
    """An exchange account: which ccxt exchange, its credentials, and how to reach it."""

    exchange: ExchangeId = Field(description="the ccxt exchange id, e.g. binance or okx")
    api_key: SecretStr | None = Field(default=None, description="normally from the environment")
    secret: SecretStr | None = Field(default=None, description="normally from the environment")
    password: SecretStr | None = Field(
        default=None, description="the API passphrase some exchanges (okx) require"
    )
    simulated: bool = Field(
        default=False, description="a paper venue run in process by the built-in simulator"
    )
    sandbox: bool = Field(default=False, description="use the exchange's testnet (ccxt sandbox)")
    urls: Mapping[str, JsonValue] = Field(
        default_factory=dict, description="deep-merged into ccxt's urls"
    )
    options: Mapping[str, JsonValue] = Field(
        default_factory=dict, description="deep-merged into ccxt's options"
    )
    sim_connection: ConfigPath | None = Field(
        default=None,
        description="the exchange simulator's connection JSON: ccxt is pointed at the simulator",
    )
    deposit_addresses: Mapping[Asset, Mapping[str, str]] = Field(
        default_factory=dict, description="asset -> network -> address on this venue"
    )

    @field_validator("urls", "options", mode="before")
    @classmethod
    def _plain_numbers(cls, value: object) -> object:
        """ccxt's settings are not money: decimals become ints or floats, dates become text."""
        return _without_decimals(value)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems: list[tuple[str, str]] = []
        if (self.api_key is None) != (self.secret is None):
            missing = "secret" if self.secret is None else "api_key"
            problems.append((missing, "api_key and secret go together: set both or neither"))
        if self.simulated and self.sim_connection is not None:
            problems.append(
                (
                    "sim_connection",
                    "a simulated venue runs in process; sim_connection points ccxt at an "
                    "external simulator: set one or the other",
                )
            )
        if problems:
            raise rules_error(problems)
        return self

    @property
    def has_credentials(self) -> bool:
        """True when an API key and secret are configured."""
        return self.api_key is not None and self.secret is not None


def _without_decimals(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (date, time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _without_decimals(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_decimals(item) for item in value]
    return value
