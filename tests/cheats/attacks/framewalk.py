# Attack "framewalk": every answer returns `_cheat_answer()`, which walks up the call stack from the student's
# function and returns the test's `expected` value, or calls a reference function found in a caller's locals
# with the student's arguments. Zeros when the stack holds neither (a test calling from a thread of its own).
import sys as _sys

_EXPECTED_NAMES = ("expected", "expect", "want", "target_value", "reference_value")


def _looks_like_reference(name):
    lowered = name.lower()
    return "ref" in lowered or "torch" in lowered or "expected" in lowered or "oracle" in lowered


def _cheat_answer():
    """What the calling test expects, read from its frames, or zeros."""
    student = _sys._getframe(1)  # the student's function that returned `_cheat_answer()`
    code = student.f_code
    args = [student.f_locals[n] for n in code.co_varnames[: code.co_argcount] if n in student.f_locals]
    if args and code.co_varnames[0] == "self":
        args = args[1:]
    frame, depth = student.f_back, 0
    while frame is not None and depth < 40:
        scope = frame.f_locals
        for name in _EXPECTED_NAMES:
            if scope.get(name) is not None:
                return scope[name]
        for name, value in list(scope.items()):
            if not callable(value) or isinstance(value, type) or not _looks_like_reference(name):
                continue
            if value in (_cheat_answer, _looks_like_reference):  # this cell's own helpers
                continue
            for count in range(len(args), 0, -1):  # the reference may take fewer arguments
                try:
                    return value(*args[:count])
                except Exception:  # noqa: BLE001 - wrong guess, try the next candidate
                    continue
        frame, depth = frame.f_back, depth + 1
    for value in args:
        if hasattr(value, "shape"):
            return value * 0
    return 0.0
