"""Plausible mistakes for 01_logistic_regression and the test cells that must catch them."""

WRONG_ANSWERS = [
    dict(
        cell="sigmoid_answer",
        fails=["sigmoid_tests"],
        why="sign error in the exponent: 1 / (1 + exp(z)) is sigmoid(-z)",
        source='''
def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-z)), element-wise."""
    return 1.0 / (1.0 + np.exp(np.asarray(z, dtype=np.float64)))
''',
    ),
    dict(
        cell="bce_answer",
        fails=["bce_tests"],
        why="cross-entropy computed through probabilities: log(0) = -inf once |z| is large",
        source='''
def bce_loss(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy of sigmoid(X @ w + b) against labels y in {0, 1}."""
    p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
''',
    ),
    dict(
        cell="bce_answer",
        fails=["bce_tests"],
        why="sums over the examples instead of averaging",
        source='''
def bce_loss(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy of sigmoid(X @ w + b) against labels y in {0, 1}."""
    z = X @ w + b
    return float(np.sum(np.logaddexp(0.0, z) - y * z))
''',
    ),
    dict(
        cell="gradient_answer",
        fails=["gradient_tests"],
        why="sign error: uses y - p instead of p - y",
        source='''
def bce_gradient(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray,
                 sigmoid_fn=sigmoid) -> tuple[np.ndarray, float]:
    """Gradient (dL/dw, dL/db) of the mean binary cross-entropy; p is computed with sigmoid_fn."""
    p = sigmoid_fn(X @ w + b)
    return X.T @ (y - p) / len(y), float(np.mean(y - p))
''',
    ),
    dict(
        cell="gradient_answer",
        fails=["gradient_tests"],
        why="forgets to divide the bias gradient by N (sum instead of mean)",
        source='''
def bce_gradient(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray,
                 sigmoid_fn=sigmoid) -> tuple[np.ndarray, float]:
    """Gradient (dL/dw, dL/db) of the mean binary cross-entropy; p is computed with sigmoid_fn."""
    error = sigmoid_fn(X @ w + b) - y
    return X.T @ error / len(y), float(np.sum(error))
''',
    ),
    dict(
        cell="descent_answer",
        fails=["descent_tests"],
        why="updates w in place, changing the caller's w0",
        source='''
def gradient_descent(grad_fn, w0: np.ndarray, b0: float, lr: float, steps: int) -> tuple[np.ndarray, float]:
    """Run `steps` gradient-descent updates of (w, b) from (w0, b0) with learning rate lr; return (w, b)."""
    w, b = w0, b0
    for _ in range(steps):
        grad_w, grad_b = grad_fn(w, b)
        w -= lr * grad_w
        b -= lr * grad_b
    return w, b
''',
    ),
    dict(
        cell="descent_answer",
        fails=["descent_tests"],
        why="gradient ascent: adds the gradient instead of subtracting it",
        source='''
def gradient_descent(grad_fn, w0: np.ndarray, b0: float, lr: float, steps: int) -> tuple[np.ndarray, float]:
    """Run `steps` gradient-descent updates of (w, b) from (w0, b0) with learning rate lr; return (w, b)."""
    w, b = np.array(w0, dtype=np.float64), float(b0)
    for _ in range(steps):
        grad_w, grad_b = grad_fn(w, b)
        w = w + lr * grad_w
        b = b + lr * grad_b
    return w, b
''',
    ),
    dict(
        cell="bayes_answer",
        fails=["bayes_tests"],
        why="leaves out the log prior ratio log(p1 / p0) from the bias",
        source='''
def bayes_logistic_weights(mu0: np.ndarray, mu1: np.ndarray, cov: np.ndarray,
                           prior1: float) -> tuple[np.ndarray, float]:
    """Weights (w, b) with p(y=1|x) = sigmoid(w.x + b) for two Gaussian classes sharing covariance cov."""
    mu0, mu1, cov = (np.asarray(a, dtype=np.float64) for a in (mu0, mu1, cov))
    w = np.linalg.solve(cov, mu1 - mu0)
    b = -0.5 * mu1 @ np.linalg.solve(cov, mu1) + 0.5 * mu0 @ np.linalg.solve(cov, mu0)
    return w, float(b)
''',
    ),
    dict(
        cell="bayes_answer",
        fails=["bayes_tests"],
        why="multiplies by the covariance instead of its inverse",
        source='''
def bayes_logistic_weights(mu0: np.ndarray, mu1: np.ndarray, cov: np.ndarray,
                           prior1: float) -> tuple[np.ndarray, float]:
    """Weights (w, b) with p(y=1|x) = sigmoid(w.x + b) for two Gaussian classes sharing covariance cov."""
    mu0, mu1, cov = (np.asarray(a, dtype=np.float64) for a in (mu0, mu1, cov))
    w = cov @ (mu1 - mu0)
    b = -0.5 * mu1 @ cov @ mu1 + 0.5 * mu0 @ cov @ mu0 + np.log(prior1 / (1 - prior1))
    return w, float(b)
''',
    ),
]

