"""Plausible mistakes for 05_optimisers and the test cells that must catch them."""

WRONG_ANSWERS = [
    dict(
        cell="sgd_answer",
        fails=["sgd_tests"],
        why="updates the caller's array in place (param -= lr * grad): not a pure function",
        source='''
def sgd_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float) -> tuple[np.ndarray, dict]:
    """One plain gradient-descent step."""
    param -= lr * grad
    return param, state
''',
    ),
    dict(
        cell="sgd_answer",
        fails=["sgd_tests"],
        why="gradient ascent: adds the gradient",
        source='''
def sgd_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float) -> tuple[np.ndarray, dict]:
    """One plain gradient-descent step."""
    return param + lr * grad, dict(state)
''',
    ),
    dict(
        cell="momentum_answer",
        fails=["momentum_tests"],
        why="applies the gradient twice: steps along velocity + grad after already adding grad to the velocity",
        source='''
def momentum_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float,
                  momentum: float = 0.9) -> tuple[np.ndarray, dict]:
    """One step of SGD with (heavy-ball) momentum, as torch.optim.SGD(momentum=...)."""
    velocity = momentum * state.get("velocity", np.zeros_like(param)) + grad
    return param - lr * (velocity + grad), {"velocity": velocity}
''',
    ),
    dict(
        cell="momentum_answer",
        fails=["momentum_tests"],
        why="exponential-average velocity (1 - mu) * grad, which is not what torch.optim.SGD does",
        source='''
def momentum_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float,
                  momentum: float = 0.9) -> tuple[np.ndarray, dict]:
    """One step of SGD with (heavy-ball) momentum, as torch.optim.SGD(momentum=...)."""
    velocity = momentum * state.get("velocity", np.zeros_like(param)) + (1 - momentum) * grad
    return param - lr * velocity, {"velocity": velocity}
''',
    ),
    dict(
        cell="adagrad_answer",
        fails=["adagrad_tests"],
        why="divides by the sum of squared gradients itself, without the square root",
        source='''
def adagrad_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float,
                 eps: float = 1e-10) -> tuple[np.ndarray, dict]:
    """One Adagrad step, as torch.optim.Adagrad."""
    sum_sq = state.get("sum_sq", np.zeros_like(param)) + grad**2
    return param - lr * grad / (sum_sq + eps), {"sum_sq": sum_sq}
''',
    ),
    dict(
        cell="adagrad_answer",
        fails=["adagrad_tests"],
        why="accumulates into the given state dict in place (not pure)",
        source='''
def adagrad_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float,
                 eps: float = 1e-10) -> tuple[np.ndarray, dict]:
    """One Adagrad step, as torch.optim.Adagrad."""
    state.setdefault("sum_sq", np.zeros_like(param))
    state["sum_sq"] = state["sum_sq"] + grad**2
    return param - lr * grad / (np.sqrt(state["sum_sq"]) + eps), state
''',
    ),
    dict(
        cell="rmsprop_answer",
        fails=["rmsprop_tests"],
        why="eps inside the square root, sqrt(s + eps), instead of sqrt(s) + eps",
        source='''
def rmsprop_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float, alpha: float = 0.99,
                 eps: float = 1e-8) -> tuple[np.ndarray, dict]:
    """One RMSProp step, as torch.optim.RMSprop (no momentum, not centred)."""
    square_avg = alpha * state.get("square_avg", np.zeros_like(param)) + (1 - alpha) * grad**2
    return param - lr * grad / np.sqrt(square_avg + eps), {"square_avg": square_avg}
''',
    ),
    dict(
        cell="rmsprop_answer",
        fails=["rmsprop_tests"],
        why="no eps: 0 / 0 = nan for a coordinate whose gradients have all been zero",
        source='''
def rmsprop_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float, alpha: float = 0.99,
                 eps: float = 1e-8) -> tuple[np.ndarray, dict]:
    """One RMSProp step, as torch.optim.RMSprop (no momentum, not centred)."""
    square_avg = alpha * state.get("square_avg", np.zeros_like(param)) + (1 - alpha) * grad**2
    return param - lr * grad / np.sqrt(square_avg), {"square_avg": square_avg}
''',
    ),
    dict(
        cell="rmsprop_answer",
        fails=["rmsprop_tests"],
        why="the moving-average weights swapped: (1 - alpha) s + alpha g^2",
        source='''
def rmsprop_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float, alpha: float = 0.99,
                 eps: float = 1e-8) -> tuple[np.ndarray, dict]:
    """One RMSProp step, as torch.optim.RMSprop (no momentum, not centred)."""
    square_avg = (1 - alpha) * state.get("square_avg", np.zeros_like(param)) + alpha * grad**2
    return param - lr * grad / (np.sqrt(square_avg) + eps), {"square_avg": square_avg}
''',
    ),
    dict(
        cell="adam_answer",
        fails=["adam_tests"],
        why="Adam without bias correction: the first steps are about 3 times too large",
        source='''
def adam_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float, beta1: float = 0.9,
              beta2: float = 0.999, eps: float = 1e-8) -> tuple[np.ndarray, dict]:
    """One Adam step with bias correction, as torch.optim.Adam."""
    m = beta1 * state.get("m", np.zeros_like(param)) + (1 - beta1) * grad
    v = beta2 * state.get("v", np.zeros_like(param)) + (1 - beta2) * grad**2
    return param - lr * m / (np.sqrt(v) + eps), {"m": m, "v": v}
''',
    ),
    dict(
        cell="adam_answer",
        fails=["adam_tests"],
        why="step counter off by one: bias correction with t - 1 (1 - beta^0 = 0 on the first step)",
        source='''
def adam_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float, beta1: float = 0.9,
              beta2: float = 0.999, eps: float = 1e-8) -> tuple[np.ndarray, dict]:
    """One Adam step with bias correction, as torch.optim.Adam."""
    t = state.get("t", 0)
    m = beta1 * state.get("m", np.zeros_like(param)) + (1 - beta1) * grad
    v = beta2 * state.get("v", np.zeros_like(param)) + (1 - beta2) * grad**2
    with np.errstate(divide="ignore", invalid="ignore"):
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), {"t": t + 1, "m": m, "v": v}
''',
    ),
    dict(
        cell="adam_answer",
        fails=["adam_tests"],
        why="bias-corrects v with beta1 instead of beta2",
        source='''
def adam_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float, beta1: float = 0.9,
              beta2: float = 0.999, eps: float = 1e-8) -> tuple[np.ndarray, dict]:
    """One Adam step with bias correction, as torch.optim.Adam."""
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", np.zeros_like(param)) + (1 - beta1) * grad
    v = beta2 * state.get("v", np.zeros_like(param)) + (1 - beta2) * grad**2
    return param - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta1**t)) + eps), {"t": t, "m": m, "v": v}
''',
    ),
]

