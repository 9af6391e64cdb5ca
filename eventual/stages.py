"""Service and stage names, and the names AWS resources get from them: one rule for ``app.py``,
the command line and synth.

A service deploys to stages side by side in one account and region: the default stage, whose stack
and resources carry the service's name alone (``my-service``), and named ones (``dev``, ``pr-123``).
Every name a stage gives joins its parts with ``--``, and no part may contain ``--``: the stack and
the event bus are ``my-service--dev``, a socket's function ``my-service--dev--chat``. So no two
(service, stage, socket) ever share a name: socket ``dev-chat`` of the default stage is
``my-service--dev-chat``, socket ``chat`` of stage ``dev`` is ``my-service--dev--chat``; service
``my-service-dev`` is never stage ``dev`` of ``my-service``. A single ``-`` would make all of these
one name, and a deploy would fail on the function another stack holds, or, for a stack, update
another service's stack in place.

Service names take letters, digits and single ``-`` between them, starting with a letter, at most
63 characters; stage names the same, starting with a letter or digit, at most 32: exactly what a
CloudFormation stack name accepts (``[A-Za-z][-A-Za-z0-9]*``, 128 characters) once joined, with no
``--`` and no ``_`` (which stack names refuse). The checks use no regular expression: this module is
imported where a Lambda cold start may pay for it.
"""

from __future__ import annotations

from eventual.errors import ConfigurationError
from eventual.outputs import DEFAULT_STAGE
from eventual.service_document import LOCAL_STAGE

SEPARATOR = "--"
"""Joins the service, the stage and the socket in every name; no part may contain it."""
SERVICE_NAME_MAX = 63
STAGE_MAX = 32
STACK_NAME_MAX = 128
"""CloudFormation's longest stack name; a service and a stage at their longest make 97."""

_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


def service_name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a service, or ``None`` if it can."""
    if not isinstance(name, str) or not _words(name) or not name[0].isalpha() or len(name) > SERVICE_NAME_MAX:
        return (
            f"service name {name!r} is not valid: use letters and digits, with single '-' between them, "
            f"starting with a letter, at most {SERVICE_NAME_MAX} characters (it names the CloudFormation "
            "stack, and '--' joins it to the stage and socket in every resource's name)"
        )
    return None


def stage_problem(stage: object) -> str | None:
    """Why ``stage`` cannot name a stage, or ``None`` if it can (``default`` is the default stage)."""
    if stage == LOCAL_STAGE:
        return f"stage {stage!r} is reserved: it names the dev server (`eventual local`) in service documents"
    if not isinstance(stage, str) or not _words(stage) or len(stage) > STAGE_MAX:
        return (
            f"stage {stage!r} is not valid: use letters and digits, with single '-' between them, at "
            f"most {STAGE_MAX} characters, such as 'dev' or 'pr-123' (no '_' or '--': the stage is part of "
            f"the stack's name and every resource's); {DEFAULT_STAGE!r} is the stage named after the "
            "service alone"
        )
    return None


def check_stage(stage: object) -> str:
    """``stage`` if it can name a stage; otherwise :class:`ConfigurationError` saying why."""
    problem = stage_problem(stage)
    if problem is not None:
        raise ConfigurationError(problem)
    assert isinstance(stage, str)
    return stage


def name_prefix(service: str, stage: str) -> str:
    """What every name of a stage's resources starts with: ``<service>`` for the default stage,
    else ``<service>--<stage>``."""
    return service if stage == DEFAULT_STAGE else f"{service}{SEPARATOR}{stage}"


def stack_name(service: str, stage: str = DEFAULT_STAGE) -> str:
    """The CloudFormation stack of ``stage`` of ``service`` (``app.py`` names its stack so):
    ``my-service``, ``my-service--dev``. :class:`ConfigurationError` for a name that cannot be one."""
    problem = service_name_problem(service) or stage_problem(stage)
    if problem is not None:
        raise ConfigurationError(problem)
    return name_prefix(service, stage)


def _words(name: str) -> bool:
    """Letters and digits in runs joined by single ``-``: no ``-`` first or last, no ``--``."""
    return all(word and _ALNUM.issuperset(word) for word in name.split("-"))
