"""Plausible mistakes for 04_autodiff and the test cells that must catch them."""

import re
from pathlib import Path

import nbformat

_SOURCE = Path(__file__).resolve().parents[2] / "solutions" / "04_autodiff" / "04_autodiff.ipynb"


def _answer_cell(grade_id: str) -> str:
    """The solution source of an answer cell, without the solution markers."""
    for cell in nbformat.read(_SOURCE, as_version=4).cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION\n", "", cell.source + "\n", flags=re.MULTILINE)
    raise KeyError(grade_id)


def _edit(grade_id: str, old: str, new: str) -> str:
    """The answer cell `grade_id` with one line changed (the mistake), checked to apply exactly once."""
    source = _answer_cell(grade_id)
    if source.count(old) != 1:
        raise ValueError(f"{grade_id}: {old!r} found {source.count(old)} times")
    return source.replace(old, new)


def _edits(grade_id: str, *changes: tuple[str, str]) -> str:
    """The answer cell `grade_id` with several changes, each checked to apply exactly once."""
    source = _answer_cell(grade_id)
    for old, new in changes:
        if source.count(old) != 1:
            raise ValueError(f"{grade_id}: {old!r} found {source.count(old)} times")
        source = source.replace(old, new)
    return source


WRONG_ANSWERS = [
    dict(
        cell="value_answer",
        fails=["value_tests"],
        why="a * b records the local derivatives swapped: (a, b) instead of (b, a)",
        source=_edit("value_answer", '(self, other), (other.data, self.data), "*")', '(self, other), (self.data, other.data), "*")'),
    ),
    dict(
        cell="value_answer",
        fails=["value_tests"],
        why="tanh's local derivative computed from the input: 1 - a^2 instead of 1 - tanh(a)^2",
        source=_edit("value_answer", "(1.0 - t * t,)", "(1.0 - self.data * self.data,)"),
    ),
    dict(
        cell="value_answer",
        fails=["value_tests"],
        why="power rule without lowering the exponent: k a^k instead of k a^(k-1)",
        source=_edit("value_answer", "(k * self.data ** (k - 1),)", "(k * self.data**k,)"),
    ),
    dict(
        cell="value_answer",
        fails=["value_tests"],
        why="a / b with d/db = -1/b^2 (forgets the factor a)",
        source=_edit("value_answer", "-self.data / other.data**2)", "-1.0 / other.data**2)"),
    ),
    dict(
        cell="backward_answer",
        fails=["backward_tests"],
        why="no topological order: recursion passes a node's gradient on before all its contributions arrived",
        source='''
def backward(root) -> None:
    """Set root.grad = 1 and accumulate d(root)/d(node) into node.grad for every node root depends on."""
    root.grad = 1.0

    def propagate(node):
        for parent, local_grad in zip(node._parents, node._local_grads):
            parent.grad += local_grad * node.grad
            propagate(parent)

    propagate(root)
''',
    ),
    dict(
        cell="backward_answer",
        fails=["backward_tests"],
        why="assigns instead of accumulating (=, not +=): a node used twice keeps only one contribution",
        source=_edit("backward_answer", "parent.grad += local_grad * node.grad", "parent.grad = local_grad * node.grad"),
    ),
    dict(
        cell="backward_answer",
        fails=["backward_tests"],
        why="forgets to seed root.grad = 1, so every gradient stays 0",
        source=_edit("backward_answer", "    root.grad = 1.0\n", ""),
    ),
    dict(
        cell="dual_answer",
        fails=["dual_tests"],
        why="multiplies the derivatives (a' b') instead of using the product rule",
        source=_edit("dual_answer", "self.dot * other.val + self.val * other.dot", "self.dot * other.dot"),
    ),
    dict(
        cell="dual_answer",
        fails=["dual_tests"],
        why="quotient rule with the sign of the second term flipped",
        source=_edit("dual_answer", "(self.dot * other.val - self.val * other.dot)", "(self.dot * other.val + self.val * other.dot)"),
    ),
    dict(
        cell="example_b_answer",
        fails=["example_b_tests"],
        why="calls y2.backward() on the same graph right after y1.backward(): y2's gradients include y1's",
        source='''
def example_b(x1: float, x2: float, value_cls=Value) -> dict[str, float]:
    """The four derivatives of worked example B at (x1, x2), by two reverse-mode passes."""
    a, b = value_cls(x1), value_cls(x2)
    v1 = a * b
    v2 = b.log()
    y1, y2 = v1.sin(), v1 + v2
    y1.backward()
    result = {"dy1/dx1": float(a.grad), "dy1/dx2": float(b.grad)}
    y2.backward()
    result["dy2/dx1"], result["dy2/dx2"] = float(a.grad), float(b.grad)
    return result
''',
    ),
    dict(
        cell="example_b_answer",
        fails=["example_b_tests"],
        why="resets only the inputs' gradients between passes; v1 keeps y1's gradient and adds it again",
        source='''
def example_b(x1: float, x2: float, value_cls=Value) -> dict[str, float]:
    """The four derivatives of worked example B at (x1, x2), by two reverse-mode passes."""
    a, b = value_cls(x1), value_cls(x2)
    v1 = a * b
    v2 = b.log()
    y1, y2 = v1.sin(), v1 + v2
    y1.backward()
    result = {"dy1/dx1": float(a.grad), "dy1/dx2": float(b.grad)}
    a.grad, b.grad = 0.0, 0.0
    y2.backward()
    result["dy2/dx1"], result["dy2/dx2"] = float(a.grad), float(b.grad)
    return result
''',
    ),
]

