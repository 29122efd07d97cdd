"""The exercise checks: they pass right answers and name the failing case for wrong ones."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from course.checks import (CheckFailed, check_close, check_dtype, check_function, check_shape,
                           gradient_check, numerical_gradient)


def test_check_close_accepts_equal_values_of_any_kind():
    check_close(np.array([1.0, 2.0]), torch.tensor([1.0, 2.0]), rtol=1e-6)
    check_close(3.0, 3.0 + 1e-9)
    check_close([[1, 2]], np.array([[1, 2]]))


def test_check_close_reports_largest_difference_and_index():
    with pytest.raises(CheckFailed, match=r"loss is wrong at index \(1,\): got 2.5, expected 2"):
        check_close([1.0, 2.5, 3.0], [1.0, 2.0, 3.0], name="loss")


def test_check_close_reports_shape_none_and_nan():
    with pytest.raises(CheckFailed, match=r"shape \(3,\), expected \(2,\)"):
        check_close(np.zeros(3), np.zeros(2))
    with pytest.raises(CheckFailed, match="forget a `return`"):
        check_close(None, 1.0)
    with pytest.raises(CheckFailed, match="NaN"):
        check_close([np.nan], [1.0])
    with pytest.raises(CheckFailed, match="not a number"):
        check_close({"a": 1}, 1.0)


def test_check_shape_and_dtype():
    check_shape(np.zeros((4, 3)), (None, 3))
    with pytest.raises(CheckFailed, match=r"shape \(4, 3\), expected \('any', 2\)"):
        check_shape(np.zeros((4, 3)), (None, 2), name="weights")
    check_dtype(torch.zeros(2), torch.float32)
    with pytest.raises(CheckFailed, match="dtype"):
        check_dtype(np.zeros(2, dtype=np.float32), np.float64)


def test_check_function_names_the_failing_case():
    def student(x):
        return np.maximum(x, 0) if x.sum() > 0 else x

    cases = {"positive": (np.array([1.0, -1.0, 2.0]),), "negative": (np.array([-1.0, -2.0]),)}
    with pytest.raises(CheckFailed, match=r"negative failed with inputs \(array"):
        check_function(student, lambda x: np.maximum(x, 0), cases, name="relu")


def test_check_function_reports_student_exceptions_readably():
    def unfinished(x):
        raise NotImplementedError()

    def broken(x):
        return x / "a"

    with pytest.raises(CheckFailed, match="not implemented yet"):
        check_function(unfinished, abs, [(1.0,)])
    with pytest.raises(CheckFailed, match=r"raised TypeError.*case 1"):
        check_function(broken, abs, [(1.0,)])


def test_check_function_protects_inputs_from_mutation():
    def mutating(x):
        x *= 2
        return x

    x = np.ones(3)
    with pytest.raises(CheckFailed):
        check_function(mutating, lambda v: v, [(x,)])
    assert np.array_equal(x, np.ones(3))


def test_numerical_gradient_matches_closed_form():
    x = np.array([0.3, -1.2, 2.0])
    grad = numerical_gradient(lambda v: float(np.sum(np.sin(v) * v)), x)
    np.testing.assert_allclose(grad, np.cos(x) * x + np.sin(x), rtol=1e-7)


def test_gradient_check_catches_sign_error():
    f = lambda w: float(np.sum(w ** 2))  # noqa: E731
    assert gradient_check(f, lambda w: 2 * w, np.array([1.0, -2.0])) < 1e-6
    with pytest.raises(CheckFailed, match="disagrees with the numerical gradient"):
        gradient_check(f, lambda w: -2 * w, np.array([1.0, -2.0]))


def test_ipython_shows_only_the_message():
    err = CheckFailed("relu is wrong")
    assert err._render_traceback_() == ["CheckFailed: relu is wrong"]


# --- calling student code: isolation, plain results, forbidden shortcuts -------------------------------------

import sys as _sys  # noqa: E402
import threading as _threading  # noqa: E402

import torch.nn.functional as F  # noqa: E402

from course.checks import Forbid, ShortcutUsed, call_student, numpy_only, run_student, run_tests  # noqa: E402


def test_student_code_cannot_walk_up_to_the_reference_or_expected_value():
    seen = {}

    def cheat(x):
        frame = _sys._getframe(1)
        while frame is not None:
            seen.update({k: v for k, v in frame.f_locals.items() if k in ("reference_fn", "expected", "secret")})
            frame = frame.f_back
        return x

    secret = 42  # noqa: F841 - what a frame walk would look for
    check_function(cheat, lambda x: x, {"one": (np.ones(2),)})
    assert seen == {}, f"the student's frames reached {sorted(seen)}"


def test_run_student_runs_in_another_thread_and_reraises_errors():
    assert run_student(lambda: _threading.current_thread().name, name="who") == "student:who"
    with pytest.raises(ZeroDivisionError):
        run_student(lambda: 1 / 0)


def test_results_are_rebuilt_from_plain_types_and_odd_objects_rejected():
    out = run_student(lambda: (np.ones(2), [1, 2.0], {"a": torch.zeros(1)}))
    assert isinstance(out[0], np.ndarray) and out[1] == [1, 2.0] and torch.equal(out[2]["a"], torch.zeros(1))

    class Sneaky:
        def __array__(self, *args, **kwargs):
            raise RuntimeError("student code ran inside the check")

    with pytest.raises(CheckFailed, match="has type Sneaky"):
        call_student(lambda: Sneaky(), name="f")
    with pytest.raises(CheckFailed, match="not a number"):
        check_close(Sneaky(), 1.0)

    class FakeTensor(torch.Tensor):
        pass

    with pytest.raises(TypeError, match="FakeTensor"):
        run_student(lambda: torch.zeros(2).as_subclass(FakeTensor))


@pytest.mark.parametrize("how", ["module", "alias", "method", "default", "functional"])
def test_forbidden_calls_are_seen_however_they_are_reached(how):
    from torch import sigmoid as alias

    def by(z, default=torch.sigmoid):
        z = torch.as_tensor(z)
        return {"module": lambda: torch.sigmoid(z), "alias": lambda: alias(z), "method": lambda: z.sigmoid(),
                "default": lambda: default(z), "functional": lambda: F.sigmoid(z)}[how]()

    rule = Forbid("torch.sigmoid", "torch.Tensor.sigmoid", why="write the formula yourself")
    with pytest.raises(ShortcutUsed, match=r"your by called torch\.(Tensor\.)?sigmoid: write the formula yourself"):
        run_student(by, np.zeros(3), forbid=rule)
    run_student(lambda z: 1 / (1 + torch.exp(-torch.as_tensor(z))), np.zeros(3), forbid=rule)  # allowed


def test_forbidden_python_functions_classes_and_properties():
    import course
    from course.data import GaussianTruth, gaussian_classes

    _, _, truth = gaussian_classes(n=10, seed=0)
    rule = Forbid("course.data.gaussian_classes", "course.data.GaussianTruth.posterior", "course.fit",
                  "course.LeNet5", why="no library answers")
    with pytest.raises(ShortcutUsed, match="gaussian_classes"):
        run_student(lambda t: gaussian_classes(n=2, mu0=t.mu0, mu1=t.mu1)[2].w, truth, forbid=rule)
    with pytest.raises(ShortcutUsed, match="GaussianTruth.posterior"):
        run_student(lambda t: t.posterior(np.zeros((1, 2))), truth, forbid=rule)
    with pytest.raises(ShortcutUsed, match="course.LeNet5"):
        run_student(lambda: course.LeNet5(), forbid=rule)
    # fit is built from pieces a student could call instead: forbidding fit forbids them too
    from course.train import EarlyStopping, train_one_epoch

    data = [(torch.zeros(2, 2), torch.zeros(2, dtype=torch.long))]
    model = torch.nn.Linear(2, 2)
    with pytest.raises(ShortcutUsed, match="course.fit"):
        run_student(lambda: train_one_epoch(model, data, torch.optim.SGD(model.parameters(), lr=0.1)), forbid=rule)
    with pytest.raises(ShortcutUsed, match="course.fit"):
        run_student(lambda: EarlyStopping(patience=1).update(0, 1.0, model), forbid=rule)
    run_student(lambda t: t.mu0, truth, forbid=rule)
    assert isinstance(truth, GaussianTruth)


def test_numpy_only_rejects_any_torch_call_and_a_switched_off_tracer():
    with pytest.raises(ShortcutUsed, match="NumPy only"):
        run_student(lambda z: torch.as_tensor(z).numpy(), np.zeros(2), forbid=numpy_only())
    run_student(lambda z: np.tanh(z), np.zeros(2), forbid=numpy_only())

    def switch_off(z):
        _sys.setprofile(None)
        return torch.tanh(torch.as_tensor(z)).numpy()

    with pytest.raises(ShortcutUsed, match="tracer off"):
        run_student(switch_off, np.zeros(2), forbid=numpy_only())


def test_forbidden_calls_in_threads_the_student_starts_are_seen():
    def threaded(z):
        out = {}
        t = _threading.Thread(target=lambda: out.setdefault("v", torch.tanh(torch.as_tensor(z))))
        t.start()
        t.join()
        return out["v"]

    with pytest.raises(ShortcutUsed):
        run_student(threaded, np.zeros(2), forbid=Forbid("torch.tanh"))


def test_check_function_reports_the_shortcut_and_tests_leaves_no_name():
    with pytest.raises(ShortcutUsed, match="your relu called torch.relu"):
        check_function(lambda x: torch.relu(torch.as_tensor(x)), lambda x: np.maximum(x, 0),
                       {"one": (np.array([-1.0, 1.0]),)}, name="relu", forbid=Forbid("torch.relu"))
    ran = []

    @run_tests
    def some_tests():
        ran.append(1)

    assert ran == [1] and some_tests is None


@pytest.mark.parametrize("stubborn", [False, True], ids=["loop", "loop-that-swallows-interrupts"])
def test_an_interrupted_check_stops_the_students_thread_too(stubborn):
    import os
    import signal
    import time

    turns, swallowed = [0], [0]

    def spin():
        while True:
            try:
                while True:
                    turns[0] += 1
            except KeyboardInterrupt:
                if not stubborn or swallowed[0]:
                    raise
                swallowed[0] += 1  # swallow the first interrupt and go on: the grader must send another

    timer = _threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))  # as the grader's time limit does
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        run_student(spin)
    # Count, rather than ask is_alive(): after an interrupted join() CPython may call a running thread stopped.
    before = turns[0]
    time.sleep(0.3)
    assert turns[0] == before, "the student's loop kept running after the interrupt"
    assert swallowed[0] == stubborn


def test_naming_a_student_callable_runs_none_of_its_code():
    class Sly:
        @property
        def __name__(self):
            raise RuntimeError("student code ran in the test's thread")

        def __call__(self, x):
            return x

    assert run_student(Sly(), 1.0) == 1.0
    check_function(Sly(), lambda x: x, {"one": (np.ones(2),)})


def test_switching_the_tracer_off_and_back_on_is_seen():
    def sneaky(z):
        saved = _sys.getprofile()
        _sys.setprofile(None)
        out = torch.tanh(torch.as_tensor(z)).numpy()
        _sys.setprofile(saved)
        return out

    with pytest.raises(ShortcutUsed, match="switched the grader's call tracer off"):
        run_student(sneaky, np.zeros(2), forbid=numpy_only())


DYNAMO_PROBE = """
import sys, torch
from course.guard import Forbid, run_student

