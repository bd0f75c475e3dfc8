"""The machinery under every model of `client.models`: from_dict/to_dict built from dataclass fields.

`from_dict` reads a JSON object (unknown keys kept in `extra`, nested models parsed from the
field type hints, values not coerced, other spellings through `ALIASES`); `to_dict` gives back
the same keys, spellings and order, None fields omitted. One helper instead of 33 parsers.
"""

from __future__ import annotations

import sys
import typing
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, TypeVar


def norm(value: Any) -> Any:
    """A string compared case-insensitively (`Range` == `range`); anything else as is."""
    return value.strip().lower() if isinstance(value, str) else value


M = TypeVar("M", bound="Model")


@dataclass
class Model:
    """Base of every model: the generic from_dict/to_dict built from the dataclass fields."""

    ALIASES: ClassVar[dict[str, str]] = {}  # another wire spelling → field name

    extra: dict[str, Any] = field(default_factory=dict, kw_only=True)
    _spelled: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    _order: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)

    @classmethod
    def from_dict(cls: type[M], d: dict[str, Any] | M) -> M:
        if isinstance(d, cls):
            return d
        if not isinstance(d, dict):
            raise TypeError(f"{cls.__name__}.from_dict needs a JSON object, not {type(d).__name__}")
        shapes = _shapes(cls)
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        spelled: dict[str, str] = {}
        for key, value in d.items():
            name = key if key in shapes else cls.ALIASES.get(key)
            if name is None or name in values:  # unknown, or a second spelling of a field already read
                extra[key] = value
                continue
            if name != key:
                spelled[name] = key
            values[name] = _parse(shapes[name], value)
        obj = cls(**values, extra=extra)
        obj._spelled = spelled
        obj._order = tuple(d)
        return obj

    @classmethod
    def from_list(cls: type[M], items: list[Any] | None) -> list[M]:
        """A JSON array of objects as models (None → [])."""
        return [cls.from_dict(item) for item in items or []]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in _shapes(type(self)):
            value = getattr(self, name)
            if value is not None:
                out[self._spelled.get(name, name)] = _dump(value)
        for key, value in self.extra.items():
            out[key] = _dump(value)
        if not self._order:
            return out
        ordered = {key: out.pop(key) for key in self._order if key in out}
        ordered.update(out)
        return ordered


_SHAPES: dict[type, dict[str, tuple[str | None, type | None]]] = {}


def _shapes(cls: type) -> dict[str, tuple[str | None, type | None]]:
    """Per field: ("one"|"list"|None, the nested Model class or None), from the type hints."""
    if cls not in _SHAPES:
        # Each annotation is evaluated in its module's globals only: a field may share its
        # type's name (`V1Resplan: V1Resplan | None`), which the class namespace would shadow.
        namespace = vars(sys.modules[cls.__module__])
        shapes: dict[str, tuple[str | None, type | None]] = {}
        for f in fields(cls):
            if not f.init or f.name == "extra":
                continue
            hint = eval(f.type, namespace, {}) if isinstance(f.type, str) else f.type
            kinds = [a for a in typing.get_args(hint) or (hint,) if a is not type(None)]
            hint = kinds[0] if kinds else Any
            if typing.get_origin(hint) is list:
                inner = (typing.get_args(hint) or (Any,))[0]
                shapes[f.name] = ("list", inner if _is_model(inner) else None)
            else:
                shapes[f.name] = ("one", hint) if _is_model(hint) else (None, None)
        _SHAPES[cls] = shapes
    return _SHAPES[cls]


def _is_model(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, Model)


def _parse(shape: tuple[str | None, type | None], value: Any) -> Any:
    """Nested models where the value has the expected shape; anything else kept as sent."""
    kind, model = shape
    if model is None:
        return value
    if kind == "one" and isinstance(value, dict):
        return model.from_dict(value)
    if kind == "list" and isinstance(value, list):
        return [model.from_dict(v) if isinstance(v, dict) else v for v in value]
    return value


def _dump(value: Any) -> Any:
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, list):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    return value
