"""CDK props given the two ways CDK users in Python give them: a jsii struct, or a dict of its fields."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from eventual.constructs.errors import ServiceDefinitionError


def struct_fields(value: Any, struct: type[Any]) -> dict[str, Any]:
    """The fields set in ``value`` (a ``struct`` or a dict of its keyword arguments, checked against them)."""
    fields = [f for f in struct.__init__.__annotations__ if f != "return"]
    if not isinstance(value, struct):
        if not isinstance(value, Mapping):
            raise ServiceDefinitionError(
                f"expected {struct.__module__}.{struct.__name__} or a dict of its fields, got {value!r}"
            )
        unknown = sorted(set(value) - set(fields))
        if unknown:
            close = difflib.get_close_matches(unknown[0], fields, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ServiceDefinitionError(
                f"{', '.join(map(repr, unknown))} is not a field of "
                f"{struct.__module__.removeprefix('aws_cdk.')}.{struct.__name__}{hint}"
            )
        value = struct(**value)
    return {f: getattr(value, f) for f in fields if getattr(value, f) is not None}
