"""Every function logs in Lambda's JSON format (level and request id on each line), to the service's
one log group, unless its options choose a format themselves."""

from __future__ import annotations

from typing import Any

from tests.constructs.synth import Synth, ref


def logging_configs(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each function's ``LoggingConfig``, by function name."""
    return {
        r["Properties"]["FunctionName"]: r["Properties"].get("LoggingConfig", {})
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function" and isinstance(r["Properties"].get("FunctionName"), str)
    }


def test_every_function_logs_json_with_levels_to_the_service_log_group(example: Synth) -> None:
    configs = logging_configs(example.template)
    assert set(configs) == {
        "my-service--chat",
        "my-service--chat-authorizer",
        "my-service--lobby",
        "my-service--mySocket",
        "my-service--rtc-socket",
        "my-service--http-api",
        "my-service--fan-out",
    }
    group = ref(example.logical_id(example.service.log_group))
    for name, config in configs.items():
        assert config == {
            "ApplicationLogLevel": "INFO",
            "LogFormat": "JSON",
            "LogGroup": group,
            "SystemLogLevel": "INFO",
        }, name


def test_a_function_whose_options_choose_a_format_keeps_it(operated: Synth) -> None:
    configs = logging_configs(operated.extra["certified_template"])
    assert configs["certified--lobby"]["LogFormat"] == "Text"
    assert "ApplicationLogLevel" not in configs["certified--lobby"]
    assert configs["certified--chat"]["LogFormat"] == "JSON"
