"""Route throttling on every stage: the documented default, overridable per socket and service-wide."""

from __future__ import annotations

from typing import Any

import pytest

from eventual.constructs.errors import ServiceDefinitionError
from eventual.constructs.throttle import DEFAULT_THROTTLE, Throttle, throttle_of
from tests.constructs.synth import GATED_ROOM_THROTTLE, GATED_SOCKETS, Synth, ref


def route_settings(synth: Synth, api: Any) -> dict[str, Any]:
    (stage,) = [
        s["Properties"]
        for s in synth.resources("AWS::ApiGatewayV2::Stage").values()
        if s["Properties"]["ApiId"] == ref(synth.logical_id(api))
    ]
    return stage["DefaultRouteSettings"]  # type: ignore[no-any-return]


def test_every_stage_is_throttled_and_a_socket_may_set_its_own(gated: Synth) -> None:
    # The default the README documents (100 requests per second, bursts of 200), written out:
    # compared with DEFAULT_THROTTLE, any default would pass.
    default = {"ThrottlingRateLimit": 100, "ThrottlingBurstLimit": 200}
    for name in GATED_SOCKETS:
        settings = route_settings(gated, gated.service.sockets[name].api)
        if name == "gated-room":
            assert settings == {
                "ThrottlingRateLimit": GATED_ROOM_THROTTLE["rate_limit"],
                "ThrottlingBurstLimit": GATED_ROOM_THROTTLE["burst_limit"],
            }
        else:
            assert settings == default, name
    assert route_settings(gated, gated.service.http_api) == default


def test_throttle_fields_fill_in_from_the_default_and_are_checked() -> None:
    assert throttle_of("throttle", {}) == DEFAULT_THROTTLE == Throttle(rate_limit=100, burst_limit=200)
    assert throttle_of("throttle", {"rate_limit": 5}) == Throttle(rate_limit=5, burst_limit=200)
    assert throttle_of("throttle", {"burst_limit": 0}) == Throttle(rate_limit=100, burst_limit=0)
    assert throttle_of("throttle", {"rate_limit": 0.5}) == Throttle(rate_limit=0.5, burst_limit=200)
    with pytest.raises(ServiceDefinitionError, match="burst_limit must be a whole number"):
        throttle_of("socket 'x': throttle", {"burst_limit": 1.5})
    with pytest.raises(ServiceDefinitionError, match="rate_limit must be a number >= 0"):
        throttle_of("throttle", {"rate_limit": -1})
