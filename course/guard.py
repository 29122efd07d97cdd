"""Calling a student's code from a test: in a thread of its own, with the shortcuts a part forbids traced.

Two things protect a test from the code it tests:

* **Isolation.** `run_student` calls the student's function in a fresh thread. The stack the function sees
  starts at that thread, so walking up the frames finds nothing of the test (its reference function, its
  expected values). The result is turned into plain values (numbers, arrays, tensors, tuples, lists, dicts)
  inside that thread, so no method of an object the student returns runs later beside the test's locals.
* **Shortcuts.** With `forbid=Forbid(...)`, every call the student's code makes, however it got hold of the
  callee (an alias, a default argument, a method of a tensor), is seen by a call tracer (`sys.setprofile`)
  and compared with the forbidden functions. The call is allowed to finish; the check then fails with a
  message that names it, e.g. "your conv2d called torch.conv2d: this part asks you to write the loops
  yourself". Switching the tracer off counts as a forbidden call too.

Used by `course.checks.check_function` and directly by the assignments' test cells::

    from course.checks import Forbid, run_student
    out = run_student(conv2d, x, w, forbid=Forbid("torch.nn.functional.conv2d", why="write the loops yourself"))
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
import types
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["Forbid", "ShortcutUsed", "numpy_only", "run_student", "run_tests"]

_PLAIN_SCALARS = (bool, int, float, complex, str, type(None))
# Calling any of these while traced switches the tracer off (even if it is put back later): a forbidden call.
_TRACER_SWITCHES = (sys.setprofile, sys.settrace, threading.setprofile, threading.settrace)


class ShortcutUsed(AssertionError):
    """The student's code called something this part forbids (or switched the call tracer off)."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows: the message alone."""
        return [f"ShortcutUsed: {self}"]


