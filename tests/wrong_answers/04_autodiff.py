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
