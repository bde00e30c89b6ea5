"""JSON values as exports hold them: numbers written back exactly as they came, nesting within a documented limit.

Python reads ``1e400`` as ``inf`` (and writes ``Infinity``, which is not JSON), ``1E5`` as ``100000.0`` and ``-0``
as ``0``, and cannot read an integer of more than 4,300 digits at all. Such a number is kept as a
:class:`JsonNumber`, its original text, and written back as that text; every other number stays an int or a
float, whose own text is what came in.

Python's JSON parser and writer recurse, so a value nested about a thousand levels deep exhausts the stack.
Records nested deeper than :data:`MAX_DEPTH` levels of arrays and objects are refused with a
:class:`JsonDepthError`, a clear error, well before that point; comment threads themselves have no depth limit
in the library (``thread.py`` walks them with a stack).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

#: The deepest nesting of JSON arrays and objects an input record may have (a reply nests two levels:
#: the reply object and the list that holds it).
MAX_DEPTH = 500


class JsonDepthError(ValueError):
    """A JSON value nests deeper than MAX_DEPTH; ``pos`` is where the value starts."""

    def __init__(self, pos: int):
        self.pos = pos
        super().__init__(f"the value nests deeper than {MAX_DEPTH} levels of arrays and objects, "
                         f"the most xhs-translate reads")


class JsonNumber:
    """A JSON number that Python's int and float would not write back as it came (``1e400``, ``1E5``, ``1.50``,
    ``-0``, a 5,000-digit integer): its text, written back unchanged. ``float()`` gives its value."""

    __slots__ = ("text",)
    text: str

    def __init__(self, text: str):
        object.__setattr__(self, "text", text)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("JsonNumber is immutable")

    def __repr__(self) -> str:
        return f"JsonNumber({self.text!r})"

    def __str__(self) -> str:
        return self.text

    def __float__(self) -> float:
        return float(self.text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsonNumber) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __copy__(self) -> JsonNumber:
        return self

    def __deepcopy__(self, memo: dict) -> JsonNumber:
        return self


def _parse_float(text: str) -> float | JsonNumber:
    value = float(text)
    return value if repr(value) == text else JsonNumber(text)


def _parse_int(text: str) -> int | JsonNumber:
    if text == "-0":
        return JsonNumber(text)
    try:
        return int(text)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        return JsonNumber(text)


# Integers go through Python's int in C, unless a value has one Python would not write back ("-0", or more digits
# than int() takes): then that value is read again with _parse_int. Floats are rarer and always checked.
_DECODER = json.JSONDecoder(parse_float=_parse_float)
_EXACT_DECODER = json.JSONDecoder(parse_float=_parse_float, parse_int=_parse_int)
_MINUS_ZERO = re.compile(r"-0(?![.eE0-9])")  # the integer -0 (or, rarely, those characters in a string)


def decode(text: str, start: int = 0) -> tuple[Any, int]:
    """The JSON value at ``text[start:]`` (after no whitespace) and the index after it, like
    ``JSONDecoder.raw_decode``. Raises ``json.JSONDecodeError``, or JsonDepthError past MAX_DEPTH."""
    try:
        try:
            value, end = _DECODER.raw_decode(text, start)
        except json.JSONDecodeError:
            raise
        except ValueError:  # an integer of more digits than int() converts
            value, end = _EXACT_DECODER.raw_decode(text, start)
        else:
            if _MINUS_ZERO.search(text, start, end):
                value, end = _EXACT_DECODER.raw_decode(text, start)
    except RecursionError:
        raise JsonDepthError(start) from None
    # Every level opens a bracket and closes it: a short value, or one with few brackets, is shallow enough
    # without walking it.
    if (end - start > 2 * MAX_DEPTH and text.count("[", start, end) + text.count("{", start, end) > MAX_DEPTH
            and depth(value) > MAX_DEPTH):
        raise JsonDepthError(start)
    return value, end


def loads(text: str) -> Any:
    """One JSON document (surrounding whitespace allowed), as :func:`decode` reads values."""
    start = len(text) - len(text.lstrip(" \t\n\r"))
    value, end = decode(text, start)
    rest = len(text) - len(text[end:].lstrip(" \t\n\r"))
    if rest != len(text):
        raise json.JSONDecodeError("Extra data", text, rest)
    return value


def depth(value: Any) -> int:
    """Levels of nested lists and dicts (0 for a scalar), walked with a stack; a container met again (shared or
    cyclic) is not walked again."""
    deepest = 0
    seen: set[int] = set()
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, dict)) and id(item) not in seen:
            seen.add(id(item))
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


# A JsonNumber is written as a marker string, then the quoted marker is replaced by the number's text. The marker
# holds a random token drawn per process, so no string of the data can be taken for one.
_MARK = f"\ue000xhs-number-{os.urandom(8).hex()}:"
_MARKED = re.compile(f'"{re.escape(_MARK)}(\\d+)"')


class _HasNumber(Exception):
    """A value holds a JsonNumber: written again on the slower path that can write them."""


def _refuse(item: Any) -> Any:
    if isinstance(item, JsonNumber):
        raise _HasNumber
    raise TypeError(f"Object of type {type(item).__name__} is not JSON serializable")


_ENCODERS: dict[int | None, json.JSONEncoder] = {}  # one per indent, as json.dumps would build one per call


def dumps(value: Any, indent: int | None = None) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=indent)``, with every JsonNumber written as its text."""
    encoder = _ENCODERS.get(indent)
    if encoder is None:
        encoder = _ENCODERS[indent] = json.JSONEncoder(ensure_ascii=False, indent=indent, default=_refuse)
    try:
        return encoder.encode(value)
    except _HasNumber:
        return _dumps_numbers(value, indent)


# What ``str.splitlines()``, many line tools and older JavaScript take for a line end, though JSON keeps them raw
# in strings (U+0085 NEL, U+2028, U+2029), and the lone surrogates UTF-8 cannot hold: in a JSONL line each is
# written as its ``\\uXXXX`` escape. All of them occur only inside strings, where the escape means the same.
_LINE_UNSAFE = re.compile("[\u0085\u2028\u2029\ud800-\udfff]")


def dumps_line(value: Any) -> str:
    """One JSONL line (without its ``\\n``): :func:`dumps` with the characters that would split or tear the line
    escaped, so that the line is valid UTF-8 and ``splitlines()`` gives one line per record."""
    text = dumps(value)
    if _LINE_UNSAFE.search(text) is None:
        return text
    return _LINE_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _dumps_numbers(value: Any, indent: int | None) -> str:
    numbers: list[str] = []

    def number_text(item: Any) -> str:
        if isinstance(item, JsonNumber):
            numbers.append(item.text)
            return f"{_MARK}{len(numbers) - 1}"
        raise TypeError(f"Object of type {type(item).__name__} is not JSON serializable")

    text = json.dumps(value, ensure_ascii=False, indent=indent, default=number_text)
    return _MARKED.sub(lambda m: numbers[int(m.group(1))], text)