# Shortcuts: correct update rules that call PyTorch where the assignment asks for NumPy, or a helper the old
# visible harness left in the namespace. Each must lose exactly its part's points.
_TORCH_STEP = '''
import torch


def _torch_step(optimizer_class, param, grad, state, **hyper):
    """One step of a torch.optim optimiser whose state travels in the returned dict, as NumPy arrays."""
    p = torch.tensor(param, dtype=torch.float64, requires_grad=True)
    p.grad = torch.tensor(grad, dtype=torch.float64)
    optimizer = optimizer_class([p], **hyper)
    optimizer.state[p].update({k: torch.tensor(v) for k, v in state.items()})
    optimizer.step()
    return p.detach().numpy().copy(), {k: v.detach().numpy().copy() for k, v in optimizer.state[p].items()}

'''

WRONG_ANSWERS += [
    dict(
        cell="sgd_answer",
        fails=["sgd_tests"],
        why="shortcut: one step of torch.optim.SGD",
        source=_TORCH_STEP + '''
def sgd_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float) -> tuple[np.ndarray, dict]:
    """One plain gradient-descent step."""
    return _torch_step(torch.optim.SGD, param, grad, state, lr=lr)
''',
    ),
    dict(
        cell="momentum_answer",
        fails=["momentum_tests"],
        why="shortcut: one step of torch.optim.SGD(momentum=...), its momentum buffer carried in the state",
        source=_TORCH_STEP + '''
def momentum_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float,
                  momentum: float = 0.9) -> tuple[np.ndarray, dict]:
    """One step of SGD with (heavy-ball) momentum, as torch.optim.SGD(momentum=...)."""
    return _torch_step(torch.optim.SGD, param, grad, state, lr=lr, momentum=momentum)
''',
    ),
    dict(
        cell="adagrad_answer",
        fails=["adagrad_tests"],
        why="shortcut: one step of torch.optim.Adagrad, its sum of squares carried in the state",
        source=_TORCH_STEP + '''
def adagrad_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float,
                 eps: float = 1e-10) -> tuple[np.ndarray, dict]:
    """One Adagrad step, as torch.optim.Adagrad."""
    return _torch_step(torch.optim.Adagrad, param, grad, state, lr=lr, eps=eps)
''',
    ),
    dict(
        cell="rmsprop_answer",
        fails=["rmsprop_tests"],
        why="shortcut: the square root taken by torch.sqrt, captured as a default argument",
        source='''
import torch


def rmsprop_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float, alpha: float = 0.99,
                 eps: float = 1e-8, sqrt=torch.sqrt) -> tuple[np.ndarray, dict]:
    """One RMSProp step, as torch.optim.RMSprop (no momentum, not centred)."""
    square_avg = alpha * state.get("square_avg", np.zeros_like(param)) + (1 - alpha) * grad**2
    root = sqrt(torch.from_numpy(square_avg)).numpy()
    return param - lr * grad / (root + eps), {"square_avg": square_avg}
''',
    ),
    dict(
        cell="adam_answer",
        fails=["adam_tests"],
        why="shortcut: one step of torch.optim.Adam, its moments and step counter carried in the state",
        source=_TORCH_STEP + '''
def adam_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float, beta1: float = 0.9,
              beta2: float = 0.999, eps: float = 1e-8) -> tuple[np.ndarray, dict]:
    """One Adam step with bias correction, as torch.optim.Adam."""
    return _torch_step(torch.optim.Adam, param, grad, state, lr=lr, betas=(beta1, beta2), eps=eps)
''',
    ),
    dict(
        cell="adam_answer",
        fails=["adam_tests"],
        why="shortcut: replays every gradient so far through torch_trajectory, the old visible harness's helper",
        source='''
def adam_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float, beta1: float = 0.9,
              beta2: float = 0.999, eps: float = 1e-8) -> tuple[np.ndarray, dict]:
    """One Adam step with bias correction, as torch.optim.Adam."""
    start = state.get("start", param)
    grads = state.get("grads", []) + [grad]
    hyper = {"lr": lr, "betas": (beta1, beta2), "eps": eps}
    return torch_trajectory(torch.optim.Adam, hyper, start, grads)[-1], {"start": start, "grads": grads}
''',
    ),
]
