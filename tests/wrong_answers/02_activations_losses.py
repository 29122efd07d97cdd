"""Plausible mistakes for 02_activations_losses and the test cells that must catch them."""

_ACTIVATIONS_TAIL = '''

def relu(a: np.ndarray) -> np.ndarray:
    """Rectified linear unit max(0, a), element-wise."""
    return np.maximum(0.0, np.asarray(a, dtype=np.float64))
'''

WRONG_ANSWERS = [
    dict(
        cell="activations_answer",
        fails=["activations_tests"],
        why="tanh from its exponential definition overflows to inf / inf = nan for inputs around 1000",
        source='''
def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic sigmoid 1 / (1 + exp(-a)), element-wise."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(a, dtype=np.float64)))


def tanh(a: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, element-wise."""
    a = np.asarray(a, dtype=np.float64)
    return (np.exp(a) - np.exp(-a)) / (np.exp(a) + np.exp(-a))
''' + _ACTIVATIONS_TAIL,
    ),
    dict(
        cell="activations_answer",
        fails=["activations_tests"],
        why="sigmoid as exp(a) / (1 + exp(a)) gives inf / inf = nan for large positive inputs",
        source='''
def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic sigmoid 1 / (1 + exp(-a)), element-wise."""
    e = np.exp(np.asarray(a, dtype=np.float64))
    return e / (1.0 + e)


def tanh(a: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, element-wise."""
    return np.tanh(np.asarray(a, dtype=np.float64))
''' + _ACTIVATIONS_TAIL,
    ),
    dict(
        cell="derivatives_answer",
        fails=["derivatives_tests"],
        why="ReLU derivative 1 at a = 0 (h >= 0 instead of h > 0), unlike PyTorch",
        source='''
def sigmoid_grad(s: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid at a, given its output s = sigmoid(a)."""
    return s * (1.0 - s)


def tanh_grad(h: np.ndarray) -> np.ndarray:
    """Derivative of tanh at a, given its output h = tanh(a)."""
    return 1.0 - h**2


def relu_grad(h: np.ndarray) -> np.ndarray:
    """Derivative of ReLU at a (0 at a = 0), given its output h = relu(a)."""
    return (np.asarray(h) >= 0).astype(np.float64)
''',
    ),
    dict(
        cell="derivatives_answer",
        fails=["derivatives_tests"],
        why="treats the stored outputs as inputs: applies sigmoid / tanh again before differentiating",
        source='''
def sigmoid_grad(s: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid at a, given its output s = sigmoid(a)."""
    return sigmoid(s) * (1.0 - sigmoid(s))


def tanh_grad(h: np.ndarray) -> np.ndarray:
    """Derivative of tanh at a, given its output h = tanh(a)."""
    return 1.0 - np.tanh(h) ** 2


def relu_grad(h: np.ndarray) -> np.ndarray:
    """Derivative of ReLU at a (0 at a = 0), given its output h = relu(a)."""
    return (np.asarray(h) > 0).astype(np.float64)
''',
    ),
    dict(
        cell="softmax_answer",
        fails=["softmax_tests"],
        why="softmax without the max-shift: exp overflows (nan) for logits around 1000",
        source='''
def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, computed with the max subtracted so it never overflows."""
    e = np.exp(np.asarray(z, dtype=np.float64))
    return e / e.sum(axis=-1, keepdims=True)
''',
    ),
    dict(
        cell="softmax_answer",
        fails=["softmax_tests"],
        why="normalises over the whole array instead of the last axis",
        source='''
def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, computed with the max subtracted so it never overflows."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()
''',
    ),
    dict(
        cell="cross_entropy_answer",
        fails=["cross_entropy_tests"],
        why="log of a (stable) softmax probability: log(0) = -inf when the true class is far below the others",
        source='''
def cross_entropy(logits: np.ndarray, targets: np.ndarray) -> float:
    """Mean softmax cross-entropy of (N, K) logits against N integer class targets, via log-sum-exp."""
    z = np.asarray(logits, dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(p[np.arange(len(z)), targets])))
''',
    ),
    dict(
        cell="cross_entropy_answer",
        fails=["cross_entropy_tests"],
        why="sums the losses over the batch instead of averaging",
        source='''
def cross_entropy(logits: np.ndarray, targets: np.ndarray) -> float:
    """Mean softmax cross-entropy of (N, K) logits against N integer class targets, via log-sum-exp."""
    z = np.asarray(logits, dtype=np.float64)
    m = z.max(axis=1, keepdims=True)
    log_sum_exp = m[:, 0] + np.log(np.exp(z - m).sum(axis=1))
    return float(np.sum(log_sum_exp - z[np.arange(len(z)), targets]))
''',
    ),
    dict(
        cell="ce_grad_answer",
        fails=["ce_grad_tests"],
        why="gradient of the summed loss: forgets to divide by the batch size N",
        source='''
def cross_entropy_grad(logits: np.ndarray, targets: np.ndarray, softmax_fn=softmax) -> np.ndarray:
    """Gradient of the mean cross-entropy with respect to the (N, K) logits: (softmax - one_hot) / N."""
    p = softmax_fn(np.asarray(logits, dtype=np.float64))
    one_hot = np.zeros_like(p)
    one_hot[np.arange(len(p)), targets] = 1.0
    return p - one_hot
''',
    ),
    dict(
        cell="ce_grad_answer",
        fails=["ce_grad_tests"],
        why="subtracts 1 from every entry instead of only the target class's",
        source='''
def cross_entropy_grad(logits: np.ndarray, targets: np.ndarray, softmax_fn=softmax) -> np.ndarray:
    """Gradient of the mean cross-entropy with respect to the (N, K) logits: (softmax - one_hot) / N."""
    p = softmax_fn(np.asarray(logits, dtype=np.float64))
    return (p - 1.0) / len(p)
''',
    ),
    dict(
        cell="losses_answer",
        fails=["losses_tests"],
        why="hinge without the max(0, .): examples beyond the margin get negative loss",
        source='''
def hinge_loss(scores: np.ndarray, targets: np.ndarray) -> float:
    """Mean hinge loss max(0, 1 - t * s) for targets t in {-1, +1}."""
    return float(np.mean(1.0 - targets * scores))


def squared_loss(predictions: np.ndarray, targets: np.ndarray) -> float:
    """Squared error ||t - y||^2 summed over each example's outputs, averaged over examples."""
    diff = (np.asarray(targets, dtype=np.float64) - predictions).reshape(len(targets), -1)
    return float(np.mean(np.sum(diff**2, axis=1)))
''',
    ),
    dict(
        cell="losses_answer",
        fails=["losses_tests"],
        why="squared loss averaged over all N * K entries (like F.mse_loss) instead of summed per example",
        source='''
def hinge_loss(scores: np.ndarray, targets: np.ndarray) -> float:
    """Mean hinge loss max(0, 1 - t * s) for targets t in {-1, +1}."""
    return float(np.mean(np.maximum(0.0, 1.0 - targets * scores)))


def squared_loss(predictions: np.ndarray, targets: np.ndarray) -> float:
    """Squared error ||t - y||^2 summed over each example's outputs, averaged over examples."""
    return float(np.mean((np.asarray(targets, dtype=np.float64) - predictions) ** 2))
''',
    ),
]