# Shortcuts: correct answers that call what a part rules out (PyTorch, the course library's own engine, finite
# differences) or a helper the old visible tests left in the namespace. Each must lose exactly its part's points.
WRONG_ANSWERS += [
    dict(
        cell="value_answer",
        fails=["value_tests"],
        why="shortcut: every local derivative comes from torch.autograd.grad instead of the rules",
        source='''
import torch


def _by_torch(f, *numbers):
    """f's value and its derivative with respect to each number, from torch autograd."""
    xs = [torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for v in numbers]
    out = f(*xs)
    grads = torch.autograd.grad(out, xs, allow_unused=True)
    return out.item(), tuple(0.0 if g is None else g.item() for g in grads)


class Value:
    """A scalar in a computation graph: its value, gradient, parents and local derivatives."""

    def __init__(self, data: float, parents: tuple = (), local_grads: tuple = (), op: str = ""):
        self.data = float(data)
        self.grad = 0.0
        self._parents = tuple(parents)
        self._local_grads = tuple(local_grads)
        self._op = op

    def backward(self) -> None:
        backward(self)

    def _apply(self, f, others, op):
        data, grads = _by_torch(f, self.data, *[o.data for o in others])
        return Value(data, (self, *others), grads, op)

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return self._apply(lambda a, b: a + b, (other,), "+")

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return self._apply(lambda a, b: a * b, (other,), "*")

    def __pow__(self, k):
        return self._apply(lambda a: a**k, (), f"**{k}")

    def __sub__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return self._apply(lambda a, b: a - b, (other,), "-")

    def __truediv__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return self._apply(lambda a, b: a / b, (other,), "/")

    def sin(self):
        return self._apply(torch.sin, (), "sin")

    def cos(self):
        return self._apply(torch.cos, (), "cos")

    def exp(self):
        return self._apply(torch.exp, (), "exp")

    def log(self):
        return self._apply(torch.log, (), "log")

    def tanh(self):
        return self._apply(torch.tanh, (), "tanh")

    def __neg__(self):
        return self * -1.0

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return Value(other) - self

    def __rtruediv__(self, other):
        return Value(other) / self
''',
    ),
    dict(
        cell="backward_answer",
        fails=["backward_tests"],
        why="shortcut: mirrors the graph in torch and lets torch.autograd.grad accumulate the gradients",
        source='''
def backward(root) -> None:
    """Set root.grad = 1 and accumulate d(root)/d(node) into node.grad for every node root depends on."""
    import torch

    mirror = {}  # id(node) -> (node, a zero leaf added to the node's value, the node's value as a torch expression)

    def build(node):
        if id(node) not in mirror:
            leaf = torch.zeros((), dtype=torch.float64, requires_grad=True)
            total = leaf
            for parent, local_grad in zip(node._parents, node._local_grads):
                total = total + local_grad * build(parent)
            mirror[id(node)] = (node, leaf, total)
        return mirror[id(node)][2]

    out = build(root)
    entries = list(mirror.values())
    grads = torch.autograd.grad(out, [leaf for _, leaf, _ in entries])
    for (node, _, _), g in zip(entries, grads):
        node.grad += float(g)
''',
    ),
    dict(
        cell="backward_answer",
        fails=["backward_tests"],
        why="shortcut: copies the graph into the course library's Value (course.experiments.u03), calls its backward",
        source='''
from course.experiments.u03 import Value as LibraryValue


def backward(root) -> None:
    """Set root.grad = 1 and accumulate d(root)/d(node) into node.grad for every node root depends on."""
    copies = {}

    def build(node):
        if id(node) not in copies:
            parents = tuple(build(p) for p in node._parents)
            copies[id(node)] = (node, LibraryValue(node.data, parents, tuple(node._local_grads)))
        return copies[id(node)][1]

    build(root).backward()
    for node, copy in copies.values():
        node.grad += copy.grad
''',
    ),
    dict(
        cell="dual_answer",
        fails=["dual_tests"],
        why="shortcut: every operation is pushed through torch.func.jvp (imported as an alias)",
        source='''
import math

import torch
from torch.func import jvp


class Dual:
    """A dual number val + dot * eps with eps**2 = 0: a value and its derivative along one direction."""

    def __init__(self, val: float, dot: float = 0.0):
        self.val = float(val)
        self.dot = float(dot)

    def _apply(self, f, *others):
        duals = (self, *others)
        primals = tuple(torch.tensor(d.val, dtype=torch.float64) for d in duals)
        tangents = tuple(torch.tensor(d.dot, dtype=torch.float64) for d in duals)
        out, dot = jvp(f, primals, tangents)
        return Dual(out.item(), dot.item())

    def _wrap(self, other):
        return other if isinstance(other, Dual) else Dual(other)

    def __add__(self, other):
        return self._apply(lambda a, b: a + b, self._wrap(other))

    def __mul__(self, other):
        return self._apply(lambda a, b: a * b, self._wrap(other))

    def __pow__(self, k):
        return self._apply(lambda a: a**k)

    def __sub__(self, other):
        return self._apply(lambda a, b: a - b, self._wrap(other))

    def __truediv__(self, other):
        return self._apply(lambda a, b: a / b, self._wrap(other))

    def sin(self):
        return self._apply(torch.sin)

    def cos(self):
        return self._apply(torch.cos)

    def exp(self):
        return self._apply(torch.exp)

    def log(self):
        return self._apply(torch.log)

    def tanh(self):
        return self._apply(torch.tanh)

    def __neg__(self):
        return self * -1.0

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return Dual(other) - self

    def __rtruediv__(self, other):
        return Dual(other) / self
''',
    ),
    dict(
        cell="dual_answer",
        fails=["dual_tests"],
        why="shortcut: sin, log and exp borrowed from the course library's Dual (course.experiments.u03)",
        source=_edits(
            "dual_answer",
            ("class Dual:", "from course.experiments.u03 import Dual as LibraryDual\n\n\nclass Dual:"),
            *[(f"        {body}\n", f"        lib = LibraryDual(self.val, self.dot).{name}()\n"
                                    "        return Dual(lib.value, lib.tangent)\n")
              for name, body in [("sin", "return Dual(math.sin(self.val), math.cos(self.val) * self.dot)"),
                                 ("exp", "e = math.exp(self.val)\n        return Dual(e, e * self.dot)"),
                                 ("log", "return Dual(math.log(self.val), self.dot / self.val)")]],
        ),
    ),
    dict(
        cell="example_b_answer",
        fails=["example_b_tests"],
        why="shortcut: ignores value_cls and takes the Jacobian from torch.autograd.functional.jacobian",
        source='''
def example_b(x1: float, x2: float, value_cls=Value) -> dict[str, float]:
    """The four derivatives of worked example B at (x1, x2), by two reverse-mode passes."""
    import torch

    def outputs(v):
        v1 = v[0] * v[1]
        return torch.stack([torch.sin(v1), v1 + torch.log(v[1])])

    jac = torch.autograd.functional.jacobian(outputs, torch.tensor([x1, x2], dtype=torch.float64))
    return {"dy1/dx1": float(jac[0, 0]), "dy1/dx2": float(jac[0, 1]),
            "dy2/dx1": float(jac[1, 0]), "dy2/dx2": float(jac[1, 1])}
''',
    ),
    dict(
        cell="example_b_answer",
        fails=["example_b_tests"],
        why="shortcut: lets the course library's example_b (course.experiments.u03) build the graph",
        source='''
from course.experiments.u03 import example_b as library_example_b


def example_b(x1: float, x2: float, value_cls=Value) -> dict[str, float]:
    """The four derivatives of worked example B at (x1, x2), by two reverse-mode passes."""
    result = {}
    for k, output in enumerate(["y1", "y2"]):
        a, b = value_cls(x1), value_cls(x2)
        library_example_b(a, b)[k].backward()
        result[f"d{output}/dx1"], result[f"d{output}/dx2"] = float(a.grad), float(b.grad)
    return result
''',
    ),
    dict(
        cell="example_b_answer",
        fails=["example_b_tests"],
        why="shortcut: central differences from course.checks.numerical_gradient instead of the engine",
        source='''
import numpy as np

from course.checks import numerical_gradient


def example_b(x1: float, x2: float, value_cls=Value) -> dict[str, float]:
    """The four derivatives of worked example B at (x1, x2), by two reverse-mode passes."""
    at = np.array([x1, x2])
    g1 = numerical_gradient(lambda v: math.sin(v[0] * v[1]), at)
    g2 = numerical_gradient(lambda v: v[0] * v[1] + math.log(v[1]), at)
    return {"dy1/dx1": g1[0], "dy1/dx2": g1[1], "dy2/dx1": g2[0], "dy2/dx2": g2[1]}
''',
    ),
    dict(
        cell="example_b_answer",
        fails=["example_b_tests"],
        why="shortcut: returns _expected_b, the reference the old visible tests left in the namespace",
        source='''
def example_b(x1: float, x2: float, value_cls=Value) -> dict[str, float]:
    """The four derivatives of worked example B at (x1, x2), by two reverse-mode passes."""
    return _expected_b(x1, x2)
''',
    ),
]
