"""Plans, checked without the CDK: names, merged options, environments, roles, authorizers, errors."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import FrozenInstanceError
from typing import Any

import pytest

import examples.service
from eventual.constructs.errors import ServiceDefinitionError
from eventual.constructs.plan import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_SECONDS,
    ServiceOptions,
    ServicePlan,
    plan_service,
)
from eventual.constructs.throttle import DEFAULT_THROTTLE, Throttle
from eventual.sockets import Socket, SocketOptions, sockets_of
from tests.test_import_boundary import modules_after

EXAMPLE = sockets_of(examples.service.__name__)


def sockets(*declared: Socket) -> dict[str, Socket]:
    return {s.name: s for s in declared}


def plain(name: str, **options: Any) -> Socket:
    return Socket(name, {}, options=SocketOptions(**options))


def plan(declared: Mapping[str, Socket] | None = None, **options: Any) -> ServicePlan:
    return plan_service(
        EXAMPLE if declared is None else declared,
        ServiceOptions(**{"name": "svc", "entry": "examples.service", **options}),
    )


def test_planning_imports_neither_the_cdk_nor_jsii() -> None:
    loaded = modules_after("import eventual.constructs.plan, eventual.constructs")
    assert loaded.isdisjoint({"aws_cdk", "jsii", "constructs"}), loaded


def test_the_example_plan_names_everything_after_the_service_and_socket() -> None:
    example = plan(name="my-service")
    assert list(example.sockets) == list(EXAMPLE)
    assert (example.event_bus_name, example.log_group_name) == ("my-service", "my-service-execution-logs")
    for name, socket_plan in example.sockets.items():
        function = socket_plan.function
        assert function.function_name == f"my-service--{name}"
        assert socket_plan.api_name == f"my-service--{name}"
        assert socket_plan.stage_name == "prod"
        assert function.handler == "eventual.runtime.handler.handle"
        assert (function.memory_size, function.timeout_seconds) == (
            DEFAULT_MEMORY_MB,
            DEFAULT_TIMEOUT_SECONDS,
        )
        assert function.environment == {
            "EVENTUAL_SERVICE_NAME": "my-service",
            "EVENTUAL_SOCKET_NAME": name,
            "EVENTUAL_ENTRY": "examples.service",
        }
        assert function.role == "socket"  # tracked or not: one rule for every socket function
    assert example.tracked == tuple(n for n, s in EXAMPLE.items() if s.options.track_connections)


def test_plans_are_frozen() -> None:
    example = plan()
    first = next(iter(example.sockets.values()))
    with pytest.raises(FrozenInstanceError):
        first.function.memory_size = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        first.function.environment["X"] = "y"  # type: ignore[index]
    with pytest.raises(TypeError):
        example.sockets["other"] = first  # type: ignore[index]


def test_options_merge_defaults_then_service_wide_then_declaration_then_per_socket() -> None:
    declared = sockets(plain("a", memory_size=256, timeout=5), plain("b"), plain("c", timeout=60))
    planned = plan(
        declared,
        function_options={"memory_size": 1024, "environment": {"STAGE": "test"}, "tracing": "Active"},
        socket_function_options={
            "b": {"memory_size": 2048, "reserved_concurrent_executions": 3, "environment": {"X": "1"}}
        },
    )
    a, b, c = (planned.sockets[s].function for s in "abc")
    assert (a.memory_size, a.timeout_seconds) == (256, 5)
    assert (b.memory_size, b.timeout_seconds) == (2048, DEFAULT_TIMEOUT_SECONDS)
    assert b.options == {"tracing": "Active", "reserved_concurrent_executions": 3}
    assert c.options == {"tracing": "Active"} and c.memory_size == 1024
    assert list(b.environment) == [
        "STAGE",
        "X",
        "EVENTUAL_SERVICE_NAME",
        "EVENTUAL_SOCKET_NAME",
        "EVENTUAL_ENTRY",
    ]
    assert not a.past_api_gateway_timeout and c.past_api_gateway_timeout  # 60 s > API Gateway's 29


class Minutes:
    """Stands in for ``aws_cdk.Duration``: the plan only asks it for seconds."""

    def __init__(self, minutes: int) -> None:
        self.minutes = minutes

    def to_seconds(self) -> float:
        return self.minutes * 60.0


def test_a_timeout_from_the_options_is_read_in_seconds() -> None:
    planned = plan(sockets(plain("a")), function_options={"timeout": Minutes(2)})
    assert planned.sockets["a"].function.timeout_seconds == 120


def test_an_authorizer_shares_its_sockets_options_but_not_its_identity_role_or_events() -> None:
    declared = sockets(plain("door", authorizer=lambda request: {}, memory_size=256))
    planned = plan(
        declared,
        function_options={
            "tracing": "Active",
            "role": "user-role",
            "events": ["queue"],
            "initial_policy": [],
        },
        socket_authorizer_options={"door": {"identity_source": ["route.request.querystring.token"]}},
    )
    door = planned.sockets["door"]
    assert door.authorizer is not None and planned.authorized == ("door",)
    guard = door.authorizer.function
    assert (door.authorizer.name, door.authorizer.identity_source) == (
        "door-authorizer",
        ("route.request.querystring.token",),
    )
    assert guard.function_name == "svc--door-authorizer" and guard.role == "authorizer"
    assert guard.handler == "eventual.runtime.handler.authorize"
    assert guard.options == {"tracing": "Active"} and guard.memory_size == 256
    assert guard.environment == door.function.environment
    assert door.function.options["role"] == "user-role"  # the socket's function keeps the user's role
    assert list(planned.functions()) == [door.function, guard, planned.http_function]


def test_an_authorizer_takes_no_share_of_its_sockets_reserved_concurrency_or_async_settings() -> None:
    """Issue 19 item 10: ``reserved_concurrent_executions`` set for a socket was copied onto its
    authorizer, which took as much again from the account. API Gateway invokes an authorizer
    synchronously, so the asynchronous-invocation settings (retries, event age, destinations,
    dead-letter queue) would only create resources and grants that never act."""
    declared = sockets(plain("door", authorizer=lambda request: {}))
    socket_only = {
        "reserved_concurrent_executions": 50,
        "retry_attempts": 0,
        "max_event_age": "1h",
        "on_failure": "destination",
        "on_success": "destination",
        "dead_letter_queue_enabled": True,
        "dead_letter_queue": "queue",
        "dead_letter_topic": "topic",
    }
    planned = plan(
        declared,
        socket_function_options={"door": {**socket_only, "tracing": "Active", "memory_size": 1024}},
    )
    door = planned.sockets["door"]
    assert door.function.options == {**socket_only, "tracing": "Active"}
    assert door.authorizer is not None
    guard = door.authorizer.function
    assert guard.options == {"tracing": "Active"} and guard.memory_size == 1024


def test_roles_every_socket_function_shares_one_role_tracked_or_not() -> None:
    some = plan(sockets(plain("a", track_connections=True), plain("b")))
    assert some.tracked == ("a",)
    assert [p.function.role for p in some.sockets.values()] == ["socket", "socket"]
    nothing = plan(sockets(plain("a")))
    assert nothing.tracked == () and nothing.authorized == ()


@pytest.mark.parametrize(
    ("declared", "options", "match"),
    [
        ((), {}, r"'examples.service' declares no sockets"),
        (
            ("chat",),
            {"socket_function_options": {"chta": {}}},
            r"socket_function_options names 'chta'.*declares 'chat'",
        ),
        (("chat",), {"socket_authorizer_options": {"chat": {}}}, r"'chat', declared without an authorizer"),
        (("chat",), {"function_options": {"environment": {"EVENTUAL_ENTRY": "x"}}}, "EVENTUAL_ENTRY"),
        (("chat",), {"name": "my service"}, "service name 'my service'"),
        (("chat",), {"name": "x" * 64}, "at most 63 characters"),
        (("chat",), {"name": "my_service"}, "service name 'my_service' is not valid"),
        (("chat",), {"name": "my--service"}, "service name 'my--service' is not valid"),
        (("chat",), {"stage_name": "$default"}, "stage name"),
        (("chat",), {"name": "default"}, r"service name 'default' is reserved: EventBridge"),
        (("chat",), {"stage": "dev/1"}, r"stage 'dev/1' is not valid"),
        (("chat",), {"stage": "x" * 33}, "at most 32 characters"),
        (("chat",), {"stage": "pr_1"}, r"stage 'pr_1' is not valid"),
        (("chat",), {"stage": "pr--1"}, r"stage 'pr--1' is not valid"),
        (("chat",), {"stage": "local"}, r"stage 'local' is reserved: it names the dev server"),
        (("chat",), {"socket_throttle": {"chta": {}}}, r"socket_throttle names 'chta'"),
        (
            ("chat",),
            {"socket_throttle": {"chat": {"burst_limit": -1}}},
            r"socket 'chat': throttle: burst_limit",
        ),
        (("my socket",), {}, "cannot appear in a URL path"),
        (("..",), {}, "cannot appear in a URL path"),
    ],
)
def test_what_cannot_deploy_fails_the_plan(
    declared: tuple[str, ...], options: dict[str, Any], match: str
) -> None:
    with pytest.raises(ServiceDefinitionError, match=match):
        plan(sockets(*(plain(n) for n in declared)), **options)


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"identity_source": ["$request.header.Authorization"]}, "is not one API Gateway accepts"),
        ({"identity_source": "route.request.header.Auth"}, "a list of sources"),
        ({"identity_source": []}, r"identity_source is empty; .* route.request.header.Host"),
        ({"authorizer_name": "x" * 129}, "API Gateway allows 128"),
    ],
)
def test_authorizer_fields_are_checked(fields: dict[str, Any], match: str) -> None:
    declared = sockets(plain("door", authorizer=lambda request: {}))
    with pytest.raises(ServiceDefinitionError, match=match):
        plan(declared, socket_authorizer_options={"door": fields})


def test_an_authorizer_function_name_may_not_take_another_sockets_name() -> None:
    declared = sockets(plain("chat", authorizer=lambda request: {}), plain("chat-authorizer"))
    with pytest.raises(ServiceDefinitionError, match=r"'chat-authorizer' and 'chat \(authorizer\)'.*rename"):
        plan(declared)


def test_too_many_sockets_for_lambdas_environment_fail_the_plan() -> None:
    declared = sockets(*(plain(f"socket-{i:02}") for i in range(40)))
    with pytest.raises(ServiceDefinitionError, match=r"over Lambda's limit of 4096; at most \d+ sockets fit"):
        plan(declared)


def test_a_known_region_sizes_the_urls_exactly() -> None:
    declared = sockets(*(plain(f"socket-{i:02}") for i in range(24)))
    plan(declared, region="us-east-1")  # fits with us-east-1's host names...
    with pytest.raises(ServiceDefinitionError):
        plan(declared)  # ...but not at the longest region's


def test_names_lambda_rejects_are_made_valid_and_stay_distinct() -> None:
    planned = plan(sockets(plain("beta.v2"), plain("beta-v2")))
    names = [p.function.function_name for p in planned.sockets.values()]
    assert re.fullmatch(r"svc--beta-v2-[0-9a-f]{8}", names[0]) and names[1] == "svc--beta-v2"


def test_routes_are_the_predefined_ones_until_a_socket_declares_its_own() -> None:
    noop = lambda r, c: None  # noqa: E731
    routed = Socket(
        "routed",
        {"ping": noop, "$default": noop},
        options=SocketOptions(route_selection="$request.body.type"),
    )
    strict = Socket("strict", {"ping": noop})
    planned = plan(sockets(plain("plain"), routed, strict)).sockets
    assert planned["plain"].route_keys == ("$connect", "$disconnect", "$default")
    assert planned["routed"].route_keys == ("$connect", "$disconnect", "$default", "ping")
    assert planned["routed"].route_selection == "$request.body.type"
    # No $default: API Gateway itself refuses a message that selects no route, as the dev server does.
    assert planned["strict"].route_keys == ("$connect", "$disconnect", "ping")


def routed(name: str, routes: int, *, key_length: int = 8, default: bool = True) -> Socket:
    """A socket with ``routes`` message routes (keys ``key_length`` characters long) and, with
    ``default``, a ``$default`` handler."""
    noop = lambda r, c: None  # noqa: E731
    keys = [f"{i:0{key_length}d}" for i in range(routes)]
    return Socket(name, {**dict.fromkeys(keys, noop), **({"$default": noop} if default else {})})


@pytest.mark.parametrize("default", [True, False])
def test_an_api_may_have_300_routes_and_not_one_more(default: bool) -> None:
    """Issue 19 item 9: API Gateway's "Routes per API" quota is 300 ("Quotas for configuring and
    running a WebSocket API"), counting $connect and $disconnect (and $default when there is one)."""
    predefined = 3 if default else 2
    at_quota = plan(sockets(routed("wide", 300 - predefined, default=default)))
    assert len(at_quota.sockets["wide"].route_keys) == 300
    with pytest.raises(ServiceDefinitionError, match=r"socket 'wide' has 301 routes; API Gateway allows 300"):
        plan(sockets(routed("wide", 301 - predefined, default=default)))


