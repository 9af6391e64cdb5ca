"""Route throttling: every stage of a service has some, with defaults written down here.

API Gateway's only other limit is the account's, 10,000 requests per second per region shared by
every API: without a stage limit, a flood of anonymous ``$connect`` requests (or messages on an
accepted connection) invokes Lambda without bound. Pure: the plan checks the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eventual.constructs.errors import ServiceDefinitionError


@dataclass(frozen=True)
class Throttle:
    """Route throttling of an API Gateway stage: steady requests per second and the burst above it.

    On a WebSocket stage every ``$connect`` and every message is a request. Past the limits API
    Gateway refuses requests ("429 Too Many Requests") without invoking the integration, so a
    flood costs no Lambda invocations.
    """

    rate_limit: float
    burst_limit: int


DEFAULT_THROTTLE = Throttle(rate_limit=100, burst_limit=200)
"""Every stage's route throttling unless the options say otherwise: far below the account's
regional 10,000 requests per second (shared by every API), so one service cannot spend it."""


def throttle_of(what: str, fields: Mapping[str, Any]) -> Throttle:
    """``DEFAULT_THROTTLE`` with the fields given; API Gateway takes a rate and a whole burst, both >= 0."""
    throttle = Throttle(
        rate_limit=fields.get("rate_limit", DEFAULT_THROTTLE.rate_limit),
        burst_limit=fields.get("burst_limit", DEFAULT_THROTTLE.burst_limit),
    )
    if not (isinstance(throttle.rate_limit, int | float) and throttle.rate_limit >= 0):
        raise ServiceDefinitionError(f"{what}: rate_limit must be a number >= 0, got {throttle.rate_limit!r}")
    if not (isinstance(throttle.burst_limit, int) and throttle.burst_limit >= 0):
        raise ServiceDefinitionError(
            f"{what}: burst_limit must be a whole number >= 0, got {throttle.burst_limit!r}"
        )
    return throttle