def _resolve(dotted: str) -> Any:
    """The object a dotted name refers to: a module attribute, possibly several levels deep."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(f"cannot resolve {dotted!r}")


def _code_objects(obj: Any) -> list[types.CodeType]:
    """The Python code objects whose execution means `obj` was used (functions, methods, classes, properties)."""
    if isinstance(obj, property):
        return [c for f in (obj.fget, obj.fset) if f is not None for c in _code_objects(f)]
    if isinstance(obj, (staticmethod, classmethod)):
        return _code_objects(obj.__func__)
    if isinstance(obj, types.MethodType):
        return _code_objects(obj.__func__)
    if isinstance(obj, types.FunctionType):
        # A function may list the public pieces it is built from (fit: train_one_epoch, ...) in __parts__:
        # forbidding the function forbids them too, so splitting it up opens no way round a Forbid.
        return [obj.__code__, *(c for part in getattr(obj, "__parts__", ()) for c in _code_objects(part))]
    if isinstance(obj, type):  # a class: its own __init__, __call__ and forward (nn.Module) count as using it
        codes = []
        for name in ("__init__", "__new__", "forward", "__call__"):
            member = obj.__dict__.get(name)
            if member is not None:
                codes += _code_objects(member)
        return codes
    wrapped = getattr(obj, "__wrapped__", None)  # functools.wraps decorators
    return _code_objects(wrapped) if wrapped is not None else []


class Forbid:
    """The calls a part forbids, by dotted name, and why.

    Parameters
    ----------
    *names
        Dotted names such as ``"torch.nn.functional.conv2d"``, ``"torch.Tensor.sigmoid"``, ``"course.fit"``,
        ``"course.data.GaussianTruth.w"`` (a property), or a class (its constructor and forward count).
    modules
        Module prefixes none of whose functions may be called, e.g. ``("torch",)`` for a NumPy-only part.
    why
        The end of the message, e.g. ``"this part asks you to write the loops yourself"``.
    """

    def __init__(self, *names: str, modules: Iterable[str] = (), why: str = "this part asks you to write it yourself"):
        self.names, self.modules, self.why = tuple(names), tuple(modules), why
        self._codes: dict[types.CodeType, str] = {}
        self._builtins: dict[tuple[str, str], str] = {}  # (module, name) of builtin functions
        self._methods: list[tuple[type, str, str]] = []  # (class, method name, label) of C methods
        for name in names:
            obj = _resolve(name)
            codes = _code_objects(obj)
            if codes:
                self._codes.update({c: name for c in codes})
            elif isinstance(obj, types.BuiltinFunctionType):
                self._builtins[(getattr(obj, "__module__", None) or "", obj.__name__)] = name
            elif hasattr(obj, "__objclass__"):  # a method descriptor such as torch.Tensor.sigmoid
                self._methods.append((obj.__objclass__, obj.__name__, name))
            elif callable(obj) and hasattr(obj, "__name__"):  # e.g. a C function without __module__
                self._builtins[(getattr(obj, "__module__", None) or "", obj.__name__)] = name
            else:
                raise TypeError(f"Forbid cannot trace {name!r} ({type(obj).__name__})")

    def __or__(self, other: Forbid) -> Forbid:
        return Forbid(
            *self.names,
            *other.names,
            modules=self.modules + other.modules,
            why=self.why if self.why == other.why else f"{self.why}; {other.why}",
        )

    def _in_modules(self, module: str | None) -> bool:
        if not module:
            return False
        return any(module == m or module.startswith(m + ".") for m in self.modules)

    def match(self, frame: types.FrameType, event: str, arg: Any) -> str | None:
        """The forbidden name this profiler event is a call of, or None."""
        if event == "call":
            label = self._codes.get(frame.f_code)
            if label is None and self.modules and self._in_modules(frame.f_globals.get("__name__")):
                label = f"{frame.f_globals['__name__']}.{frame.f_code.co_name}"
            return label
        if event != "c_call":
            return None
        name = getattr(arg, "__name__", "")
        owner = getattr(arg, "__self__", None)
        module = getattr(arg, "__module__", None)
        label = self._builtins.get((module or "", name))
        if label is None and owner is not None:
            for cls, method, method_label in self._methods:
                if method == name and issubclass(type(owner), cls):
                    return method_label
        if label is None and self.modules:
            owner_module = owner.__name__ if isinstance(owner, types.ModuleType) else type(owner).__module__
            if self._in_modules(module) or (owner is not None and self._in_modules(owner_module)):
                label = f"{module or owner_module}.{name}"
        return label


def numpy_only(why: str = "this part asks for NumPy only, without PyTorch") -> Forbid:
    """A `Forbid` for NumPy-only parts: no function of torch may be called."""
    return Forbid(modules=("torch",), why=why)


def plain(value: Any, name: str = "the result", depth: int = 0) -> Any:
    """`value` rebuilt from plain types (arrays, tensors, numbers, tuples, lists, dicts); raise TypeError otherwise.

    Runs no method of a user-defined class, so nothing the student wrote can run later inside the test.
    """
    import numpy as np

    if depth > 20:
        raise TypeError(f"{name} is nested too deeply")
    kind = type(value)
    if kind in _PLAIN_SCALARS:
        return value
    if kind is np.ndarray:
        if value.dtype == object:
            raise TypeError(f"{name} is an array of Python objects, not of numbers")
        return value.copy()
    if issubclass(kind, np.generic) and kind.__module__ == "numpy":
        return value
    torch = sys.modules.get("torch")
    if torch is not None and kind in (torch.Tensor, torch.nn.Parameter):
        return value
    # issubclass on type(value), never isinstance: isinstance may consult a __class__ the student defined
    if torch is not None and issubclass(kind, torch.nn.Module):
        return value  # a model: the test runs it through run_student too
    if kind in (tuple, list):
        return kind(plain(v, f"{name}[{i}]", depth + 1) for i, v in enumerate(value))
    if kind is dict:
        return {
            plain(k, f"a key of {name}", depth + 1): plain(v, f"{name}[{k!r}]", depth + 1) for k, v in value.items()
        }
    raise TypeError(f"{name} has type {kind.__name__}: return numbers, arrays or tensors (or tuples of them)")


def label_of(fn: Any) -> str:
    """A name for `fn` read without running any of its code (a property `__name__` on a class would)."""
    if isinstance(fn, (types.FunctionType, types.BuiltinFunctionType)):
        return fn.__name__
    if isinstance(fn, types.MethodType) and isinstance(fn.__func__, types.FunctionType):
        return fn.__func__.__name__
    return type(fn).__name__


def _interrupt(worker: threading.Thread, finished: threading.Event, wait: float = 1.0) -> None:
    """Raise KeyboardInterrupt inside `worker` until it finishes (or `wait` seconds pass).

    `finished` says whether it did, not ``worker.is_alive()``: after a KeyboardInterrupt has broken off a
    ``join()``, CPython may report a running thread as stopped, and a runaway loop of the student's then
    goes on holding the GIL for the rest of the process. A loop that swallows the first interrupt gets
    another every 0.1 s.
    """
    import ctypes

    deadline = time.monotonic() + wait
    while worker.ident is not None and not finished.is_set() and time.monotonic() < deadline:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(KeyboardInterrupt))
        finished.wait(0.1)


def _names_optim(code: types.CodeType) -> bool:
    """Whether `code`, or a function or class body defined inside it, names ``optim`` (``torch.optim.Adam``...)."""
    return "optim" in code.co_names or any(
        isinstance(const, types.CodeType) and _names_optim(const) for const in code.co_consts
    )


def _plain_str(value: object) -> str | None:
    """`value` if it is exactly a str (comparing anything else could run its ``__eq__``), else None."""
    return value if type(value) is str else None


def _import_dynamo_untraced(fn: Callable) -> None:
    """Import ``torch._dynamo`` before the call tracer starts when the code around `fn` names ``optim``.

    torch imports it (about 1 s) on an optimiser's first use; under the tracer, which runs on every call, the same
    import takes 2-3 s more. The namespace `fn` was defined in (a notebook's) is scanned, so a helper the student's
    function calls counts too; a namespace that never names an optimiser does not pay the second.

    Student code must not run here, outside the tracer: only plain functions, methods, classes (no metaclass),
    modules and dicts are looked into, through attributes that no Python code can override.
    """
    if "torch._dynamo" in sys.modules or "torch" not in sys.modules:
        return
    if type(fn) is types.MethodType:
        fn = fn.__func__
    if type(fn) is types.FunctionType:
        namespace = fn.__globals__
    elif type(type(fn)) is type:  # a model or other callable object: the module its class was defined in
        module = sys.modules.get(_plain_str(type(fn).__dict__.get("__module__")) or "")
        namespace = module.__dict__ if type(module) is types.ModuleType else {}
    else:
        return
    if type(namespace) is not dict:
        return
    home = namespace.get("__name__")
    if type(home) is not str:  # a str subclass's __eq__ would be student code
        return
    for value in list(namespace.values()):
        if type(value) is types.FunctionType:
            members = [value] if type(value.__module__) is str and value.__module__ == home else []
        elif type(value) is type and _plain_str(value.__dict__.get("__module__")) == home:
            members = [member for member in value.__dict__.values() if type(member) is types.FunctionType]
        else:  # imported (course.fit...) or anything else: not the notebook's own code
            continue
        if any(_names_optim(member.__code__) for member in members):
            importlib.import_module("torch._dynamo")
            return


def run_student(
    fn: Callable, *args: Any, forbid: Forbid | None = None, name: str | None = None, convert: bool = True, **kwargs: Any
) -> Any:
    """Call a student's `fn(*args, **kwargs)` in a fresh thread, tracing forbidden calls; return its result.

    Parameters
    ----------
    fn
        The student's function, method or model.
    forbid
        The shortcuts this part forbids; their use raises `ShortcutUsed` after the call.
    name
        How the message names `fn` (default: its ``__name__``).
    convert
        Rebuild the result from plain types inside the thread (see `plain`); on by default.

    Returns
    -------
    The function's result. Its exception, if it raised, is raised again here.
    """
    label = name or label_of(fn)
    if forbid is not None:
        _import_dynamo_untraced(fn)
    box: dict[str, Any] = {}
    finished = threading.Event()

    def tracer(frame, event, arg):
        if "used" not in box and "closing" not in box:
            if event == "c_call" and any(arg is f for f in _TRACER_SWITCHES):
                box["used"] = f"{arg.__module__}.{arg.__name__} (it switched the grader's call tracer off)"
                return None
            hit = forbid.match(frame, event, arg)
            if hit is not None:
                box["used"] = hit
        return None

    def call() -> None:
        if forbid is not None:
            threading.setprofile(tracer)  # threads the student's code starts are traced too
            sys.setprofile(tracer)
        try:
            result = fn(*args, **kwargs)
            box["result"] = plain(result, f"the result of {label}") if convert else result
        except BaseException as err:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = err
        finally:
            if forbid is not None:
                box["closing"] = True
                if sys.getprofile() is not tracer:
                    box.setdefault("used", "sys.setprofile (it switched the grader's call tracer off)")
                sys.setprofile(None)
                threading.setprofile(None)
            finished.set()

    worker = threading.Thread(target=call, name=f"student:{label}", daemon=True)
    worker.start()
    try:
        finished.wait()  # not worker.join(): an interrupted join() can lose track of the thread (see _interrupt)
    except BaseException:  # e.g. the grader's time limit interrupting the cell: stop the student's thread too
        _interrupt(worker, finished)
        raise
    worker.join()
    if "used" in box:  # only a Forbid records a use
        raise ShortcutUsed(f"your {label} called {box['used']}: {forbid.why if forbid else ''}.") from None
    if "error" in box:
        raise box["error"]
    return box["result"]


def run_tests(fn: Callable[[], Any]) -> None:
    """Decorator for a test cell's body: run it now and keep nothing of it in the notebook's namespace.

    ``@run_tests`` on ``def sigmoid_tests(): ...`` runs the function at once and binds ``sigmoid_tests`` to None,
    so its references and expected values stay local to one call that has finished.
    """
    fn()
    return None
