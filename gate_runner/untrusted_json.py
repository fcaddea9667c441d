"""The one reader for JSON nobody here wrote (API answers, saved payloads and verdicts).

json.loads accepts documents that later crash a writer or a formatter: an integer of more
than 4,300 digits (Python refuses to turn it into text again) and lone UTF-16 surrogates
such as "\\ud800" (no UTF-8 encoder accepts them). Both are valid JSON, so a server or a
file can send them; this reader turns them into a float or a replacement character, and
anything unreadable into one clear ValueError, so they never reach the verdict writer.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Far more digits than any metric or count needs, and far below Python's 4,300-digit limit
# on int <-> str conversion (which would raise where the verdict is written). A longer
# integer is read as a float (infinite past 308 digits), which a threshold then refuses by
# name, so an absurd value in an unused field does not cost the gate its decision.
MAX_INTEGER_DIGITS = 1000
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


class UntrustedJSONError(ValueError):
    """The text is not JSON this program can carry safely; the message says why."""


def _parse_int(text: str) -> int | float:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        return float(text)
    return int(text)


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

    Lone surrogates become U+FFFD and integers beyond MAX_INTEGER_DIGITS digits floats; bad
    UTF-8 and nesting deeper than the interpreter's stack are refused. NaN and Infinity pass, as
    json.loads reads them: the evaluator refuses them as metrics, naming the field.
    """
    try:
        # A lone surrogate comes from a \u escape, or from a str that already holds one (strict
        # UTF-8 decoding refuses them in bytes): without either, the per-object hook (half the
        # cost of reading a big verdict) has nothing to do.
        if isinstance(text, bytes):
            text = text.decode("utf-8")
            needs_cleaning = "\\u" in text
        else:
            needs_cleaning = "\\u" in text or _LONE_SURROGATE.search(text) is not None
        value = json.loads(
            text,
            parse_int=_parse_int,
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
