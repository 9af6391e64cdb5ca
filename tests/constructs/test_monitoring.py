"""The dashboard, the sockets' metric methods and the alarms, in the template.

Metric names and dimensions are API Gateway's for WebSocket APIs ("Monitor WebSocket API execution
with CloudWatch metrics": namespace ``AWS/ApiGateway``, dimensions ``ApiId`` and ``Stage``) and
Lambda's (``AWS/Lambda``, ``FunctionName``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from eventual.constructs.errors import ServiceDefinitionError
from eventual.constructs.monitoring_plan import AlarmThresholds
from tests.constructs.synth import CERTIFIED_THRESHOLDS, Synth, ref, resolve

API_METRICS = ("ConnectCount", "MessageCount", "IntegrationError", "ClientError", "ExecutionError")


# -- metric methods ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "name", "statistic"),
    [
        ("metric_connect_count", "ConnectCount", "Sum"),
        ("metric_message_count", "MessageCount", "Sum"),
        ("metric_integration_error", "IntegrationError", "Sum"),
        ("metric_client_error", "ClientError", "Sum"),
        ("metric_execution_error", "ExecutionError", "Sum"),
        ("metric_integration_latency", "IntegrationLatency", "Average"),
    ],
)
def test_each_socket_offers_its_api_gateway_metrics(
    example: Synth, method: str, name: str, statistic: str
) -> None:
    from aws_cdk import Duration, Stack

    endpoint = example.service.sockets["chat"]
    metric = getattr(endpoint, method)()
    assert (metric.namespace, metric.metric_name, metric.statistic) == ("AWS/ApiGateway", name, statistic)
    assert metric.period.to_seconds() == 300
    dimensions = Stack.of(endpoint).resolve(metric.dimensions)
    assert dimensions == {"ApiId": ref(example.logical_id(endpoint.api)), "Stage": "prod"}
    tuned = getattr(endpoint, method)(statistic="p99", period=Duration.minutes(1), label="tail")
    assert (tuned.statistic, tuned.period.to_seconds(), tuned.label) == ("p99", 60, "tail")


# -- the dashboard ----------------------------------------------------------------------------


def dashboard_of(synth: Synth) -> tuple[Any, dict[str, Any]]:
    (dashboard,) = synth.resources("AWS::CloudWatch::Dashboard").values()
    return dashboard["Properties"]["DashboardName"], json.loads(
        resolve(dashboard["Properties"]["DashboardBody"])
    )


def graphs(body: dict[str, Any]) -> dict[str, list[list[Any]]]:
    return {
        w["properties"]["title"]: w["properties"]["metrics"] for w in body["widgets"] if w["type"] == "metric"
    }


def test_one_dashboard_per_service_and_stage_named_with_its_region(example: Synth, operated: Synth) -> None:
    assert dashboard_of(example)[0] == {"Fn::Join": ["", ["my-service-", {"Ref": "AWS::Region"}]]}
    assert dashboard_of(operated)[0] == {"Fn::Join": ["", ["my-service--live-", {"Ref": "AWS::Region"}]]}
    assert example.service.dashboard is not None


def test_each_socket_has_a_row_of_its_api_metrics_and_its_functions(example: Synth) -> None:
    _, body = dashboard_of(example)
    found = graphs(body)
    for name, endpoint in example.service.sockets.items():
        api = f"<{example.logical_id(endpoint.api)}>"
        traffic = found[f"{name}: connects and messages"] + found[f"{name}: errors"]
        assert [(m[0], m[1], m[2:6]) for m in traffic] == [
            ("AWS/ApiGateway", metric, ["ApiId", api, "Stage", "prod"]) for metric in API_METRICS
        ]
        latency = found[f"{name}: integration latency (ms)"]
        assert [(m[1], m[6]["stat"]) for m in latency] == [
            ("IntegrationLatency", "p50"),
            ("IntegrationLatency", "p99"),
        ]
        functions = found[f"{name}: function"]
        expected = {f"<{example.logical_id(endpoint.function)}>"}
        if endpoint.authorizer_function is not None:
            expected.add(f"<{example.logical_id(endpoint.authorizer_function)}>")
        assert {m[3] for m in functions} == expected
        for function in expected:
            assert sorted((m[1], m[-1]["stat"]) for m in functions if m[3] == function) == [
                ("ConcurrentExecutions", "Maximum"),
                ("Duration", "p99"),
                ("Errors", "Sum"),
                ("Throttles", "Sum"),
            ]
    assert {m[-1]["period"] for graph in found.values() for m in graph} == {60}


def test_the_shared_row_shows_the_service_functions_the_dead_letter_queue_and_the_table(
    example: Synth,
) -> None:
    _, body = dashboard_of(example)
    found = graphs(body)
    service = example.service
    assert {m[3] for m in found["http-api: function"]} == {
        f"<{example.logical_id(service.service_document_function)}>"
    }
    assert {m[3] for m in found["fan-out: function"]} == {f"<{example.logical_id(service.fan_out_function)}>"}
    [queue] = found["fan-out: batches in the dead-letter queue"]
    assert queue[:2] == ["AWS/SQS", "ApproximateNumberOfMessagesVisible"]
    assert queue[-1]["stat"] == "Maximum"
    table = found["connections table: throttled requests"]
    assert [(m[0], m[1], m[2]) for m in table] == [
        ("AWS/DynamoDB", "ReadThrottleEvents", "TableName"),
        ("AWS/DynamoDB", "WriteThrottleEvents", "TableName"),
    ]


def test_dashboard_false_makes_none(operated: Synth) -> None:
    template = operated.extra["certified_template"]
    assert [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"] == []
    assert operated.extra["certified"].dashboard is None


# -- alarms -----------------------------------------------------------------------------------


def alarms_of(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each alarm's properties, by the first words of its description after the service's."""
    found = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            properties = resource["Properties"]
            what = properties["AlarmDescription"].split(", ", 1)[1].split(":")[0]
            found[what + "/" + _metric_of(properties)] = properties
    return found


