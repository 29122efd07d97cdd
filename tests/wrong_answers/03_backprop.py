"""Plausible mistakes for 03_backprop and the test cells that must catch them."""

WRONG_ANSWERS = [
    dict(
        cell="forward_answer",
        fails=["forward_tests"],
        why="sigmoid in the hidden layer instead of tanh",
        source='''
def forward(params: dict, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass of the tanh-hidden, sigmoid-output network: returns (h, p)."""
    h = 1.0 / (1.0 + np.exp(-(X @ params["W1"] + params["b1"])))
    p = 1.0 / (1.0 + np.exp(-(h @ params["W2"] + params["b2"])))
    return h, p
''',
    ),
    dict(
        cell="forward_answer",
        fails=["forward_tests"],
        why="forgets the output bias b2",
        source='''
def forward(params: dict, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass of the tanh-hidden, sigmoid-output network: returns (h, p)."""
    h = np.tanh(X @ params["W1"] + params["b1"])
    p = 1.0 / (1.0 + np.exp(-(h @ params["W2"])))
    return h, p
''',
    ),
    dict(
        cell="backward_answer",
        fails=["backward_tests"],
        why="uses the sigmoid's local derivative h(1 - h) for the tanh layer",
        source='''
def backward(params: dict, X: np.ndarray, y: np.ndarray, h: np.ndarray, p: np.ndarray) -> dict:
    """Gradients of the mean binary cross-entropy with respect to W1, b1, W2, b2."""
    delta2 = (p - y) / len(X)
    delta1 = (delta2 @ params["W2"].T) * h * (1.0 - h)
    return {"W1": X.T @ delta1, "b1": delta1.sum(axis=0), "W2": h.T @ delta2, "b2": delta2.sum(axis=0)}
''',
    ),
    dict(
        cell="backward_answer",
        fails=["backward_tests"],
        why="gradient of the summed loss: forgets the 1/N of the mean",
        source='''
def backward(params: dict, X: np.ndarray, y: np.ndarray, h: np.ndarray, p: np.ndarray) -> dict:
    """Gradients of the mean binary cross-entropy with respect to W1, b1, W2, b2."""
    delta2 = p - y
    delta1 = (delta2 @ params["W2"].T) * (1.0 - h**2)
    return {"W1": X.T @ delta1, "b1": delta1.sum(axis=0), "W2": h.T @ delta2, "b2": delta2.sum(axis=0)}
''',
    ),
    dict(
        cell="backward_answer",
        fails=["backward_tests"],
        why="averages the bias gradients over the batch although delta already carries the 1/N",
        source='''
def backward(params: dict, X: np.ndarray, y: np.ndarray, h: np.ndarray, p: np.ndarray) -> dict:
    """Gradients of the mean binary cross-entropy with respect to W1, b1, W2, b2."""
    delta2 = (p - y) / len(X)
    delta1 = (delta2 @ params["W2"].T) * (1.0 - h**2)
    return {"W1": X.T @ delta1, "b1": delta1.mean(axis=0), "W2": h.T @ delta2, "b2": delta2.mean(axis=0)}
''',
    ),
    dict(
        cell="numgrad_answer",
        fails=["numgrad_tests"],
        why="one-sided (forward) difference: error of order eps, not exact on a quadratic",
        source='''
def central_difference(f, x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Central-difference estimate of the gradient of the scalar function f at x."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    f0 = float(f(x))
    for j in np.ndindex(x.shape):
        original = x[j]
        x[j] = original + eps
        grad[j] = (float(f(x)) - f0) / eps
        x[j] = original
    return grad
''',
    ),
    dict(
        cell="numgrad_answer",
        fails=["numgrad_tests"],
        why="perturbs the caller's array and never puts the entries back",
        source='''
def central_difference(f, x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Central-difference estimate of the gradient of the scalar function f at x."""
    grad = np.zeros_like(x, dtype=np.float64)
    for j in np.ndindex(x.shape):
        x[j] += eps
        f_plus = float(f(x))
        x[j] -= 2 * eps
        f_minus = float(f(x))
        grad[j] = (f_plus - f_minus) / (2 * eps)
    return grad
''',
    ),
    dict(
        cell="xor_answer",
        fails=["xor_tests"],
        why="starts from all-zero weights: every gradient but b2's is zero, p stays 1/2",
        source='''
def train_xor(forward_fn=forward, backward_fn=backward, seed: int = 0) -> tuple[dict, list[float]]:
    """Train a 2-H-1 network on XOR by full-batch gradient descent; return (params, losses)."""
    params = {k: np.zeros_like(v) for k, v in init_params(2, 4, seed=seed).items()}
    losses = []
    for step in range(500):
        h, p = forward_fn(params, X_XOR)
        losses.append(float(-np.mean(Y_XOR * np.log(p) + (1 - Y_XOR) * np.log(1 - p))))
        grads = backward_fn(params, X_XOR, Y_XOR, h, p)
        params = {k: params[k] - 2.0 * grads[k] for k in params}
    return params, losses
''',
    ),
    dict(
        cell="xor_answer",
        fails=["xor_tests"],
        why="gradient ascent (adds the gradient): the loss grows",
        source='''
def train_xor(forward_fn=forward, backward_fn=backward, seed: int = 0) -> tuple[dict, list[float]]:
    """Train a 2-H-1 network on XOR by full-batch gradient descent; return (params, losses)."""
    params = init_params(2, 4, seed=seed)
    losses = []
    for step in range(500):
        h, p = forward_fn(params, X_XOR)
        losses.append(float(-np.mean(Y_XOR * np.log(p) + (1 - Y_XOR) * np.log(1 - p))))
        grads = backward_fn(params, X_XOR, Y_XOR, h, p)
        params = {k: params[k] + 2.0 * grads[k] for k in params}
    return params, losses
''',
    ),
]

