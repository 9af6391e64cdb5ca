"""The Lambda function's configuration: the environment variables the ``Service`` construct sets,
read here and nowhere else.

``EVENTUAL_SERVICE_NAME``, ``EVENTUAL_SOCKET_NAME``, ``EVENTUAL_ENTRY`` (the module that declares
the service's sockets), ``EVENTUAL_SOCKET_URLS`` (every socket's ``{"wss", "http"}`` URLs, as
JSON) and, for services that track connections, ``EVENTUAL_CONNECTIONS_TABLE``; where the
service fans broadcasts out, ``EVENTUAL_FANOUT_QUEUE_URL`` (its SQS queue), optionally
``EVENTUAL_FANOUT_ABOVE`` (the service's threshold, default 1,000) and, for the fan-out worker,
``EVENTUAL_FANOUT_CONCURRENCY`` (posts in flight per batch, default 32).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from eventual.deployment import DEFAULT_FAN_OUT_ABOVE, Deployment, SocketUrls
from eventual.errors import ConfigurationError
from eventual.records import Record, init_fields

if TYPE_CHECKING:
    from eventual.fanout import FanOutQueue

SERVICE_ENV = "EVENTUAL_SERVICE_NAME"
SOCKET_ENV = "EVENTUAL_SOCKET_NAME"
ENTRY_ENV = "EVENTUAL_ENTRY"
URLS_ENV = "EVENTUAL_SOCKET_URLS"
TABLE_ENV = "EVENTUAL_CONNECTIONS_TABLE"
DOCUMENT_ENV = "EVENTUAL_SERVICE_DOCUMENT"
"""The service document, as JSON, in the environment of the HTTP API's function
(:mod:`eventual.service_document`)."""
LOG_FORMAT_ENV = "AWS_LAMBDA_LOG_FORMAT"
"""Set by Lambda to the function's log format, ``JSON`` or ``Text`` (the Python runtime's bootstrap
reads it to choose its log formatter)."""
FANOUT_QUEUE_ENV = "EVENTUAL_FANOUT_QUEUE_URL"
FANOUT_ABOVE_ENV = "EVENTUAL_FANOUT_ABOVE"
FANOUT_CONCURRENCY_ENV = "EVENTUAL_FANOUT_CONCURRENCY"
DEFAULT_FANOUT_CONCURRENCY = 32


class FunctionConfiguration(Record):
    """Which socket this function serves, from which entry module, in which deployment."""

    __slots__ = ("deployment", "entry", "socket_name")
    _compared = ("socket_name", "entry", "deployment")

    socket_name: str
    entry: str
    deployment: Deployment

    def __init__(self, socket_name: str, entry: str, deployment: Deployment) -> None:
        init_fields(self, socket_name=socket_name, entry=entry, deployment=deployment)


def configuration_from(environ: Mapping[str, str]) -> FunctionConfiguration:
    """Read a function's configuration; say exactly what is missing or malformed."""
    name = environ.get(SOCKET_ENV)
    if not name:
        raise ConfigurationError(f"{SOCKET_ENV} is not set: which socket should this function serve?")
    entry = environ.get(ENTRY_ENV)
    if not entry:
        raise ConfigurationError(f"{ENTRY_ENV} is not set: which module declares the sockets?")
    return FunctionConfiguration(name, entry, deployment_from(environ))


def deployment_from(environ: Mapping[str, str]) -> Deployment:
    """The deployment a function of the service runs in: its sockets' URLs, the boto3
    management API, and the connections table where the function was given one."""
    from eventual.runtime.management import ManagementClient

    store = None
    table = environ.get(TABLE_ENV)
    if table:
        from eventual.runtime.connections import DynamoConnectionStore

        store = DynamoConnectionStore(table)
    queue_url = environ.get(FANOUT_QUEUE_ENV)
    return Deployment(
        environ.get(SERVICE_ENV, ""),
        socket_urls_from(environ.get(URLS_ENV, "")),
        management=ManagementClient,
        connections=store,
        fan_out=(lambda: _sqs_queue(queue_url)) if queue_url else None,
        fan_out_above=_count(environ, FANOUT_ABOVE_ENV, DEFAULT_FAN_OUT_ABOVE, minimum=0),
    )


def fan_out_concurrency_from(environ: Mapping[str, str]) -> int:
    """The fan-out worker's posts in flight per batch."""
    return _count(environ, FANOUT_CONCURRENCY_ENV, DEFAULT_FANOUT_CONCURRENCY, minimum=1)


def _sqs_queue(queue_url: str) -> FanOutQueue:
    # On the first fan-out only: the socket function's cold start never compiles it.
    from eventual.runtime.sqs import SqsFanOutQueue

    return SqsFanOutQueue(queue_url)


def _count(environ: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = environ.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ConfigurationError(f"{name} must be a whole number of at least {minimum}, got {raw!r}")
    return value


def socket_urls_from(raw: str) -> dict[str, SocketUrls]:
    """Parse ``EVENTUAL_SOCKET_URLS``: ``{"name": {"wss": ..., "http": ...}, ...}``."""
    try:
        parsed = json.loads(raw) if raw else {}
        return {name: SocketUrls(urls["wss"], urls["http"]) for name, urls in parsed.items()}
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise ConfigurationError(f"{URLS_ENV} is not a JSON map of socket URLs: {error!r}") from error


def logs_as_json() -> bool:
    """Whether Lambda formats this function's ``logging`` records as JSON objects (the ``Service``
    construct's default), which take a record's ``extra`` fields as their own keys."""
    import os

    return os.environ.get(LOG_FORMAT_ENV, "").upper() == "JSON"


def service_document_from(environ: Mapping[str, str]) -> str:
    """The service document the construct wrote into the HTTP API function's environment."""
    document = environ.get(DOCUMENT_ENV)
    if not document:
        raise ConfigurationError(f"{DOCUMENT_ENV} is not set: this function serves the service document")
    return document
