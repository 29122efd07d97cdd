"""Claims of Unit 3 (lectures/03_backprop_autodiff.ipynb): the worked examples and the engines behind them."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course.experiments import u03
from course.experiments.u03 import Dual, Value
from course.models import MLP

X = [2.0, 3.0]


def test_worked_example_a_by_forward_mode_reverse_mode_and_torch():
    x1, x2 = Value(2.0), Value(3.0)
    z = u03.example_a(x1, x2)
    z.backward()
    sine, product = z.parents  # z = sin(x1) + x1 * x2: w4 = sin x1 and w3 = x1 x2
    assert (round(product.data, 3), round(sine.data, 3)) == (6.0, 0.909)
    assert round(z.data, 3) == 6.909
    assert (round(x1.grad, 3), round(x2.grad, 3)) == (2.584, 2.0)
    assert x1.grad == math.cos(2) + 3
    for jac in (
        u03.forward_mode_jacobian(u03.example_a, X),
        u03.reverse_mode_jacobian(u03.example_a, X),
        u03.torch_jacobian(u03.example_a, X),
    ):
        np.testing.assert_allclose(jac, [[math.cos(2) + 3, 2.0]], rtol=0, atol=1e-14)
    dual = u03.example_a(Dual(2.0, 1.0), Dual(3.0))
    assert dual.value == pytest.approx(math.sin(2) + 6, abs=1e-15)


def test_worked_example_b_jacobian_by_both_modes_and_torch():
    expected = np.array([[3 * math.cos(6), 2 * math.cos(6)], [3.0, 2 + 1 / 3]])
    for jac in (
        u03.forward_mode_jacobian(u03.example_b, X),
        u03.reverse_mode_jacobian(u03.example_b, X),
        u03.torch_jacobian(u03.example_b, X),
    ):
        np.testing.assert_allclose(jac, expected, rtol=0, atol=1e-14)
    np.testing.assert_allclose(expected, [[2.8805, 1.9203], [3.0, 2.3333]], atol=5e-5)


def _mixed(a, b, c):
    """Uses every operation of the engines, and re-uses inputs on several paths."""
    u = a * b + 3.0 - c / a
    return (u.sin() * (b**2.5)).exp() * 0.1 + (c * c).log() - (1.0 - a) / b + (a * c).sigmoid() * 2.0


def test_value_engine_matches_autograd_on_every_operation():
    x = [0.7, 1.3, -0.4]
    values = [Value(v) for v in x]
    out = _mixed(*values)
    out.backward()
    tensors = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in x]
    ref = _mixed(*tensors)
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=1e-13)
    np.testing.assert_allclose([v.grad for v in values], [t.grad.item() for t in tensors], rtol=1e-12)
    out.backward()  # a second backward pass starts from zero gradients, it does not add up
    np.testing.assert_allclose([v.grad for v in values], [t.grad.item() for t in tensors], rtol=1e-12)


def test_dual_numbers_match_autograd():
    def f(a, b):
        return (a * b).sin() * a + (b * b).log() - (a - 2.0).exp()

    a, b = torch.tensor(0.9, dtype=torch.float64, requires_grad=True), torch.tensor(1.7, dtype=torch.float64)
    (grad,) = torch.autograd.grad(f(a, b), a)
    assert f(Dual(0.9, 1.0), Dual(1.7)).tangent == pytest.approx(grad.item(), rel=1e-13)


def test_topological_order_handles_long_chains_without_recursion():
    x = Value(1.0)
    y = x
    for _ in range(5000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad == pytest.approx(1.0001**5000, rel=1e-9)


def test_hand_derived_gradients_of_one_hidden_layer_net_match_autograd():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(8, 3, generator=g, dtype=torch.float64)
    t = torch.tensor([0, 1, 1, 0, 1, 0, 0, 1], dtype=torch.float64)
    U = torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(4, generator=g, dtype=torch.float64, requires_grad=True)
    loss, grad_w, grad_U = u03.one_hidden_layer_gradients(x, t, U.detach(), w.detach())
    ref = F.binary_cross_entropy_with_logits(torch.sigmoid(x @ U.T) @ w, t)
    ref.backward()
    assert loss.item() == pytest.approx(ref.item(), rel=1e-14)
    torch.testing.assert_close(grad_w, w.grad, rtol=0, atol=1e-14)
    torch.testing.assert_close(grad_U, U.grad, rtol=0, atol=1e-14)


@pytest.mark.parametrize("hidden", [[], [7], [8, 6, 4]])
def test_backprop_equations_match_autograd_with_l2(hidden):
    torch.manual_seed(0)
    net = MLP(5, hidden, 3, activation="sigmoid").double()
    x, y, lam = torch.randn(16, 5, dtype=torch.float64), torch.randint(0, 3, (16,)), 0.01
    grads = u03.backprop(net, x, y, lam=lam)
    loss = F.cross_entropy(net(x), y) + lam / 2 * sum((layer.weight**2).sum() for layer in net.linears)
    loss.backward()
    assert set(grads) == {name for name, _ in net.named_parameters()}
    for name, param in net.named_parameters():
        torch.testing.assert_close(grads[name], param.grad, rtol=0, atol=1e-13)


def test_reverse_mode_through_a_loop_with_data_dependent_stopping():
    a = Value(2.0)
    y = a * 1.0
    while abs((y * y - a).item()) > 1e-12:
        y = 0.5 * (y + a / y)
    y.backward()
    assert a.grad == pytest.approx(1 / (2 * math.sqrt(2)), rel=1e-9)


def _newton_errors(a: float = 2.0, steps: int = 5):
    """Value error e_k, derivative error delta_k, y_k and dy_k/da of Newton's sqrt iterates (the lecture's table)."""
    leaf = u03.Value(a)
    y = leaf * 1.0
    rows = []
    for _ in range(steps):
        y = 0.5 * (y + leaf / y)
        y.backward()
        rows.append((y.data - math.sqrt(a), leaf.grad - 1 / (2 * math.sqrt(a)), y.data, leaf.grad))
    return rows


def test_newton_derivative_error_shrinks_with_the_value_error_one_factor_of_about_two_behind():
    rows = _newton_errors()
    e, d = [abs(r[0]) for r in rows], [abs(r[1]) for r in rows]
    assert max(e[-1], d[-1]) < 1e-11  # "after the last step both are at the level of rounding"
    assert all(b < a for a, b in zip(d[:-1], d[1:4]))
    assert 5 < d[3] / e[3] < 20  # "about 11 at the fourth step"
    # question 5's identity: r_{k+1} = 2 r_k - (dy_k/da) / y_k, with r_k = delta_k / e_k
    for (e0, d0, y0, g0), (e1, d1, _, _) in zip(rows[:2], rows[1:3]):
        assert d1 / e1 == pytest.approx(2 * d0 / e0 - g0 / y0, rel=1e-6)
    assert (2 - math.sqrt(2), 1 - 1 / (2 * math.sqrt(2))) == pytest.approx((0.586, 0.646), abs=1e-3)  # e_0, delta_0
