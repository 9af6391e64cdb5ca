"""Broadcast fan-out in the cloud (issue 15): the queue, its dead-letter queue, the worker and who
may use them, asserted on the session's synths (``gated`` sets ``fan_out_above`` and
``fan_out_concurrency``; the example keeps the defaults)."""

from __future__ import annotations

import json
from typing import Any

from eventual.constructs.fanout_plan import HANDLER, MEMORY_MB, TIMEOUT_SECONDS
from eventual.runtime.environment import (
    FANOUT_ABOVE_ENV,
    FANOUT_CONCURRENCY_ENV,
    FANOUT_QUEUE_ENV,
    SERVICE_ENV,
    TABLE_ENV,
    URLS_ENV,
)
from tests.constructs.grants import fan_out_queues, functions_of, websocket_stages
from tests.constructs.synth import (
    GATED_FAN_OUT_ABOVE,
    GATED_FAN_OUT_CONCURRENCY,
    GATED_SOCKETS,
    Synth,
    actions,
    ref,
    resources,
)

FOURTEEN_DAYS = 14 * 24 * 60 * 60


def queues(synth: Synth) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fan-out queue's and the dead-letter queue's template resources."""
    found = fan_out_queues(synth.template)
    assert found is not None
    queue, dead_letter = found
    assert queue == synth.logical_id(synth.service.fan_out_queue)
    assert dead_letter == synth.logical_id(synth.service.fan_out_dead_letter_queue)
    return synth.template["Resources"][queue], synth.template["Resources"][dead_letter]


def worker(synth: Synth) -> dict[str, Any]:
    return synth.properties(synth.service.fan_out_function)  # type: ignore[no-any-return]


def test_both_queues_are_encrypted_by_sqs_and_refuse_requests_without_tls(gated: Synth) -> None:
    policies = [p["Properties"] for p in gated.resources("AWS::SQS::QueuePolicy").values()]
    for queue in (gated.service.fan_out_queue, gated.service.fan_out_dead_letter_queue):
        props = gated.properties(queue)
        assert props["SqsManagedSseEnabled"] is True and "KmsMasterKeyId" not in props
        (policy,) = [p for p in policies if p["Queues"] == [ref(gated.logical_id(queue))]]
        (deny,) = policy["PolicyDocument"]["Statement"]
        assert deny["Effect"] == "Deny" and deny["Action"] == "sqs:*"
        assert deny["Principal"] == {"AWS": "*"}
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert deny["Resource"] == {"Fn::GetAtt": [gated.logical_id(queue), "Arn"]}


def test_a_batch_is_delivered_five_times_then_kept_14_days_in_the_dead_letter_queue(gated: Synth) -> None:
    """Issue 19 item 12: Lambda's "Understanding SQS retries" asks for a ``maxReceiveCount`` of at
    least 5, so that throttling alone (Lambda returning a batch unprocessed) never dead-letters one."""
    queue, dead_letter = queues(gated)
    dead_letter_id = gated.logical_id(gated.service.fan_out_dead_letter_queue)
    assert queue["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dead_letter_id, "Arn"]},
        "maxReceiveCount": 5,
    }
    assert dead_letter["Properties"]["MessageRetentionPeriod"] == FOURTEEN_DAYS
    assert "RedrivePolicy" not in dead_letter["Properties"]


def test_the_visibility_timeout_is_six_times_the_workers_timeout(gated: Synth, example: Synth) -> None:
    for synth in (gated, example):
        queue, _ = queues(synth)
        timeout = worker(synth)["Timeout"]
        assert timeout == TIMEOUT_SECONDS == 60
        assert queue["Properties"]["VisibilityTimeout"] == 6 * timeout


def test_the_worker_takes_one_batch_at_a_time_up_to_50_at_once_and_reports_failed_batches(
    gated: Synth,
) -> None:
    (mapping,) = [m["Properties"] for m in gated.resources("AWS::Lambda::EventSourceMapping").values()]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [gated.logical_id(gated.service.fan_out_queue), "Arn"]}
    assert mapping["FunctionName"] == ref(gated.logical_id(gated.service.fan_out_function))
    assert mapping["BatchSize"] == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 50}
    assert "MaximumBatchingWindowInSeconds" not in mapping


def test_the_worker_runs_the_fan_out_handler_from_the_socket_functions_asset(gated: Synth) -> None:
    props = worker(gated)
    socket = gated.properties(gated.service.sockets["gated-room"].function)
    assert props["Handler"] == HANDLER == "eventual.runtime.fanout_worker.handle"
    assert props["MemorySize"] == MEMORY_MB == 1769  # one full vCPU
    assert props["Timeout"] == 60
    for same in ("Code", "Runtime", "Architectures", "LoggingConfig"):
        assert props[same] == socket[same], same
    assert props["FunctionName"] == "gated--fan-out"
    assert props["Role"] == {"Fn::GetAtt": [gated.logical_id(gated.service.fan_out_role), "Arn"]}
    assert props["Role"] != socket["Role"]


def test_the_workers_environment_names_the_service_sockets_table_and_its_concurrency(
    gated: Synth, example: Synth
) -> None:
    env = worker(gated)["Environment"]["Variables"]
    socket_env = gated.properties(gated.service.sockets["gated-room"].function)["Environment"]["Variables"]
    assert env == {
        SERVICE_ENV: "gated",
        URLS_ENV: socket_env[URLS_ENV],
        TABLE_ENV: ref(gated.logical_id(gated.service.connections_table)),
        FANOUT_CONCURRENCY_ENV: str(GATED_FAN_OUT_CONCURRENCY),
    }
    assert FANOUT_CONCURRENCY_ENV not in worker(example)["Environment"]["Variables"]  # the runtime's 32


def test_the_worker_may_post_to_every_stage_forget_gone_connections_consume_and_log(gated: Synth) -> None:
    statements = gated.statements_of(gated.service.fan_out_role)
    granted = {a: s for s in statements for a in actions(s)}
    assert set(granted) == {
        "execute-api:ManageConnections",
        "dynamodb:DeleteItem",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        # what the event source mapping needs (Lambda's SQS execution role permissions)
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    }
    functions = functions_of(gated.template)
    grants = functions[gated.logical_id(gated.service.fan_out_function)]
    assert grants.allowed("execute-api:ManageConnections") == websocket_stages(gated.template, "POST")
    assert len(websocket_stages(gated.template, "POST")) == len(GATED_SOCKETS)
    queue_arn = {"Fn::GetAtt": [gated.logical_id(gated.service.fan_out_queue), "Arn"]}
    assert resources(granted["sqs:ReceiveMessage"]) == [queue_arn]
    log_group = {"Fn::GetAtt": [gated.logical_id(gated.service.log_group), "Arn"]}
    assert resources(granted["logs:PutLogEvents"]) == [log_group]
    assert '"*"' not in json.dumps([s["Resource"] for s in statements])


def test_socket_functions_may_send_to_the_queue_and_learn_its_url_and_the_threshold(
    gated: Synth, example: Synth
) -> None:
    queue = gated.logical_id(gated.service.fan_out_queue)
    send = [
        s for s in gated.statements_of(gated.service.role) if any(a.startswith("sqs:") for a in actions(s))
    ]
    assert [(sorted(actions(s)), resources(s)) for s in send] == [
        (
            ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"],
            [{"Fn::GetAtt": [queue, "Arn"]}],
        )
    ]
    for name in GATED_SOCKETS:
        endpoint = gated.service.sockets[name]
        env = gated.properties(endpoint.function)["Environment"]["Variables"]
        assert env[FANOUT_QUEUE_ENV] == ref(queue), name  # tracked or not: any socket may broadcast
        assert env[FANOUT_ABOVE_ENV] == str(GATED_FAN_OUT_ABOVE), name
        if endpoint.authorizer_function is not None:
            authorizer_env = gated.properties(endpoint.authorizer_function)["Environment"]["Variables"]
            assert not {FANOUT_QUEUE_ENV, FANOUT_ABOVE_ENV} & set(authorizer_env)
    document = json.dumps(gated.properties(gated.service.service_document_function))
    assert FANOUT_QUEUE_ENV not in document and "sqs:" not in json.dumps(
        gated.statements_of(gated.service.service_document_role)
    )
    assert "sqs:" not in json.dumps(gated.statements_of(gated.service.authorizer_role))
    for endpoint in example.service.sockets.values():  # no fan_out_above: the runtime's 1,000
        assert FANOUT_ABOVE_ENV not in example.properties(endpoint.function)["Environment"]["Variables"]


def test_the_failure_metric_is_the_dead_letter_queues_visible_messages_each_minute(gated: Synth) -> None:
    from aws_cdk import Stack

    metric = gated.service.metric_fan_out_failures()
    assert metric.namespace == "AWS/SQS"
    assert metric.metric_name == "ApproximateNumberOfMessagesVisible"
    assert (metric.statistic, metric.period.to_seconds()) == ("Maximum", 60)
    dead_letter = gated.logical_id(gated.service.fan_out_dead_letter_queue)
    assert Stack.of(gated.service).resolve(metric.dimensions["QueueName"]) == {
        "Fn::GetAtt": [dead_letter, "QueueName"]
    }


def test_the_fan_out_resources_are_exposed_for_users_to_extend(gated: Synth) -> None:
    from aws_cdk import aws_lambda, aws_sqs

    service = gated.service
    assert isinstance(service.fan_out_queue, aws_sqs.Queue)
    assert isinstance(service.fan_out_dead_letter_queue, aws_sqs.Queue)
    assert isinstance(service.fan_out_function, aws_lambda.Function)
    assert service.fan_out is not None and service.fan_out.queue is service.fan_out_queue
    assert service.plan.fan_out is not None
    assert service.plan.fan_out.fan_out_above == GATED_FAN_OUT_ABOVE
