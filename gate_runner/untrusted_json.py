"""The one reader for JSON nobody here wrote (API answers, saved payloads and verdicts).

json.loads accepts documents that later crash a writer or a formatter: NaN, Infinity and
numbers like 1e400 (infinite as a float; no arithmetic or JSON writer copes), integers of
thousands of digits (Python refuses to turn them into text again) and lone UTF-16 surrogates
such as "\\ud800" (no UTF-8 encoder accepts them). A server or a file can send any of them;
this reader refuses the numbers with one clear ValueError naming them (at the boundary, so no
evaluator ever sees one), turns surrogates into a replacement character, and reads files only
when they are regular files under a size cap.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from gate_runner.files import read_regular

# Far more digits than any metric or count needs, and far below Python's 4,300-digit limit
# on int <-> str conversion (which would raise where the verdict is written).
MAX_INTEGER_DIGITS = 1000
# A verdict, payload or trace file larger than this is refused before it is read: far above
# any real one (a 1,000-campaign verdict is a few MB), far below what exhausts a CI runner.
MAX_FILE_BYTES = 64 * 1024 * 1024
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


class UntrustedJSONError(ValueError):
    """The text is not JSON this program can carry safely; the message says why."""


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise UntrustedJSONError(
            f"an integer of {len(text.lstrip('-')):,} digits (more than {MAX_INTEGER_DIGITS})"
        )
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise UntrustedJSONError(f"the number {shown} is out of range (not a finite float)")
    return value


def _parse_constant(name: str) -> float:
    raise UntrustedJSONError(f"{name} is not a number JSON allows (nor one this program reads)")


def _clean_text(value: str) -> str:
    return _LONE_SURROGATE.sub(REPLACEMENT, value)


def _clean_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Keys are cleaned as each object is built; values are strings or containers handled below.
    return {_clean_text(key): value for key, value in pairs}


def _clean_strings(root: Any) -> Any:
    """Replace lone surrogates in every string, iteratively (any depth json.loads read)."""
    if isinstance(root, str):
        return _clean_text(root)
    stack = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if isinstance(value, str):
                    item[key] = _clean_text(value)
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(item, list):
            for index, value in enumerate(item):
                if isinstance(value, str):
                    item[index] = _clean_text(value)
                elif isinstance(value, (dict, list)):
                    stack.append(value)
    return root


def loads(text: str | bytes) -> Any:
    """Parse JSON; UntrustedJSONError (a ValueError) says plainly what was wrong.

    Lone surrogates become U+FFFD; NaN, Infinity, numbers beyond a float's range, integers of
    more than MAX_INTEGER_DIGITS digits, bad UTF-8 and nesting deeper than the interpreter's
    stack are refused.
    """
    try:
        # A lone surrogate comes from a \u escape, or from a str that already holds one (strict
        # UTF-8 decoding refuses them in bytes): without either, the per-object hook (half the
        # cost of reading a big verdict) has nothing to do.
        if isinstance(text, bytes):
            text = text.decode("utf-8")
            needs_cleaning = "\\u" in text
        else:
            # isascii() is a C scan that rules surrogates out; the search is ~10x slower.
            needs_cleaning = "\\u" in text or (
                not text.isascii() and _LONE_SURROGATE.search(text) is not None
            )
        value = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
            object_pairs_hook=_clean_pairs if needs_cleaning else None,
        )
    except UntrustedJSONError:
        raise
    except UnicodeDecodeError as error:
        raise UntrustedJSONError(f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise UntrustedJSONError(f"not valid JSON ({error})") from None
    except RecursionError:
        raise UntrustedJSONError("nested too deeply to read") from None
    except ValueError as error:  # int() limits and the like, whatever the Python version says
        raise UntrustedJSONError(f"not readable JSON ({error})") from None
    return _clean_strings(value) if needs_cleaning else value


def load_file(path: Path, *, follow_links: bool = True) -> Any:
    """The JSON in the regular file `path` (at most MAX_FILE_BYTES); OSError or the error above.

    follow_links=False refuses a symlink (an entry in a store others can write to).
    """
    return loads(read_regular(path, MAX_FILE_BYTES, follow_links=follow_links))
