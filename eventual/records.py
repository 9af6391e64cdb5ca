"""Immutable value objects, without ``dataclasses``.

Frozen dataclasses would do, but importing ``dataclasses`` (and the ``inspect`` it pulls in)
and generating each class's methods cost a Lambda cold start more than the rest of the runtime
together (docs/architecture.md, "Cold start"). A :class:`Record` subclass lists its fields in
``__slots__``, assigns them once in ``__init__`` with :func:`init_fields`, and gets equality, a
hash and a ``repr`` over the fields named in ``_compared`` (every slot unless it says otherwise).
"""

from __future__ import annotations

from typing import Any, ClassVar

_set = object.__setattr__


def init_fields(record: Record, **values: Any) -> None:
    """Assign ``record``'s fields, once, from its ``__init__``."""
    for name, value in values.items():
        _set(record, name, value)


class Record:
    """An immutable object whose fields are its ``__slots__``."""

    __slots__ = ()
    _compared: ClassVar[tuple[str, ...] | None] = None
    """The fields that equality, hash and ``repr`` use; ``None``: every slot."""

    @classmethod
    def _fields(cls) -> tuple[str, ...]:
        if cls._compared is not None:
            return cls._compared
        return tuple(name for klass in reversed(cls.__mro__) for name in getattr(klass, "__slots__", ()))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to {name!r}: {type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete {name!r}: {type(self).__name__} is immutable")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields())

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields())
        return f"{type(self).__name__}({fields})"