def _metric_of(properties: dict[str, Any]) -> str:
    if "MetricName" in properties:
        return str(properties["MetricName"])
    return next(m["Expression"] for m in properties["Metrics"] if "Expression" in m)


def test_no_alarms_unless_asked_for(example: Synth) -> None:
    assert example.resources("AWS::CloudWatch::Alarm") == {}
    assert example.service.alarms == {}


def test_default_alarms_per_socket_per_function_and_for_what_the_service_shares(operated: Synth) -> None:
    alarms = alarms_of(operated.template)
    topic = ref(operated.logical_id(operated.extra["topic"]))
    expected = set()
    for name, endpoint in operated.service.sockets.items():
        expected |= {
            f"socket {name}/IntegrationError",
            f"socket {name}/ExecutionError",
            f"socket {name}/IntegrationLatency",
            f"{name}/errors + throttles",
        }
        if endpoint.authorizer_function is not None:
            expected.add(f"{name} authorizer/errors + throttles")
    expected |= {
        "http-api/errors + throttles",
        "fan-out/errors + throttles",
        "fan-out/ApproximateNumberOfMessagesVisible",
        "connections table/reads + writes",
    }
    assert set(alarms) == expected
    assert len(operated.service.alarms) == len(expected)
    for properties in alarms.values():
        assert properties["AlarmActions"] == properties["OKActions"] == [topic]
        assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert properties["TreatMissingData"] == "notBreaching"


def test_the_documented_default_thresholds(operated: Synth) -> None:
    alarms = alarms_of(operated.template)
    chat_api = ref(operated.logical_id(operated.service.sockets["chat"].api))
    errors = alarms["socket chat/IntegrationError"]
    assert (errors["Threshold"], errors["EvaluationPeriods"], errors["Period"], errors["Statistic"]) == (
        10,
        1,
        300,
        "Sum",
    )
    assert errors["Namespace"] == "AWS/ApiGateway"
    assert errors["Dimensions"] == [{"Name": "ApiId", "Value": chat_api}, {"Name": "Stage", "Value": "live"}]
    assert alarms["socket chat/ExecutionError"]["Threshold"] == 1
    latency = alarms["socket chat/IntegrationLatency"]
    assert (latency["Threshold"], latency["EvaluationPeriods"], latency["ExtendedStatistic"]) == (
        5000,
        3,
        "p99",
    )
    failures = alarms["chat/errors + throttles"]
    assert failures["Threshold"] == 1
    used = {m["Id"]: m["MetricStat"] for m in failures["Metrics"] if "MetricStat" in m}
    function = ref(operated.logical_id(operated.service.sockets["chat"].function))
    assert {
        k: (v["Metric"]["MetricName"], v["Metric"]["Dimensions"], v["Stat"], v["Period"])
        for k, v in used.items()
    } == {
        "errors": ("Errors", [{"Name": "FunctionName", "Value": function}], "Sum", 300),
        "throttles": ("Throttles", [{"Name": "FunctionName", "Value": function}], "Sum", 300),
    }
    dead_letters = alarms["fan-out/ApproximateNumberOfMessagesVisible"]
    assert (dead_letters["Threshold"], dead_letters["Statistic"], dead_letters["Period"]) == (
        1,
        "Maximum",
        60,
    )
    assert alarms["connections table/reads + writes"]["Threshold"] == 1


def test_thresholds_are_yours_to_set_and_none_leaves_an_alarm_out(operated: Synth) -> None:
    alarms = alarms_of(operated.extra["certified_template"])
    assert CERTIFIED_THRESHOLDS == {"integration_errors": 3, "latency_p99_ms": None, "table_throttles": None}
    assert alarms["socket chat/IntegrationError"]["Threshold"] == 3
    assert not [k for k in alarms if k.endswith("IntegrationLatency") or k.startswith("connections table")]
    assert alarms["socket chat/ExecutionError"]["Threshold"] == 1  # the others keep their defaults


@pytest.mark.parametrize("bad", [0, -1, True, "5"])
def test_a_threshold_is_a_positive_number_or_none(bad: object) -> None:
    with pytest.raises(ServiceDefinitionError, match="integration_errors must be a positive number"):
        AlarmThresholds(integration_errors=bad)  # type: ignore[arg-type]
    assert AlarmThresholds(integration_errors=None).integration_errors is None
    assert AlarmThresholds(latency_p99_ms=0.5).latency_p99_ms == 0.5
