"""Filling in deploy/'s configuration templates, as `envsubst '${NAME} ...'` does for operators."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

# Only ${NAME} in capitals: nginx's own $variables stay as they are.
PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


def fill(template: Path, values: Mapping[str, str]) -> str:
    """`template`'s text with every ${NAME} replaced by `values[NAME]`. A placeholder
    without a value, or a value without its placeholder, is a KeyError: the test and the
    file must not drift apart."""
    text = template.read_text("utf-8")
    unused = set(values) - set(PLACEHOLDER.findall(text))
    if unused:
        raise KeyError(f"{template.name} has no placeholder for {sorted(unused)}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)