class Nosy:  # a hostile global: any look at it from the grader's side, outside the tracer, is recorded
    looked = []
    @property
    def __module__(self):
        Nosy.looked.append("__module__")
        return "__main__"
    def __getattr__(self, name):
        Nosy.looked.append(name)
        raise AttributeError(name)

nosy = Nosy()

class Sly(str):  # a str whose comparison is student code
    def __eq__(self, other):
        Nosy.looked.append("__eq__")
        return True
    __hash__ = str.__hash__

def student():
    return "torch._dynamo" in sys.modules  # imported before the student's code runs?

{extra}
seen = run_student(student, forbid=Forbid("torch.nn.functional.relu"))
print(seen, Nosy.looked)
"""


@pytest.mark.parametrize(
    "extra, imported",
    [
        ("", False),  # nothing in the notebook names an optimiser: no second spent on the import
        ("def train(model):\n    return torch.optim.SGD(model.parameters(), lr=0.1)", True),
        ("class Trainer:\n    def fit(self, model):\n        return torch.optim.Adam(model.parameters())", True),
        # names compared through a str subclass would run its __eq__ outside the tracer: such a namespace is skipped
        ("def train(model):\n    return torch.optim.SGD(model.parameters())\n__name__ = Sly('__main__')", False),
        ("def train(model):\n    return torch.optim.SGD(model.parameters())\ntrain.__module__ = Sly('__main__')", False),
    ],
)
def test_run_student_imports_torch_dynamo_untraced_only_where_the_notebook_names_an_optimiser(extra, imported):
    """torch imports torch._dynamo on an optimiser's first use, 2-3 s slower under the call tracer than without."""
    script = DYNAMO_PROBE.format(extra=extra)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [str(imported), "[]"], done.stdout  # and the hostile global was never touched
