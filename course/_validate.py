"""Argument checks shared by the whole library, so that a bad argument gets the same clear message everywhere."""

from __future__ import annotations

from numbers import Integral


def check_int(value: object, name: str, minimum: int = 1, meaning: str | None = None) -> int:
    """Return `value` as an int if it is a whole number >= `minimum`, else raise a ValueError naming `name`.

    Parameters
    ----------
    value : the argument to check; a bool is refused (True is not a count), a numpy integer is accepted.
    name : the argument's name as the caller wrote it, used in the message.
    minimum : the smallest allowed value (1: "a positive integer", 0: "a non-negative integer").
    meaning : what the number counts, e.g. "the number of blocks", added to the message.

    Returns
    -------
    int : `value` as a plain Python int.
    """
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        kind = {1: "a positive integer", 0: "a non-negative integer"}.get(minimum, f"an integer >= {minimum}")
        about = f" ({meaning})" if meaning else ""
        raise ValueError(f"{name}{about} must be {kind}, got {value!r}.")
    return int(value)


def check_positive_int(value: object, name: str) -> int:
    """Return `value` if it is a positive int (1, 2, ...), else raise a ValueError naming `name`."""
    return check_int(value, name, minimum=1)
