"""JSON as json.dumps(value, indent=2, ensure_ascii=False) writes it, byte for byte, faster."""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring
from typing import Any

# Python 3.11's C encoder ignores `indent`, so json.dumps(indent=2) runs the pure-Python
# encoder: a generator per container, ~1 µs a value. An organisation-wide replay writes
# hundreds of megabytes of it (issue 22); joining comprehensions over the C string escaper
# does the same in half the time. Anything but plain str/int/float/bool/None/list/tuple/dict
# with str keys goes to json.dumps itself, so every rule it has (keys of other types,
# subclasses, NaN, TypeError for the unserialisable) stays its rule.

_STR_ONLY = {str}


class Encoded(str):
    """JSON text that dumps() places as it is: written by dumps_at for the depth it goes to."""

    __slots__ = ()  # no __dict__ to pickle: replay's workers send 100,000 of them


def dumps_at(value: Any, depth: int) -> Encoded:
    """dumps(value) as it is written nested `depth` containers deep (written ahead, elsewhere:
    replay's workers write their verdicts' entries while the parent gathers them)."""
    return Encoded(_encode(value, "\n" + "  " * depth))


def dumps(value: Any) -> str:
    """json.dumps(value, indent=2, ensure_ascii=False); a map() is written as the list it
    gives, each item encoded as it is made (a report of many items need not hold them all)."""
    return _encode(value, "\n")


def _encode(value: Any, pad: str) -> str:
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is Encoded:
        return value  # type: ignore[no-any-return]
    if kind is dict:
        if not value:
            return "{}"
        inner = pad + "  "
        if set(map(type, value)) != _STR_ONLY:
            return _fallback(value, pad)
        # Strings, nulls and finite floats, most values of a report, written here rather than
        # by a call each.
        items = [
            encode_basestring(k)
            + ": "
            + (
                encode_basestring(v)
                if type(v) is str
                else "null"
                if v is None
                else float.__repr__(v)
                if type(v) is float and math.isfinite(v)
                else _encode(v, inner)
            )
            for k, v in value.items()
        ]
        return "{" + inner + ("," + inner).join(items) + pad + "}"
    if kind is list or kind is tuple or kind is map:
        if not value:
            return "[]"
        inner = pad + "  "
        items = [_encode(v, inner) for v in value]
        if not items:  # an empty map(): known empty only once read
            return "[]"
        return "[" + inner + ("," + inner).join(items) + pad + "]"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    return _fallback(value, pad)


def _fallback(value: Any, pad: str) -> str:
    # Nested at this depth, json.dumps writes the same lines, each indented by `pad`: a raw
    # newline is only ever one of its own (it escapes them inside strings).
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", pad)
