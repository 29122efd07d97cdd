"""Unit 3: back-propagation by hand, forward mode with dual numbers, and a tiny reverse-mode engine.

The lecture defines its own copies of these in its cells (and checks that they give the same numbers); these are
the versions the claims tests and assignments 3 and 4 use (the assignments forbid calling them).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from course.models import MLP

Tensor = torch.Tensor


# ---------------------------------------------------------------- reverse mode: a tiny engine


class Value:
    """A scalar that remembers the operation that made it, so backward() can apply the chain rule."""

    def __init__(self, data: float, parents: tuple = (), local_grads: tuple = (), op: str = "", label: str = ""):
        self.data, self.grad = float(data), 0.0
        self.parents, self.local_grads = parents, local_grads  # d(self)/d(parent) for each parent
        self.op, self.label = op, label

    def __add__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data), "*")

    __radd__, __rmul__ = __add__, __mul__

    def __pow__(self, k: float) -> Value:  # constant exponent k
        return Value(self.data**k, (self,), (k * self.data ** (k - 1),), f"**{k:g}")

    def __truediv__(self, other: Value | float) -> Value:
        return self * (other if isinstance(other, Value) else Value(other)) ** -1.0

    def __rtruediv__(self, other: float) -> Value:
        return Value(other) * self**-1.0

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: Value | float) -> Value:
        return self + (-other)

    def __rsub__(self, other: float) -> Value:
        return (-self) + other

    def sin(self) -> Value:
        return Value(math.sin(self.data), (self,), (math.cos(self.data),), "sin")

    def log(self) -> Value:
        return Value(math.log(self.data), (self,), (1.0 / self.data,), "log")

    def exp(self) -> Value:
        return Value(math.exp(self.data), (self,), (math.exp(self.data),), "exp")

    def sigmoid(self) -> Value:
        s = 1.0 / (1.0 + math.exp(-self.data))
        return Value(s, (self,), (s * (1.0 - s),), "sigmoid")

    def backward(self) -> None:
        """Set .grad of every Value this one depends on to d(self)/d(that value)."""
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):  # each node is finished before its parents are visited
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * node.grad  # chain rule, summed over every use of parent

    def item(self) -> float:  # like torch's tensor.item()
        return self.data

    def __repr__(self) -> str:
        return f"Value({self.data:.4g}, grad={self.grad:.4g})"


def topological_order(root: Value) -> list[Value]:
    """Every Value that `root` depends on, each listed after all of its parents (iterative depth-first search)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((parent, False) for parent in node.parents if id(parent) not in seen)
    return order


# ---------------------------------------------------------------- forward mode: dual numbers


class Dual:
    """A dual number value + tangent * eps with eps^2 = 0: carries a derivative along one input direction."""

    def __init__(self, value: float, tangent: float = 0.0):
        self.value, self.tangent = float(value), float(tangent)

    def __add__(self, other: Dual | float) -> Dual:
        other = other if isinstance(other, Dual) else Dual(other)
        return Dual(self.value + other.value, self.tangent + other.tangent)

    def __mul__(self, other: Dual | float) -> Dual:
        other = other if isinstance(other, Dual) else Dual(other)
        return Dual(self.value * other.value, self.tangent * other.value + self.value * other.tangent)

    __radd__, __rmul__ = __add__, __mul__

    def __neg__(self) -> Dual:
        return Dual(-self.value, -self.tangent)

    def __sub__(self, other: Dual | float) -> Dual:
        return self + (-other)

    def __rsub__(self, other: float) -> Dual:
        return (-self) + other

    def sin(self) -> Dual:
        return Dual(math.sin(self.value), math.cos(self.value) * self.tangent)

    def log(self) -> Dual:
        return Dual(math.log(self.value), self.tangent / self.value)

    def exp(self) -> Dual:
        return Dual(math.exp(self.value), math.exp(self.value) * self.tangent)

    def __repr__(self) -> str:
        return f"Dual({self.value:.4g}, tangent={self.tangent:.4g})"


def sin(x):
    """sin for numbers, numpy arrays, tensors, Values and Duals."""
    if hasattr(x, "sin"):
        return x.sin()
    return math.sin(x) if isinstance(x, (int, float)) else np.sin(x)


def log(x):
    """Natural log for numbers, numpy arrays, tensors, Values and Duals."""
    if hasattr(x, "log"):
        return x.log()
    return math.log(x) if isinstance(x, (int, float)) else np.log(x)


# ---------------------------------------------------------------- the two worked examples


