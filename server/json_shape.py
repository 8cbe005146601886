"""How deep a JSON text nests and how many values it holds, measured before parsing it.

Python's json parser, and the protocol's validators after it, recurse once per level: a
page's 100,000 nested brackets raised RecursionError where no handler expected it. And the
parser holds the event loop (and the GIL) while it builds every value: 6 million empty
arrays in an 18 MiB frame took 1.3 s and 450 MiB. So the brackets and commas are counted
first, in C and numpy: strings are cut out (a data channel's text may hold any), then the
running sum of opening minus closing brackets is the depth, and each comma or opening
bracket one more value.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy

# A JSON string, escapes included (the unrolled form: no backtracking per character).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)


class JsonShape(NamedTuple):
    depth: int  # arrays and objects opened inside one another
    values: int  # at most: commas and opening brackets outside strings


def measure(text: str | bytes, depth_limit: int, values_limit: int) -> JsonShape | None:
    """The shape of `text` when it passes either limit, else None (found without a full
    scan for most messages). Text that is not JSON may get either answer: the parser
    refuses it anyway."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    brackets = data.count(b"[") + data.count(b"{")
    if brackets <= depth_limit and brackets + data.count(b",") <= values_limit:
        return None
    codes = numpy.frombuffer(_STRING.sub(b"", data), dtype=numpy.uint8)
    opening = (codes == ord("[")) | (codes == ord("{"))
    closing = (codes == ord("]")) | (codes == ord("}"))
    steps = opening.view(numpy.int8) - closing.view(numpy.int8)
    depth = int(numpy.cumsum(steps, dtype=numpy.int32).max()) if steps.size else 0
    shape = JsonShape(depth, int(numpy.count_nonzero(opening)) + int(numpy.count_nonzero(codes == ord(","))))
    return shape if shape.depth > depth_limit or shape.values > values_limit else None
