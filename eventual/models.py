"""Message types: what a socket or route declares it takes, answers or pushes, and pydantic behind them.

A type is anything pydantic's ``TypeAdapter`` takes: a pydantic model, a dataclass, a
``TypedDict``, ``list[Item]``... :class:`MessageType` validates a message's JSON body against it and
gives its JSON Schema; :func:`json_value` turns a model instance into JSON values (pydantic's JSON
mode) for the encoder in :mod:`eventual.payload`.

pydantic is imported on first use, never at import: a socket without types never loads it, and
one with types loads it at its first message (docs/architecture.md, "Cold start"). It is the
optional extra ``eventual-py[types]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeAlias, TypedDict

from eventual.errors import ConfigurationError

if TYPE_CHECKING:
    from pydantic import TypeAdapter


class _Dataclass(Protocol):
    __dataclass_fields__: ClassVar[dict[str, Any]]


class _PydanticModel(Protocol):
    __pydantic_serializer__: ClassVar[Any]


Model: TypeAlias = _Dataclass | _PydanticModel
"""What the encoder takes besides JSON values: a dataclass or pydantic model instance."""

PYDANTIC_MISSING = "typed messages need pydantic: pip install 'eventual-py[types]'"
SCHEMA_REF = "#/components/schemas/{model}"
"""Where a type's nested definitions live in the AsyncAPI document (:mod:`eventual.asyncapi`)."""


class Problem(TypedDict):
    """One reason a message is invalid, as the error reply lists it."""

    location: list[str | int]
    """The path to the offending value: ``["items", 0, "qty"]``; ``[]`` for the whole message."""
    message: str
    """pydantic's explanation: ``"Field required"``."""
    type: str
    """pydantic's error type: ``"missing"``, ``"int_parsing"``, ``"json_invalid"``..."""


class MessageType:
    """A declared type, with its ``TypeAdapter`` built on first use (and kept)."""

    __slots__ = ("_adapter", "type")

    def __init__(self, type_: Any) -> None:
        if type_ is None:
            raise TypeError("a message type is a class or type, not None")
        self.type = type_
        self._adapter: TypeAdapter[Any] | None = None

    def __repr__(self) -> str:
        return f"MessageType({self.name})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MessageType) and other.type == self.type

    def __hash__(self) -> int:
        return hash(self.type)

    @property
    def name(self) -> str:
        """The type's name, for documents and messages: ``Move``, ``list[Move]``."""
        name = getattr(self.type, "__name__", None)
        return name if isinstance(name, str) and "[" not in repr(self.type) else _short(repr(self.type))

    def adapter(self) -> TypeAdapter[Any]:
        """pydantic's ``TypeAdapter`` for the type; :class:`ConfigurationError` if pydantic is missing
        or cannot handle the type (synth and ``eventual local`` find out at declaration)."""
        if self._adapter is None:
            try:
                from pydantic import PydanticSchemaGenerationError, TypeAdapter
            except ImportError as error:
                raise ConfigurationError(f"{PYDANTIC_MISSING} (for {self.name})") from error
            try:
                self._adapter = TypeAdapter(self.type)
            except (PydanticSchemaGenerationError, TypeError) as error:
                raise ConfigurationError(
                    f"{self.name} cannot be a message type: pydantic cannot validate it ({error})"
                ) from error
        return self._adapter

    def validate(self, body: str | bytes) -> tuple[Any, list[Problem] | None]:
        """``(value, None)`` for a body that is JSON of this type, else ``(None, problems)``."""
        adapter = self.adapter()
        from pydantic import ValidationError

        try:
            return adapter.validate_json(body), None
        except ValidationError as error:
            return None, problems_of(error)

    def json_schema(self) -> dict[str, Any]:
        """The type's JSON Schema (pydantic's, for validation), nested definitions under ``$defs``."""
        schema: dict[str, Any] = self.adapter().json_schema(ref_template=SCHEMA_REF)
        return schema


def problems_of(error: Any) -> list[Problem]:
    """What a pydantic ``ValidationError`` says, without the input (a message may be large or secret)."""
    return [
        {"location": list(e["loc"]), "message": e["msg"], "type": e["type"]}
        for e in error.errors(include_url=False, include_input=False, include_context=False)
    ]


def json_value(value: object) -> Any:
    """``value`` (a model) as JSON values, in pydantic's JSON mode (datetimes as ISO strings,
    ``Decimal`` and ``UUID`` as strings, nested models as objects). NaN and infinities stay floats,
    so the encoder refuses them as it refuses them in a dict, rather than pydantic writing ``null``."""
    try:
        from pydantic_core import to_jsonable_python
    except ImportError as error:
        raise ConfigurationError(f"{PYDANTIC_MISSING} (to send a {type(value).__name__})") from error
    return to_jsonable_python(value, inf_nan_mode="constants")


def _short(text: str) -> str:
    """``list[tests.models.Move]`` -> ``list[Move]``: module paths make names noisy."""
    import re

    return re.sub(r"\b(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)", r"\1", text.replace("typing.", ""))