def test_a_route_key_may_have_128_characters_and_not_one_more() -> None:
    """Issue 19 item 9: AWS documents no length for a WebSocket route key; the plan holds keys to
    the 128 characters API Gateway's API model gives its other names and keys (see
    ``eventual.constructs.limits.ROUTE_KEY_MAX``)."""
    assert plan(sockets(routed("long", 1, key_length=128))).sockets["long"].route_keys[-1] == "0" * 128
    with pytest.raises(ServiceDefinitionError, match=r"socket 'long': route key '0{20}'\.\.\. has 129"):
        plan(sockets(routed("long", 1, key_length=129)))


def test_a_stage_other_than_the_default_carries_its_name_in_every_physical_name() -> None:
    default, dev = plan(name="my-service"), plan(name="my-service", stage="dev")
    assert (default.stage, default.stage_name) == ("default", "prod")
    assert (dev.stage, dev.stage_name) == ("dev", "dev")  # the API Gateway stage follows the stage
    assert (dev.event_bus_name, dev.log_group_name) == ("my-service--dev", "my-service--dev-execution-logs")
    assert all(
        name.startswith("my-service--dev-") or name == "my-service--dev"
        for name in dev.physical_names().values()
    )
    assert set(default.physical_names().values()).isdisjoint(dev.physical_names().values())
    assert plan(stage="dev", stage_name="v1").stage_name == "v1"
    assert dev.description == "eventual service my-service (stage dev)"
    assert all(p.stage == "dev" for p in dev.sockets.values())


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            {"name": "my-service", "socket": "dev-chat"},
            {"name": "my-service", "stage": "dev", "socket": "chat"},
        ),
        (
            {"name": "my-service-dev", "socket": "chat"},
            {"name": "my-service", "stage": "dev", "socket": "chat"},
        ),
    ],
)
def test_a_socket_or_service_never_takes_the_names_of_another_stage(
    first: dict[str, str], second: dict[str, str]
) -> None:
    """Issue 19 item 14: socket ``dev-chat`` of the default stage and socket ``chat`` of stage
    ``dev`` both made ``my-service-dev-chat``; service ``my-service-dev`` and stage ``dev`` of
    ``my-service`` shared every name, the stack's too. Two stacks, one account: the second
    deploy failed on the first's names."""
    one, two = ({**options} for options in (first, second))
    planned = [plan(sockets(plain(o.pop("socket"))), **o).physical_names().values() for o in (one, two)]
    assert set(planned[0]).isdisjoint(planned[1])


