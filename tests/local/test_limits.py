"""The dev server's limits are API Gateway's quotas, written out here as the quota page states
them, never read from the code under test
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html).
"""

from __future__ import annotations

import pytest

from eventual.local import Limits
from eventual.local.limits import MAX_FRAME_BYTES
from eventual.runtime.integration import INTEGRATION_TIMEOUT


def test_the_defaults_are_api_gateways_quotas() -> None:
    limits = Limits()
    assert limits.idle_timeout == 600.0  # "Idle Connection Timeout": 10 minutes
    assert limits.max_duration == 7200.0  # "Connection duration for WebSocket API": 2 hours
    assert MAX_FRAME_BYTES == 32_768  # "WebSocket frame size": 32 KB
    assert INTEGRATION_TIMEOUT == 29.0  # "Integration timeout": 29 seconds at most


@pytest.mark.parametrize("name", ["idle_timeout", "max_duration", "close_timeout", "request_timeout"])
@pytest.mark.parametrize("value", [0, -1.0])
def test_a_limit_must_be_a_positive_number_of_seconds(name: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"^{name} must be a positive number of seconds$"):
        Limits(**{name: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["idle_timeout", "max_duration", "close_timeout", "request_timeout"])
def test_the_smallest_positive_limit_is_taken(name: str) -> None:
    assert getattr(Limits(**{name: 0.001}), name) == 0.001  # type: ignore[arg-type]
