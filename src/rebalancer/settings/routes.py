"""``[[routes]]``: the ways an asset can move between two venues (docs/formats.md route fields)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from rebalancer.domain.snapshot import Route
from rebalancer.settings.fields import Asset, ConfigModel, Name, NonNegative, rules_error


class RouteConfig(ConfigModel):
    """A withdrawal path: ``amount`` leaves ``from``, ``amount - fee`` reaches ``to`` in eta_s."""

    asset: Asset = Field(description="the asset moved")
    network: str = Field(min_length=1, description="the chain, e.g. TRC20 or BTC")
    source: Name = Field(alias="from", description="the venue it leaves")
    destination: Name = Field(alias="to", description="the venue it reaches")
    fee: NonNegative = Field(description="withdrawal fee in units of the asset")
    min_amount: NonNegative = Field(description="smallest withdrawal, in units of the asset")
    eta_s: int = Field(ge=0, description="typical seconds until it arrives")

    @model_validator(mode="after")
    def _between_two_venues(self) -> Self:
        if self.source == self.destination:
            raise rules_error(
                [("to", f"a route leads to another venue, not back to {self.source}")]
            )
        return self

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What makes a route unique: asset, network, from, to."""
        return (self.asset, self.network, self.source, self.destination)

    def to_route(self) -> Route:
        """The domain route a snapshot carries."""
        return Route(
            asset=self.asset,
            network=self.network,
            source=self.source,
            destination=self.destination,
            fee=self.fee,
            min_amount=self.min_amount,
            eta_s=self.eta_s,
        )