def test_every_name_of_the_longest_service_stage_and_sockets_fits_what_aws_allows() -> None:
    """The longest service (63) and stage (32) names and long socket names: every physical name
    within its AWS limit (Lambda function 64, API 128, event bus 256, log group 512), the HTTP
    API's included, which used to take the prefix unshortened (issue 19 item 14)."""
    from eventual.stages import stack_name

    declared = sockets(
        plain("s" * 80),
        plain("t" * 80, authorizer=lambda request: {}),
        plain("u" * 80, track_connections=True),
    )
    longest = plan(declared, name="x" * 63, stage="y" * 32)
    for what, name in longest.physical_names().items():
        limit = 64 if what.endswith("function") else 128 if what.endswith("API") else 512
        limit = 256 if what == "event bus" else limit
        assert 0 < len(name) <= limit, (what, name)
    functions = [n for what, n in longest.physical_names().items() if what.endswith("function")]
    assert len(functions) == len(set(functions)) == 6  # 3 sockets, an authorizer, HTTP API, fan-out
    assert len(stack_name("x" * 63, "y" * 32)) <= 128


def test_the_http_api_function_takes_a_name_no_socket_may_take() -> None:
    assert plan(name="my-service").http_function.function_name == "my-service--http-api"
    with pytest.raises(ServiceDefinitionError, match=r"'http-api' and '\(HTTP API function\)'"):
        plan(sockets(plain("http-api")))


