"""Materialised-path arithmetic for appending many children to one node at once.

Wagtail's pages and collections are django-treebeard ``MP_Node`` trees: a node's ``path``
is its parent's path plus one step of ``steplen`` characters, each step a number written
in the model's ``alphabet`` (both are documented treebeard settings). ``add_child``
appends one child per call (it reads the last sibling each time); the bulk path reserves
a run of consecutive steps after the parent's last child instead and writes the rows
itself. Tests compare the paths with treebeard's own and run ``find_problems``.
"""

from __future__ import annotations

from typing import Any


class PathOverflowError(ValueError):
    """The parent has no free steps left for that many children."""


def _encode(number: int, alphabet: str, width: int) -> str:
    base = len(alphabet)
    digits = ""
    while number:
        number, digit = divmod(number, base)
        digits = alphabet[digit] + digits
    if len(digits) > width:
        raise PathOverflowError(f"step {digits!r} is longer than {width} characters")
    return digits.rjust(width, alphabet[0])


def _decode(step: str, alphabet: str) -> int:
    number = 0
    for character in step:
        number = number * len(alphabet) + alphabet.index(character)
    return number


def next_child_paths(parent: Any, count: int) -> list[str]:
    """The paths of ``count`` new last children of ``parent`` (an ``MP_Node``), in order.

    The caller holds a lock on ``parent`` (``select_for_update``) so that no other
    writer appends between this read and the insert of the rows."""
    model = type(parent)
    steplen: int = model.steplen
    alphabet: str = model.alphabet
    last = (
        model._default_manager.filter(path__startswith=parent.path, depth=parent.depth + 1)
        .order_by("-path")
        .values_list("path", flat=True)
        .first()
    )
    start = _decode(last[-steplen:], alphabet) + 1 if last else 1
    return [parent.path + _encode(start + offset, alphabet, steplen) for offset in range(count)]
