"""The exercise checks: they pass right answers and name the failing case for wrong ones."""

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