def test_every_socket_and_the_http_api_are_throttled_by_default() -> None:
    planned = plan(
        sockets(plain("a"), plain("b")),
        throttle={"rate_limit": 50},
        socket_throttle={"b": {"burst_limit": 5}},
    )
    assert planned.http_throttle == Throttle(rate_limit=50, burst_limit=DEFAULT_THROTTLE.burst_limit)
    assert planned.sockets["a"].throttle == planned.http_throttle
    assert planned.sockets["b"].throttle == Throttle(rate_limit=50, burst_limit=5)
    assert plan(sockets(plain("a"))).sockets["a"].throttle == DEFAULT_THROTTLE


def test_a_tracked_service_plans_its_fan_out_worker_and_queues() -> None:
    from eventual.constructs.fanout_plan import FanOutPlan

    planned = plan(sockets(plain("room", track_connections=True), plain("admin")))
    fan_out = planned.fan_out
    assert isinstance(fan_out, FanOutPlan)
    worker = fan_out.function
    assert worker.function_name == "svc--fan-out" and worker.role == "fan-out"
    assert worker.handler == "eventual.runtime.fanout_worker.handle"
    assert (worker.memory_size, worker.timeout_seconds) == (1769, 60)
    assert worker.environment == {"EVENTUAL_SERVICE_NAME": "svc"}  # the runtime's 32 posts in flight
    assert worker.options == {}
    assert (fan_out.batch_size, fan_out.max_concurrency, fan_out.max_receive_count) == (1, 50, 5)
    assert fan_out.visibility_timeout_seconds == 6 * 60
    assert fan_out.dead_letter_retention_days == 14
    assert fan_out.fan_out_above is None and fan_out.socket_environment == {}
    assert list(planned.functions())[-1] is worker
    assert planned.physical_names()["fan-out worker: function"] == "svc--fan-out"
    with pytest.raises(FrozenInstanceError):
        fan_out.batch_size = 10  # type: ignore[misc]