def example_a(x1, x2):
    """Worked example A: z = sin(x1) + x1 x2 (works on floats, tensors, Values and Duals)."""
    return sin(x1) + x1 * x2


def example_b(x1, x2) -> tuple:
    """Worked example B: v1 = x1 x2, v2 = log x2; returns (y1, y2) = (sin v1, v1 + v2)."""
    v1 = x1 * x2
    v2 = log(x2)
    return sin(v1), v1 + v2


def _outputs(f: Callable, inputs: Sequence) -> tuple:
    out = f(*inputs)
    return out if isinstance(out, tuple) else (out,)


def forward_mode_jacobian(f: Callable, x: Sequence[float]) -> np.ndarray:
    """Jacobian of f at x by forward mode: one pass with dual numbers per INPUT gives one column."""
    columns = []
    for i in range(len(x)):
        duals = [Dual(v, 1.0 if j == i else 0.0) for j, v in enumerate(x)]
        columns.append([y.tangent for y in _outputs(f, duals)])
    return np.array(columns).T


def reverse_mode_jacobian(f: Callable, x: Sequence[float]) -> np.ndarray:
    """Jacobian of f at x by reverse mode: one backward pass per OUTPUT gives one row."""
    inputs = [Value(v) for v in x]
    rows = []
    for y in _outputs(f, inputs):
        y.backward()
        rows.append([v.grad for v in inputs])
    return np.array(rows)


def torch_jacobian(f: Callable, x: Sequence[float]) -> np.ndarray:
    """Jacobian of f at x from torch.autograd (float64)."""
    inputs = tuple(torch.tensor(float(v), dtype=torch.float64) for v in x)
    jac = torch.autograd.functional.jacobian(lambda *a: torch.stack(_outputs(f, a)), inputs)
    return torch.stack(jac, dim=-1).numpy()


# ---------------------------------------------------------------- gradients derived by hand


def one_hidden_layer_gradients(x: Tensor, t: Tensor, U: Tensor, w: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Loss and hand-derived gradients of BCE(sigmoid(h), t) with h(x) = w . sigmoid(U x), averaged over a batch.

    x: (N, d), t: (N,) in {0, 1}, U: (H, d), w: (H,). Returns (loss, dL/dw (H,), dL/dU (H, d)):
    dL/dh = p - t;  dL/dw = (p - t) sigmoid(U x);  dL/du_j = (p - t) w_j s_j (1 - s_j) x.
    """
    s = torch.sigmoid(x @ U.T)  # (N, H) hidden activations
    h = s @ w  # (N,) output scores
    p = torch.sigmoid(h)
    loss = F.binary_cross_entropy_with_logits(h, t.to(h.dtype))
    delta = (p - t) / len(t)  # dL/dh for each example (mean over the batch)
    grad_w = s.T @ delta
    grad_U = ((delta[:, None] * w) * s * (1 - s)).T @ x
    return loss, grad_w, grad_U


def backprop(model: MLP, x: Tensor, y: Tensor, lam: float = 0.0) -> dict[str, Tensor]:
    """Gradients of mean cross-entropy + lam/2 * sum ||W||^2 for a sigmoid MLP, by the back-propagation equations.

    Forward: a_l = h_{l-1} W_l^T + b_l, h_l = sigmoid(a_l) (the last layer gives logits a_L).
    Backward: delta_L = softmax(a_L) - onehot(y); delta_l = (delta_{l+1} W_{l+1}) * h_l (1 - h_l);
    dW_l = delta_l^T h_{l-1} + lam W_l; db_l = sum of delta_l over the batch. Keys match named_parameters().
    """
    layers = model.linears
    hs = [x.reshape(len(x), -1)]
    with torch.no_grad():
        for i, layer in enumerate(layers):
            a = hs[-1] @ layer.weight.T + layer.bias
            hs.append(a if i == len(layers) - 1 else torch.sigmoid(a))
        delta = (torch.softmax(hs[-1], dim=1) - F.one_hot(y, hs[-1].shape[1]).to(x.dtype)) / len(x)
        grads = {}
        names = {id(p): n for n, p in model.named_parameters()}
        for i in reversed(range(len(layers))):
            layer = layers[i]
            grads[names[id(layer.weight)]] = delta.T @ hs[i] + lam * layer.weight
            grads[names[id(layer.bias)]] = delta.sum(0)
            if i > 0:
                delta = (delta @ layer.weight) * hs[i] * (1 - hs[i])  # sigmoid'(a) = h (1 - h)
    return grads
