"""Checks used by the exercises' tests: compare a student's answer with a reference, readably.

The student's code is called through `run_student` (see `course.guard`): in a thread of its own, before
the reference is computed, with the shortcuts a part forbids traced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn

import numpy as np

from course.device import to_numpy
from course.guard import Forbid, ShortcutUsed, label_of, numpy_only, plain, run_student, run_tests

__all__ = [
    "CheckFailed",
    "Forbid",
    "ShortcutUsed",
    "call_student",
    "check_close",
    "check_dtype",
    "check_function",
    "check_shape",
    "gradient_check",
    "numerical_gradient",
    "numpy_only",
    "run_student",
    "run_tests",
]


class CheckFailed(AssertionError):
    """A check on a student's answer failed; the message says which case and why."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows: the message alone, without frames from inside this module."""
        return [f"CheckFailed: {self}"]


def _fail(message: str) -> NoReturn:
    """Raise CheckFailed without chaining the helper's own exceptions into the traceback."""
    __tracebackhide__ = True
    raise CheckFailed(message) from None


def _to_numpy(x: Any, name: str) -> np.ndarray:
    """Convert numbers, lists, numpy arrays and torch tensors to a float64/int numpy array."""
    __tracebackhide__ = True
    if x is None:
        _fail(f"{name} is None: did you forget a `return` statement?")
    try:
        x = plain(x, name)  # no method of an object the student made runs here, beside the test's values
    except TypeError:
        _fail(f"{name} has type {type(x).__name__}, which is not a number, array or tensor.")
    try:
        arr = to_numpy(x, name)
    except TypeError:  # numpy cannot make an array of it: a student error
        _fail(f"{name} has type {type(x).__name__}, which is not a number, array or tensor.")
    if arr.dtype == object:
        _fail(f"{name} has type {type(x).__name__}, which is not a number, array or tensor.")
    return arr


def _short(x: Any, limit: int = 120) -> str:
    """A one-line description of a value, cut to `limit` characters."""
    if hasattr(x, "shape") and getattr(x, "ndim", 0) > 0 and np.prod(x.shape) > 8:
        return f"{type(x).__name__} of shape {tuple(x.shape)}"
    text = repr(x).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_shape(x: Any, shape: tuple, name: str = "value") -> None:
    """Check that `x` has `shape`; None in `shape` accepts any size along that axis."""
    __tracebackhide__ = True
    actual = tuple(_to_numpy(x, name).shape)
    expected = tuple(shape)
    ok = len(actual) == len(expected) and all(e is None or e == a for a, e in zip(actual, expected))
    if not ok:
        pretty = tuple("any" if e is None else e for e in expected)
        _fail(f"{name} has shape {actual}, expected {pretty}.")


def check_dtype(x: Any, dtype: Any, name: str = "value") -> None:
    """Check that `x` (numpy array or torch tensor) has the given dtype."""
    __tracebackhide__ = True
    actual = getattr(x, "dtype", type(x))
    if str(actual) != str(dtype) and actual != dtype:
        _fail(f"{name} has dtype {actual}, expected {dtype}.")


def check_close(actual: Any, expected: Any, name: str = "value", rtol: float = 1e-5, atol: float = 1e-8) -> None:
    """Check that `actual` equals `expected` in shape and, within tolerances, in value."""
    __tracebackhide__ = True
    got = _to_numpy(actual, name)
    want = _to_numpy(expected, f"the reference {name}")
    if got.shape != want.shape:
        _fail(f"{name} has shape {got.shape}, expected {want.shape}.")
    if np.issubdtype(want.dtype, np.bool_) or not np.issubdtype(want.dtype, np.number):
        if not np.array_equal(got, want):
            _fail(f"{name} is {_short(actual)}, expected {_short(expected)}.")
        return
    got = got.astype(np.float64)
    want = want.astype(np.float64)
    bad_nan = np.isnan(got) & ~np.isnan(want)
    if bad_nan.any():
        where = tuple(int(i) for i in np.argwhere(bad_nan)[0])
        _fail(
            f"{name} contains NaN (first at index {where}) where the reference is {want[where]:.6g}: "
            "look for a division by zero, log of 0 or an overflow."
        )
    close = np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        diff = np.where(close, 0.0, np.abs(got - want))
        diff = np.nan_to_num(diff, nan=np.inf)
        idx = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
        at = f" at index {tuple(int(i) for i in idx)}" if idx else ""
        _fail(
            f"{name} is wrong{at}: got {got[idx]:.6g}, expected {want[idx]:.6g} "
            f"({int((~close).sum())} of {close.size} entries differ; rtol={rtol}, atol={atol})."
        )


