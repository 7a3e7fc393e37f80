"""Values for the cache as JSON bytes: dataclasses (of the registered types only), Decimal, date, datetime and
tuples survive the round trip exactly, so a page read from Redis equals the one computed from the database.

Only registered dataclass types are rebuilt, so a value in Redis can never name an arbitrary class to construct.
"""

import dataclasses
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_TYPES: dict[str, type] = {}


def cacheable(cls: type) -> type:
    """Register a dataclass (usable as a decorator or called with each type)."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a dataclass")
    _TYPES[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return cls


def _out(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = f"{type(value).__module__}.{type(value).__qualname__}"
        if name not in _TYPES:
            raise TypeError(f"{name} is not registered for the cache")
        return {"~t": name, "f": {f.name: _out(getattr(value, f.name)) for f in dataclasses.fields(value)
                                  if f.init}}
    if isinstance(value, Decimal):
        return {"~d": str(value)}
    if isinstance(value, datetime):
        return {"~dt": value.isoformat()}
    if isinstance(value, date):
        return {"~day": value.isoformat()}
    if isinstance(value, tuple):
        return {"~tuple": [_out(v) for v in value]}
    if isinstance(value, list):
        return [_out(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return {"~map": [[_out(k), _out(v)] for k, v in value.items()]}
        return {"~dict": {k: _out(v) for k, v in value.items()}}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _in(value: Any) -> Any:
    if isinstance(value, list):
        return [_in(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "~t" in value:
        cls = _TYPES.get(value["~t"])
        if cls is None:
            raise ValueError(f"unknown cached type {value['~t']!r}")
        return cls(**{k: _in(v) for k, v in value["f"].items()})
    if "~d" in value:
        return Decimal(value["~d"])
    if "~dt" in value:
        return datetime.fromisoformat(value["~dt"])
    if "~day" in value:
        return date.fromisoformat(value["~day"])
    if "~tuple" in value:
        return tuple(_in(v) for v in value["~tuple"])
    if "~map" in value:
        return {_in(k): _in(v) for k, v in value["~map"]}
    return {k: _in(v) for k, v in value["~dict"].items()}


def dumps(value: Any) -> bytes:
    return json.dumps(_out(value), separators=(",", ":")).encode()


def loads(data: bytes) -> Any:
    return _in(json.loads(data))