def test_fan_out_options_reach_the_socket_functions_and_the_worker() -> None:
    planned = plan(
        sockets(plain("room", track_connections=True)),
        stage="dev",
        fan_out_above=0,  # every broadcast queued, as the runtime allows
        fan_out_concurrency=8,
        function_options={"architecture": "x86_64", "memory_size": 256},
    )
    assert planned.fan_out is not None
    assert planned.fan_out.socket_environment == {"EVENTUAL_FANOUT_ABOVE": "0"}
    worker = planned.fan_out.function
    assert worker.function_name == "svc--dev--fan-out"
    assert worker.environment["EVENTUAL_FANOUT_CONCURRENCY"] == "8"
    assert worker.options == {"architecture": "x86_64"}  # the sockets' CPU, not their memory
    assert worker.memory_size == 1769


def test_a_service_that_tracks_nothing_plans_no_fan_out_and_refuses_its_options() -> None:
    assert plan(sockets(plain("a"))).fan_out is None
    for option in ("fan_out_above", "fan_out_concurrency"):
        with pytest.raises(ServiceDefinitionError, match=f"{option} given, but the service tracks no"):
            plan(sockets(plain("a")), **{option: 5})


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"fan_out_above": -1}, "fan_out_above must be a whole number of at least 0, got -1"),
        ({"fan_out_above": 1.5}, "fan_out_above must be a whole number"),
        ({"fan_out_above": "1000"}, "fan_out_above must be a whole number"),
        ({"fan_out_above": True}, "fan_out_above must be a whole number"),
        ({"fan_out_concurrency": 0}, "fan_out_concurrency must be a whole number of at least 1, got 0"),
    ],
)
def test_fan_out_options_are_checked(options: dict[str, Any], match: str) -> None:
    with pytest.raises(ServiceDefinitionError, match=match):
        plan(sockets(plain("room", track_connections=True)), **options)


def test_the_fan_out_worker_takes_a_name_no_socket_may_take() -> None:
    with pytest.raises(ServiceDefinitionError, match=r"'fan-out' and '\(fan-out worker\)'"):
        plan(sockets(plain("fan-out", track_connections=True)))


def test_the_fan_out_queues_url_counts_toward_every_socket_functions_environment() -> None:
    # 22 sockets fit with the table's name at its longest (4,046 bytes), not with the queue's URL too.
    declared = [plain(f"socket-{i:02}") for i in range(22)]
    plan(sockets(*declared), region="us-east-1")
    tracked = sockets(plain("socket-00", track_connections=True), *declared[1:])
    with pytest.raises(ServiceDefinitionError, match=r"about 42\d\d bytes .* over Lambda's limit of 4096"):
        plan(tracked, region="us-east-1")