# Shortcuts: correct answers that call what the assignment forbids (PyTorch, the course library's own logistic
# regression, a reference the old test cells left in the namespace). Each must lose exactly its part's points.
WRONG_ANSWERS += [
    dict(
        cell="sigmoid_answer",
        fails=["sigmoid_tests"],
        why="shortcut: torch.sigmoid where the part asks for NumPy",
        source='''
import torch


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-z)), element-wise."""
    return torch.sigmoid(torch.as_tensor(z, dtype=torch.float64)).numpy()
''',
    ),
    dict(
        cell="sigmoid_answer",
        fails=["sigmoid_tests"],
        why="shortcut: the tensor method .sigmoid(), reached through a default argument",
        source='''
from torch import from_numpy


def sigmoid(z: np.ndarray, _to_tensor=from_numpy) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-z)), element-wise."""
    return _to_tensor(np.array(z, dtype=np.float64)).sigmoid().numpy()
''',
    ),
    dict(
        cell="bce_answer",
        fails=["bce_tests"],
        why="shortcut: F.binary_cross_entropy_with_logits, captured as a default argument",
        source='''
import torch
import torch.nn.functional as F


def bce_loss(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray,
             _bce=F.binary_cross_entropy_with_logits) -> float:
    """Mean binary cross-entropy of sigmoid(X @ w + b) against labels y in {0, 1}."""
    return _bce(torch.as_tensor(X @ w + b), torch.as_tensor(y, dtype=torch.float64)).item()
''',
    ),
    dict(
        cell="bce_answer",
        fails=["bce_tests"],
        why="shortcut: the course library's logistic_loss (course.experiments.u01)",
        source='''
from course.experiments.u01 import logistic_loss


def bce_loss(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy of sigmoid(X @ w + b) against labels y in {0, 1}."""
    import torch
    return logistic_loss(torch.as_tensor(X), torch.as_tensor(y), torch.as_tensor(w, dtype=torch.float64), b)
''',
    ),
    dict(
        cell="gradient_answer",
        fails=["gradient_tests"],
        why="shortcut: torch.autograd.grad instead of the derived formula",
        source='''
import torch
import torch.nn.functional as F


def bce_gradient(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray,
                 sigmoid_fn=sigmoid) -> tuple[np.ndarray, float]:
    """Gradient (dL/dw, dL/db) of the mean binary cross-entropy; p is computed with sigmoid_fn."""
    w_t = torch.tensor(np.asarray(w, dtype=np.float64), requires_grad=True)
    b_t = torch.tensor(float(b), dtype=torch.float64, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(torch.as_tensor(X) @ w_t + b_t, torch.as_tensor(y))
    grad_w, grad_b = torch.autograd.grad(loss, (w_t, b_t))
    return grad_w.numpy(), grad_b.item()
''',
    ),
    dict(
        cell="gradient_answer",
        fails=["gradient_tests"],
        why="shortcut: the course library's logistic_gradient (course.experiments.u01)",
        source='''
import torch
from course.experiments import u01


def bce_gradient(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray,
                 sigmoid_fn=sigmoid) -> tuple[np.ndarray, float]:
    """Gradient (dL/dw, dL/db) of the mean binary cross-entropy; p is computed with sigmoid_fn."""
    grad_w, grad_b = u01.logistic_gradient(torch.as_tensor(X), torch.as_tensor(y),
                                           torch.as_tensor(w, dtype=torch.float64), b)
    return grad_w.numpy(), grad_b.item()
''',
    ),
    dict(
        cell="gradient_answer",
        fails=["gradient_tests"],
        why="shortcut: _sigmoid_torch, the reference the old sigmoid test cell left in the namespace",
        source='''
def bce_gradient(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray,
                 sigmoid_fn=sigmoid) -> tuple[np.ndarray, float]:
    """Gradient (dL/dw, dL/db) of the mean binary cross-entropy; p is computed with sigmoid_fn."""
    error = _sigmoid_torch(X @ w + b) - y
    return X.T @ error / len(y), float(np.mean(error))
''',
    ),
    dict(
        cell="descent_answer",
        fails=["descent_tests"],
        why="shortcut: torch.optim.SGD takes the steps",
        source='''
import torch


def gradient_descent(grad_fn, w0: np.ndarray, b0: float, lr: float, steps: int) -> tuple[np.ndarray, float]:
    """Run `steps` gradient-descent updates of (w, b) from (w0, b0) with learning rate lr; return (w, b)."""
    w = torch.tensor(np.array(w0, dtype=np.float64), requires_grad=True)
    b = torch.tensor(float(b0), dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.SGD([w, b], lr=lr)
    for _ in range(steps):
        grad_w, grad_b = grad_fn(w.detach().numpy().copy(), b.item())
        w.grad = torch.tensor(np.asarray(grad_w, dtype=np.float64))
        b.grad = torch.tensor(float(grad_b), dtype=torch.float64)
        optimiser.step()
    return w.detach().numpy().copy(), b.item()
''',
    ),
    dict(
        cell="bayes_answer",
        fails=["bayes_tests"],
        why="shortcut: reads w and b from the truth that course.data.gaussian_classes returns",
        source='''
from course.data import gaussian_classes as _classes


def bayes_logistic_weights(mu0: np.ndarray, mu1: np.ndarray, cov: np.ndarray,
                           prior1: float) -> tuple[np.ndarray, float]:
    """Weights (w, b) with p(y=1|x) = sigmoid(w.x + b) for two Gaussian classes sharing covariance cov."""
    _, _, truth = _classes(n=1, mu0=mu0, mu1=mu1, cov=cov, prior1=prior1)
    return truth.w, truth.b
''',
    ),
]
