"""Access log formats name only variables AWS documents (a stage naming another fails to deploy)."""

from __future__ import annotations

import json
import re

import pytest

from tests.constructs import apigw_log_variables
from tests.constructs.synth import Synth

VARIABLE = re.compile(r"\$context\.[A-Za-z0-9_.]+")


def variables(access_log_format: str) -> list[str]:
    found = VARIABLE.findall(access_log_format)
    assert found, access_log_format
    return found


@pytest.mark.parametrize(
    ("protocol", "documented"),
    [("WEBSOCKET", apigw_log_variables.WEBSOCKET), ("HTTP", apigw_log_variables.HTTP)],
)
def test_every_stage_logs_only_documented_variables(
    example: Synth, protocol: str, documented: frozenset[str]
) -> None:
    apis = {
        k
        for k, v in example.resources("AWS::ApiGatewayV2::Api").items()
        if v["Properties"]["ProtocolType"] == protocol
    }
    stages = [
        s["Properties"]
        for s in example.resources("AWS::ApiGatewayV2::Stage").values()
        if s["Properties"]["ApiId"]["Ref"] in apis
    ]
    assert stages
    for stage in stages:
        access_log_format = stage["AccessLogSettings"]["Format"]
        json.loads(access_log_format)  # one JSON object per line
        undocumented = [
            v for v in variables(access_log_format) if not apigw_log_variables.documented(v, documented)
        ]
        assert undocumented == [], f"{protocol} stage logs variables AWS does not list: {undocumented}"


def test_the_lists_tell_websocket_from_http_variables() -> None:
    """What the issue found: integrationErrorMessage is an HTTP API variable only."""
    assert not apigw_log_variables.documented(
        "$context.integrationErrorMessage", apigw_log_variables.WEBSOCKET
    )
    assert apigw_log_variables.documented("$context.integrationErrorMessage", apigw_log_variables.HTTP)
    assert apigw_log_variables.documented("$context.authorizer.name", apigw_log_variables.WEBSOCKET)
    assert not apigw_log_variables.documented("$context.nope", apigw_log_variables.HTTP)
