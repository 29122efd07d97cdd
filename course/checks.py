"""Checks used by the exercises' tests: compare a student's answer with a reference, readably."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

import numpy as np


class CheckFailed(AssertionError):
    """A check on a student's answer failed; the message says which case and why."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows: the message alone, without frames from inside this module."""
        return [f"CheckFailed: {self}"]


def _fail(message: str) -> None:
    """Raise CheckFailed without chaining the helper's own exceptions into the traceback."""
    __tracebackhide__ = True
    raise CheckFailed(message) from None


def _to_numpy(x: Any, name: str) -> np.ndarray:
    """Convert numbers, lists, numpy arrays and torch tensors to a float64/int numpy array."""
    __tracebackhide__ = True
    if x is None:
        _fail(f"{name} is None: did you forget a `return` statement?")
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor, without importing torch
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x)
    except Exception:  # noqa: BLE001 - anything unconvertible is a student error
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
        _fail(f"{name} contains NaN (first at index {where}) where the reference is {want[where]:.6g}: "
              "look for a division by zero, log of 0 or an overflow.")
    close = np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        diff = np.where(close, 0.0, np.abs(got - want))
        diff = np.nan_to_num(diff, nan=np.inf)
        idx = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
        where = f" at index {tuple(int(i) for i in idx)}" if idx else ""
        _fail(f"{name} is wrong{where}: got {got[idx]:.6g}, expected {want[idx]:.6g} "
              f"({int((~close).sum())} of {close.size} entries differ; rtol={rtol}, atol={atol}).")


def _describe_args(args: tuple) -> str:
    """Describe a case's arguments on one line."""
    return ", ".join(_short(a, 60) for a in args)


def check_function(student_fn: Callable, reference_fn: Callable, cases: Iterable[tuple] | Mapping[str, tuple],
                   name: str | None = None, rtol: float = 1e-5, atol: float = 1e-8) -> None:
    """Call the student's and the reference function on each case and compare the results."""
    __tracebackhide__ = True
    name = name or getattr(student_fn, "__name__", "your function")
    items = cases.items() if isinstance(cases, Mapping) else (
        (f"case {i + 1}", c) for i, c in enumerate(cases))
    for label, args in items:
        args = args if isinstance(args, tuple) else (args,)
        expected = reference_fn(*_copy_args(args))
        try:
            got = student_fn(*_copy_args(args))
        except NotImplementedError:
            _fail(f"{name} is not implemented yet (it raised NotImplementedError): replace the "
                  "`raise NotImplementedError()` line with your code.")
        except Exception as err:  # noqa: BLE001 - report the student's error as a failed case
            _fail(f"{name} raised {type(err).__name__}: {err} -- on {label} with inputs ({_describe_args(args)}).")
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


def gradient_check(f: Callable[[np.ndarray], float], grad_f: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                   rtol: float = 1e-4, atol: float = 1e-6, name: str = "gradient") -> float:
    """Compare an analytic gradient with central differences; return the relative error."""
    __tracebackhide__ = True
    x = np.array(x, dtype=np.float64)
    analytic = _to_numpy(grad_f(x.copy()), name).astype(np.float64)
    numeric = numerical_gradient(f, x)
    if analytic.shape != numeric.shape:
        _fail(f"{name} has shape {analytic.shape}, but the parameters have shape {numeric.shape}.")
    scale = np.maximum(np.abs(analytic) + np.abs(numeric), atol)
    rel = float(np.max(np.abs(analytic - numeric) / scale))
    if not np.allclose(analytic, numeric, rtol=rtol, atol=atol):
        idx = np.unravel_index(int(np.argmax(np.abs(analytic - numeric))), numeric.shape)
        _fail(f"{name} disagrees with the numerical gradient: at index {tuple(int(i) for i in idx)} you have "
              f"{analytic[idx]:.6g}, central differences give {numeric[idx]:.6g} (relative error {rel:.2e}). "
              "Check the chain rule and signs.")
    return rel