# Shortcuts: correct answers that call what the assignment forbids (PyTorch, the course library's gradient code,
# a reference the old test cells left in the namespace). Each must lose exactly its part's points.
WRONG_ANSWERS += [
    dict(
        cell="forward_answer",
        fails=["forward_tests"],
        why="shortcut: torch.tanh and torch.sigmoid where the part asks for NumPy",
        source='''
import torch


def forward(params: dict, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass of the tanh-hidden, sigmoid-output network: returns (h, p)."""
    P = {k: torch.as_tensor(v, dtype=torch.float64) for k, v in params.items()}
    h = torch.tanh(torch.as_tensor(X, dtype=torch.float64) @ P["W1"] + P["b1"])
    return h.numpy(), torch.sigmoid(h @ P["W2"] + P["b2"]).numpy()
''',
    ),
    dict(
        cell="backward_answer",
        fails=["backward_tests"],
        why="shortcut: torch.autograd.grad instead of the back-propagation equations",
        source='''
import torch
import torch.nn.functional as F


def backward(params: dict, X: np.ndarray, y: np.ndarray, h: np.ndarray, p: np.ndarray) -> dict:
    """Gradients of the mean binary cross-entropy with respect to W1, b1, W2, b2."""
    P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    hidden = torch.tanh(torch.as_tensor(X, dtype=torch.float64) @ P["W1"] + P["b1"])
    loss = F.binary_cross_entropy_with_logits(hidden @ P["W2"] + P["b2"], torch.as_tensor(y, dtype=torch.float64))
    grads = torch.autograd.grad(loss, list(P.values()))
    return {k: g.numpy() for k, g in zip(P, grads)}
''',
    ),
    dict(
        cell="backward_answer",
        fails=["backward_tests"],
        why="shortcut: the course library's reverse-mode engine (course.experiments.u03.Value) differentiates the loss",
        source='''
from course.experiments.u03 import Value


def backward(params: dict, X: np.ndarray, y: np.ndarray, h: np.ndarray, p: np.ndarray) -> dict:
    """Gradients of the mean binary cross-entropy with respect to W1, b1, W2, b2."""
    nodes = {k: [Value(float(v)) for v in np.ravel(params[k])] for k in params}
    n_in, n_hidden = params["W1"].shape
    loss = Value(0.0)
    for x_n, y_n in zip(X, np.ravel(y)):
        a2 = nodes["b2"][0]
        for j in range(n_hidden):
            a1 = nodes["b1"][j]
            for i in range(n_in):
                a1 = a1 + float(x_n[i]) * nodes["W1"][i * n_hidden + j]
            a2 = a2 + (2.0 * (2.0 * a1).sigmoid() - 1.0) * nodes["W2"][j]  # tanh(a) = 2 sigmoid(2a) - 1
        p_n = a2.sigmoid()
        loss = loss - (float(y_n) * p_n.log() + (1.0 - float(y_n)) * (1.0 - p_n).log())
    loss = loss / len(X)
    loss.backward()
    return {k: np.array([v.grad for v in nodes[k]]).reshape(params[k].shape) for k in params}
''',
    ),
    dict(
        cell="backward_answer",
        fails=["backward_tests"],
        why="shortcut: _torch_gradients, the reference the old backward test cell left in the namespace",
        source='''
def backward(params: dict, X: np.ndarray, y: np.ndarray, h: np.ndarray, p: np.ndarray) -> dict:
    """Gradients of the mean binary cross-entropy with respect to W1, b1, W2, b2."""
    return _torch_gradients(params, X, y)[1]
''',
    ),
    dict(
        cell="numgrad_answer",
        fails=["numgrad_tests"],
        why="shortcut: the course library's course.checks.numerical_gradient",
        source='''
from course.checks import numerical_gradient


def central_difference(f, x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Central-difference estimate of the gradient of the scalar function f at x."""
    return numerical_gradient(f, x, eps=eps)
''',
    ),
    dict(
        cell="numgrad_answer",
        fails=["numgrad_tests"],
        why="shortcut: course.checks.numerical_gradient, captured as a default argument",
        source='''
import course.checks


def central_difference(f, x: np.ndarray, eps: float = 1e-5, _estimate=course.checks.numerical_gradient) -> np.ndarray:
    """Central-difference estimate of the gradient of the scalar function f at x."""
    return _estimate(f, x, eps)
''',
    ),
    dict(
        cell="xor_answer",
        fails=["xor_tests"],
        why="shortcut: trains with torch autograd and torch.optim.SGD, ignoring forward_fn and backward_fn",
        source='''
import torch
import torch.nn.functional as F


def train_xor(forward_fn=forward, backward_fn=backward, seed: int = 0) -> tuple[dict, list[float]]:
    """Train a 2-H-1 network on XOR by full-batch gradient descent; return (params, losses)."""
    P = {k: torch.tensor(v, requires_grad=True) for k, v in init_params(2, 4, seed=seed).items()}
    optimiser = torch.optim.SGD(list(P.values()), lr=2.0)
    x, t = torch.as_tensor(X_XOR), torch.as_tensor(Y_XOR)
    losses = []
    for step in range(500):
        optimiser.zero_grad()
        loss = F.binary_cross_entropy_with_logits(torch.tanh(x @ P["W1"] + P["b1"]) @ P["W2"] + P["b2"], t)
        losses.append(loss.item())
        loss.backward()
        optimiser.step()
    return {k: v.detach().numpy().copy() for k, v in P.items()}, losses
''',
    ),
]