def _describe_args(args: tuple) -> str:
    """Describe a case's arguments on one line."""
    return ", ".join(_short(a, 60) for a in args)


def call_student(
    student_fn: Callable,
    *args: Any,
    name: str | None = None,
    forbid: Forbid | None = None,
    label: str = "",
    **kwargs: Any,
) -> Any:
    """`run_student` with the student's errors turned into readable `CheckFailed` messages.

    Parameters
    ----------
    student_fn, *args, **kwargs
        What to call, and its arguments.
    name
        How messages name the function (default: its ``__name__``).
    forbid
        The shortcuts this part forbids (see `course.guard.Forbid`).
    label
        Which case this is, for the message (e.g. ``"on case 2 with inputs (...)"``).

    Returns
    -------
    The function's result, rebuilt from plain values.
    """
    __tracebackhide__ = True
    name = name or label_of(student_fn)
    try:
        return run_student(student_fn, *args, forbid=forbid, name=name, **kwargs)
    except ShortcutUsed:
        raise
    except NotImplementedError:
        _fail(
            f"{name} is not implemented yet (it raised NotImplementedError): replace the "
            "`raise NotImplementedError()` line with your code."
        )
    except TypeError as err:
        if str(err).startswith(f"the result of {name}"):
            _fail(f"{err}{' -- ' + label if label else ''}.")
        _fail(f"{name} raised TypeError: {err}{' -- ' + label if label else ''}.")
    except Exception as err:  # noqa: BLE001 - report the student's error as a failed check
        _fail(f"{name} raised {type(err).__name__}: {err}{' -- ' + label if label else ''}.")


def check_function(
    student_fn: Callable,
    reference_fn: Callable,
    cases: Iterable[tuple] | Mapping[str, tuple],
    name: str | None = None,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    forbid: Forbid | None = None,
) -> None:
    """Call the student's function, then the reference, on each case and compare the results.

    The student's function runs first, in a thread of its own (`run_student`), so it cannot reach the
    reference or its result; `forbid` names the shortcuts it may not call.
    """
    __tracebackhide__ = True
    name = name or label_of(student_fn)
    items = cases.items() if isinstance(cases, Mapping) else ((f"case {i + 1}", c) for i, c in enumerate(cases))
    for label, args in items:
        args = args if isinstance(args, tuple) else (args,)
        got = call_student(
            student_fn,
            *_copy_args(args),
            name=name,
            forbid=forbid,
            label=f"on {label} with inputs ({_describe_args(args)})",
        )
        expected = reference_fn(*_copy_args(args))
        try:
            check_close(got, expected, name=f"the output of {name}", rtol=rtol, atol=atol)
        except CheckFailed as err:
            _fail(f"{label} failed with inputs ({_describe_args(args)}): {err}")


def _copy_args(args: tuple) -> tuple:
    """Copy array arguments so a function that changes its inputs cannot affect the other call."""
    copied = []
    for a in args:
        if hasattr(a, "clone") and hasattr(a, "detach"):
            a = a.detach().clone()
        elif isinstance(a, np.ndarray):
            a = a.copy()
        copied.append(a)
    return tuple(copied)


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference estimate of the gradient of a scalar function `f` at `x` (float64)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        f_plus = float(f(x))
        x[i] = old - eps
        f_minus = float(f(x))
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def gradient_check(
    f: Callable[[np.ndarray], float],
    grad_f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    rtol: float = 1e-4,
    atol: float = 1e-6,
    name: str = "gradient",
    forbid: Forbid | None = None,
) -> float:
    """Compare an analytic gradient `grad_f` (the student's) with central differences of `f`; return the relative error.

    `grad_f` is called through `call_student` (its own thread, `forbid` traced) before `f` is evaluated.
    """
    __tracebackhide__ = True
    x = np.array(x, dtype=np.float64)
    analytic = _to_numpy(call_student(grad_f, x.copy(), name=name, forbid=forbid), name).astype(np.float64)
    numeric = numerical_gradient(f, x)
    if analytic.shape != numeric.shape:
        _fail(f"{name} has shape {analytic.shape}, but the parameters have shape {numeric.shape}.")
    scale = np.maximum(np.abs(analytic) + np.abs(numeric), atol)
    rel = float(np.max(np.abs(analytic - numeric) / scale))
    if not np.allclose(analytic, numeric, rtol=rtol, atol=atol):
        idx = np.unravel_index(int(np.argmax(np.abs(analytic - numeric))), numeric.shape)
        _fail(
            f"{name} disagrees with the numerical gradient: at index {tuple(int(i) for i in idx)} you have "
            f"{analytic[idx]:.6g}, central differences give {numeric[idx]:.6g} (relative error {rel:.2e}). "
            "Check the chain rule and signs."
        )
    return rel
