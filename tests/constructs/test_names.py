"""AWS names: valid, deterministic, shortened to fit and still distinct."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from eventual.constructs.names import FUNCTION_NAME_MAX, api_name, fit, function_name
from tests.constructs.synth import declare, write_service

FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@given(st.text("ab-_.~9", min_size=1, max_size=90), st.text("ab-_.~9", min_size=1, max_size=90))
def test_function_names_fit_lambda_and_distinct_sockets_stay_distinct(first: str, second: str) -> None:
    one, two = function_name("svc", first), function_name("svc", second)
    assert FUNCTION_NAME.fullmatch(one) and FUNCTION_NAME.fullmatch(two)
    assert (one == two) == (first == second)
    assert function_name("svc", first) == one  # deterministic


def test_names_that_fit_are_kept_and_long_ones_keep_a_readable_prefix() -> None:
    assert function_name("my-service", "rtc-socket") == "my-service-rtc-socket"
    long = function_name("my-service", "x" * 80)
    assert len(long) == FUNCTION_NAME_MAX and long.startswith("my-service-xxxx")
    assert len(api_name("s" * 100, "t" * 100)) == 128
    assert fit("abc", 3) == "abc" and len(fit("abcd", 3 + 9)) <= 12


def test_long_service_and_socket_names_are_shortened_in_the_stack(tmp_path: Path) -> None:
    import aws_cdk as cdk

    from eventual.constructs import Service

    sockets = ["notifications-for-" + "x" * 50 + "-one", "notifications-for-" + "x" * 50 + "-two"]
    entry = write_service(tmp_path, "svc_long_names", declare(*sockets))
    service = Service(
        cdk.Stack(cdk.App(), "S"),
        "Svc",
        name="a-rather-long-service-name",
        entry=entry,
        project_root=tmp_path,
    )
    functions = [service.sockets[s].function.node.default_child.function_name for s in sockets]  # type: ignore[union-attr]
    apis = [service.sockets[s].api.node.default_child.name for s in sockets]  # type: ignore[union-attr]
    assert all(FUNCTION_NAME.fullmatch(f) for f in functions) and len(set(functions)) == 2
    assert apis == [f"a-rather-long-service-name-{s}" for s in sockets]  # 95 characters fit in 128
