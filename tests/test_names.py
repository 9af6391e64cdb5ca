"""Socket names: one rule, refused at declaration with the message synth gives."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventual import socket
from eventual.names import check_socket_name, socket_name_problem

UNRESERVED = string.ascii_letters + string.digits + "-._~"


@pytest.mark.parametrize("name", ["my socket/1", "a b", "a/b", "50%", "what?", "x#y", "café", "..", "."])
def test_a_name_that_cannot_be_a_url_path_segment_fails_at_declaration(name: str) -> None:
    with pytest.raises(ValueError, match="cannot appear in a URL path") as caught:
        socket(name, {})
    assert str(caught.value) == (
        f"socket name {name!r} cannot appear in a URL path: use letters, digits and '-', '_', "
        "'.', '~' only (no spaces, '/', '%', '?', '#')"
    )


@pytest.mark.parametrize("name", ["chat", "rtc-socket", "v1.2", "a_b~c", "..."])
def test_unreserved_names_are_declared(name: str) -> None:
    assert socket(name, {}).name == name


@given(st.text(max_size=20))
def test_a_name_is_accepted_exactly_when_every_character_is_unreserved(name: str) -> None:
    """RFC 3986 section 2.3: unreserved characters need no percent-encoding in a path."""
    valid = bool(name) and all(c in UNRESERVED for c in name) and name not in (".", "..")
    assert (socket_name_problem(name) is None) == valid
    if valid:
        assert check_socket_name(name) == name
    else:
        with pytest.raises(ValueError):
            check_socket_name(name)


@pytest.mark.parametrize("name", ["", None, 3])
def test_a_name_is_a_non_empty_string(name: object) -> None:
    assert socket_name_problem(name) == f"a socket needs a non-empty string name, got {name!r}"


@given(st.text(max_size=12) | st.text(alphabet=UNRESERVED + " /%?#", min_size=1, max_size=12))
def test_synth_refuses_exactly_what_declaration_refuses_with_the_same_message(name: str) -> None:
    """One rule in both places (issue 12): the constructs' check of a name at synth."""
    from eventual.constructs.errors import ServiceDefinitionError
    from eventual.constructs.names import check_socket_name as synth_check

    problem = socket_name_problem(name)
    if not name:
        return  # the core says "non-empty string", the constructs' copy says "URL path"
    try:
        synth_check(name)
    except ServiceDefinitionError as refused:
        assert str(refused) == problem
    else:
        assert problem is None