# Shortcuts: correct answers that call what the assignment forbids (PyTorch, or a reference the old test cells
# left in the namespace). Each must lose exactly its part's points.
WRONG_ANSWERS += [
    dict(
        cell="activations_answer",
        fails=["activations_tests"],
        why="shortcut: torch.sigmoid, torch.tanh and torch.relu where the part asks for NumPy",
        source='''
import torch


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic sigmoid 1 / (1 + exp(-a)), element-wise."""
    return torch.sigmoid(torch.as_tensor(a, dtype=torch.float64)).numpy()


def tanh(a: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, element-wise."""
    return torch.tanh(torch.as_tensor(a, dtype=torch.float64)).numpy()


def relu(a: np.ndarray) -> np.ndarray:
    """Rectified linear unit max(0, a), element-wise."""
    return torch.relu(torch.as_tensor(a, dtype=torch.float64)).numpy()
''',
    ),
    dict(
        cell="activations_answer",
        fails=["activations_tests"],
        why="shortcut: only tanh cheats, through the tensor method .tanh() of an aliased torch.from_numpy",
        source='''
from torch import from_numpy as _tensor


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic sigmoid 1 / (1 + exp(-a)), element-wise."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(a, dtype=np.float64)))


def tanh(a: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, element-wise."""
    return _tensor(np.array(a, dtype=np.float64)).tanh().numpy()
''' + _ACTIVATIONS_TAIL,
    ),
    dict(
        cell="derivatives_answer",
        fails=["derivatives_tests"],
        why="shortcut: PyTorch's own backward kernels (torch.ops.aten.*_backward)",
        source='''
import torch


def _ones_like(x):
    return torch.ones(np.shape(x), dtype=torch.float64)


def sigmoid_grad(s: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid at a, given its output s = sigmoid(a)."""
    return torch.ops.aten.sigmoid_backward(_ones_like(s), torch.as_tensor(s, dtype=torch.float64)).numpy()


def tanh_grad(h: np.ndarray) -> np.ndarray:
    """Derivative of tanh at a, given its output h = tanh(a)."""
    return torch.ops.aten.tanh_backward(_ones_like(h), torch.as_tensor(h, dtype=torch.float64)).numpy()


def relu_grad(h: np.ndarray) -> np.ndarray:
    """Derivative of ReLU at a (0 at a = 0), given its output h = relu(a)."""
    return torch.ops.aten.threshold_backward(_ones_like(h), torch.as_tensor(h, dtype=torch.float64), 0).numpy()
''',
    ),
    dict(
        cell="softmax_answer",
        fails=["softmax_tests"],
        why="shortcut: F.softmax, captured as a default argument",
        source='''
import torch
import torch.nn.functional as F


def softmax(z: np.ndarray, _softmax=F.softmax) -> np.ndarray:
    """Softmax over the last axis, computed with the max subtracted so it never overflows."""
    return _softmax(torch.as_tensor(z, dtype=torch.float64), dim=-1).numpy()
''',
    ),
    dict(
        cell="cross_entropy_answer",
        fails=["cross_entropy_tests"],
        why="shortcut: F.cross_entropy computes the loss",
        source='''
import torch
import torch.nn.functional as F


def cross_entropy(logits: np.ndarray, targets: np.ndarray) -> float:
    """Mean softmax cross-entropy of (N, K) logits against N integer class targets, via log-sum-exp."""
    return F.cross_entropy(torch.as_tensor(logits, dtype=torch.float64), torch.as_tensor(targets)).item()
''',
    ),
    dict(
        cell="ce_grad_answer",
        fails=["ce_grad_tests"],
        why="shortcut: autograd (.backward() of F.cross_entropy) instead of softmax minus one-hot",
        source='''
import torch
import torch.nn.functional as F


def cross_entropy_grad(logits: np.ndarray, targets: np.ndarray, softmax_fn=softmax) -> np.ndarray:
    """Gradient of the mean cross-entropy with respect to the (N, K) logits: (softmax - one_hot) / N."""
    z = torch.tensor(np.asarray(logits, dtype=np.float64), requires_grad=True)
    F.cross_entropy(z, torch.as_tensor(targets)).backward()
    return z.grad.numpy()
''',
    ),
    dict(
        cell="ce_grad_answer",
        fails=["ce_grad_tests"],
        why="shortcut: _softmax_torch, the reference the old softmax test cell left in the namespace",
        source='''
def cross_entropy_grad(logits: np.ndarray, targets: np.ndarray, softmax_fn=softmax) -> np.ndarray:
    """Gradient of the mean cross-entropy with respect to the (N, K) logits: (softmax - one_hot) / N."""
    p = _softmax_torch(np.asarray(logits, dtype=np.float64))
    one_hot = np.zeros_like(p)
    one_hot[np.arange(len(p)), targets] = 1.0
    return (p - one_hot) / len(p)
''',
    ),
    dict(
        cell="losses_answer",
        fails=["losses_tests"],
        why="shortcut: torch.clamp for the hinge and F.mse_loss(reduction='sum') for the squared error",
        source='''
import torch
import torch.nn.functional as F


def hinge_loss(scores: np.ndarray, targets: np.ndarray) -> float:
    """Mean hinge loss max(0, 1 - t * s) for targets t in {-1, +1}."""
    margins = torch.as_tensor(targets, dtype=torch.float64) * torch.as_tensor(scores, dtype=torch.float64)
    return torch.clamp(1 - margins, min=0).mean().item()


def squared_loss(predictions: np.ndarray, targets: np.ndarray) -> float:
    """Squared error ||t - y||^2 summed over each example's outputs, averaged over examples."""
    total = F.mse_loss(torch.as_tensor(predictions, dtype=torch.float64),
                       torch.as_tensor(targets, dtype=torch.float64), reduction="sum")
    return total.item() / len(targets)
''',
    ),
]
