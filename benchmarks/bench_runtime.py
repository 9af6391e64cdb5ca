"""Lambda runtime figures: cold import and warm dispatch (issue: foundation), typed cold start (22).

- Cold import: ``import eventual.runtime.handler`` in a fresh interpreter, against
  ``import boto3`` in a fresh interpreter, interleaved in the same run (budget <= 0.15x).
- Typed cold start: a fresh interpreter imports the handler, declares one socket (declaration
  checks off, as the Lambda entry imports the entry) and dispatches its first message: untyped
  (the baseline), typed with a pydantic model, typed with a dataclass (pydantic loads at that
  first message). The typed figures' extra cost over the untyped one is reported, not budgeted.
- Warm dispatch: ``handle()`` of a ``$default`` event through 3 middlewares into a trivial
  handler, against a hand-written function that decodes the same event and runs the same
  middlewares and handler by direct calls (budget <= 3x).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import timeit
from typing import Any

from benchmarks.harness import Figure
from eventual import MessageRequest

IMPORT_RUNS = 15
DISPATCH_EVENTS = 20_000


def _import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout)


def cold_import() -> list[Figure]:
    ours, boto = [], []
    for _ in range(IMPORT_RUNS):  # interleaved, so both see the same machine load
        ours.append(_import_seconds("eventual.runtime.handler"))
        boto.append(_import_seconds("boto3"))
    ours_ms, boto_ms = min(ours) * 1e3, min(boto) * 1e3
    return [
        Figure("import boto3 (baseline)", boto_ms, "ms"),
        Figure("import eventual.runtime.handler", ours_ms, "ms", ratio=ours_ms / boto_ms, budget=0.15),
    ]


COLD_START = """
import time
started = time.perf_counter()
import json
import eventual.runtime.handler
from eventual import Socket
from eventual.runtime.dispatch import dispatch
from eventual.runtime.environment import deployment_from
{declare}
event = json.loads({event!r})
response = dispatch(sock, event, deployment_from({{"EVENTUAL_SERVICE_NAME": "bench"}}))
elapsed = time.perf_counter() - started
assert response["statusCode"] == 200, response
print(elapsed)
"""
DECLARATIONS = {
    "untyped": 'sock = Socket("s", {"$default": lambda request, context: json.loads(request.body)})',
    "pydantic model": """
from pydantic import BaseModel
class Chat(BaseModel):
    text: str
sock = Socket("s", {"$default": lambda request, context: context["message"]}, message=Chat)""",
    "dataclass": """
import dataclasses
@dataclasses.dataclass
class Chat:
    text: str
sock = Socket("s", {"$default": lambda request, context: context["message"]}, message=Chat)""",
}


def cold_start_typed() -> list[Figure]:
    from tests.apigw_events import message_event

    event = json.dumps(message_event('{"text": "hi"}'))
    seconds: dict[str, list[float]] = {kind: [] for kind in DECLARATIONS}
    for _ in range(IMPORT_RUNS):  # interleaved, so each sees the same machine load
        for kind, declare in DECLARATIONS.items():
            code = COLD_START.format(declare=declare, event=event)
            out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
            seconds[kind].append(float(out.stdout))
    untyped_ms = min(seconds["untyped"]) * 1e3
    figures = [
        Figure(
            "cold start, untyped socket: handler + declaration + first message (baseline)", untyped_ms, "ms"
        )
    ]
    for kind in ("pydantic model", "dataclass"):
        ms = min(seconds[kind]) * 1e3
        figures.append(Figure(f"cold start, socket typed with a {kind}", ms, "ms", ratio=ms / untyped_ms))
        figures.append(Figure(f"  extra cost of the {kind}", ms - untyped_ms, "ms"))
    return figures


# -- warm dispatch ----------------------------------------------------------------------------


def tag(label: str) -> Any:
    def middleware(request: Any, context: dict[str, Any], next: Any) -> Any:
        return next({**context, label: True})

    return middleware


MIDDLEWARES = [tag("a"), tag("b"), tag("c")]


def echo(request: Any, context: dict[str, Any]) -> Any:
    return request.body


def hand_written(event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
    """What a developer would write for the same work without eventual."""
    rc = event["requestContext"]
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body)
    request = MessageRequest(rc["connectionId"], body, rc["requestId"], None, event)
    context: dict[str, Any] = {"socket": "bench", "service": "bench"}
    for middleware in MIDDLEWARES:
        context = {**context}
        middleware(request=request, context=context, next=lambda ctx: ctx)
    result = echo(request, context)
    return {"statusCode": 200, "body": result}


def warm_dispatch() -> list[Figure]:
    from eventual import socket
    from eventual.runtime import handler
    from eventual.runtime.environment import deployment_from
    from tests.apigw_events import message_event

    chain = socket.use(MIDDLEWARES[0]).use(MIDDLEWARES[1]).use(MIDDLEWARES[2])
    bench_socket = chain.socket("bench-dispatch", {"$default": echo})
    handler._loaded = (bench_socket, deployment_from({"EVENTUAL_SERVICE_NAME": "bench"}))
    event = message_event(json.dumps({"hello": "world"}))
    assert handler.handle(event, None) == hand_written(event, None)

    def per_event(fn: Any) -> float:
        return min(timeit.repeat(lambda: fn(event, None), number=DISPATCH_EVENTS, repeat=5)) / DISPATCH_EVENTS

    baseline_us = per_event(hand_written) * 1e6
    ours_us = per_event(handler.handle) * 1e6
    return [
        Figure("hand-written decode + 3 middlewares + handler (baseline)", baseline_us, "us/event"),
        Figure(
            "handle() $default through 3 middlewares",
            ours_us,
            "us/event",
            ratio=ours_us / baseline_us,
            budget=3,
        ),
    ]


def run() -> list[Figure]:
    return [*cold_import(), *cold_start_typed(), *warm_dispatch()]
