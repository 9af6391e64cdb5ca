"""Socket names, by the rule both ``eventual local`` and synth hold them to.

A socket name is one URL path segment as is: the dev server serves ``/__ws/<name>``, and the
constructs derive the API's and the function's names from it. So it uses RFC 3986's unreserved
characters only (letters, digits, ``-``, ``.``, ``_``, ``~``), which need no percent-encoding
anywhere a URL or an AWS name carries them. Checked when the socket is declared, so the name
that synth would refuse fails locally first, with the same message.
"""

from __future__ import annotations

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
"""A set, not a regular expression: compiling one would cost every Lambda cold start."""


def socket_name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a socket, or ``None`` if it can."""
    if not isinstance(name, str) or not name:
        return f"a socket needs a non-empty string name, got {name!r}"
    if not _UNRESERVED.issuperset(name) or name in (".", ".."):
        return (
            f"socket name {name!r} cannot appear in a URL path: use letters, digits and '-', '_', "
            "'.', '~' only (no spaces, '/', '%', '?', '#')"
        )
    return None


def check_socket_name(name: object) -> str:
    """``name`` if it can name a socket; otherwise ``ValueError`` saying why."""
    problem = socket_name_problem(name)
    if problem is not None:
        raise ValueError(problem)
    assert isinstance(name, str)
    return name
