"""Plausible mistakes for 05_optimisers and the test cells that must catch them."""

_NESTEROV = '''
def nesterov_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float, momentum: float = 0.9,
                  weight_decay: float = 0.0) -> tuple[np.ndarray, dict]:
    """One step of torch.optim.SGD(lr, momentum, nesterov=True, weight_decay), dampening 0."""
'''

_ADAM_DECAY = '''
def adam_decay_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float, weight_decay: float,
                    decoupled: bool, beta1: float = 0.9, beta2: float = 0.999,
                    eps: float = 1e-8) -> tuple[np.ndarray, dict]:
    """One step of torch.optim.AdamW (decoupled=True) or of torch.optim.Adam with weight_decay (False)."""
'''

_AMSGRAD = '''
def amsgrad_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8) -> tuple[np.ndarray, dict]:
    """One step of torch.optim.Adam(amsgrad=True)."""
'''

_SCHEDULE = '''
import math


def warmup_cosine_lr(t: int, base_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0) -> float:
    """The learning rate at step t: linear warm-up over warmup_steps, cosine decay to min_lr at total_steps."""
'''

WRONG_ANSWERS = [
    # Part 1: Nesterov momentum.
    dict(
        cell="nesterov_answer",
        fails=["nesterov_tests"],
        why="no look-ahead: steps along the buffer (the heavy ball), not along g + mu * v",
        source=_NESTEROV + '''
    g = grad + weight_decay * param
    buffer = g if "buffer" not in state else momentum * state["buffer"] + g
    return param - lr * buffer, {"buffer": buffer}
''',
    ),
    dict(
        cell="nesterov_answer",
        fails=["nesterov_tests"],
        why="look-ahead with the old buffer: g + mu * v taken before v is updated",
        source=_NESTEROV + '''
    g = grad + weight_decay * param
    old = state.get("buffer", np.zeros_like(param))
    buffer = momentum * old + g
    return param - lr * (g + momentum * old), {"buffer": buffer}
''',
    ),
    dict(
        cell="nesterov_answer",
        fails=["nesterov_tests"],
        why="look-ahead weights swapped: v + mu * g instead of g + mu * v",
        source=_NESTEROV + '''
    g = grad + weight_decay * param
    buffer = g if "buffer" not in state else momentum * state["buffer"] + g
    return param - lr * (buffer + momentum * g), {"buffer": buffer}
''',
    ),
    dict(
        cell="nesterov_answer",
        fails=["nesterov_tests"],
        why="weight decay kept out of the buffer and added to the step only (hidden tests with weight_decay)",
        source=_NESTEROV + '''
    buffer = grad if "buffer" not in state else momentum * state["buffer"] + grad
    return param - lr * (grad + momentum * buffer + weight_decay * param), {"buffer": buffer}
''',
    ),
    dict(
        cell="nesterov_answer",
        fails=["nesterov_tests"],
        why="dampened buffer mu * v + (1 - mu) * g, which PyTorch's Nesterov (dampening 0) does not do",
        source=_NESTEROV + '''
    g = grad + weight_decay * param
    buffer = momentum * state.get("buffer", np.zeros_like(param)) + (1 - momentum) * g
    return param - lr * (g + momentum * buffer), {"buffer": buffer}
''',
    ),
    dict(
        cell="nesterov_answer",
        fails=["nesterov_tests"],
        why="updates the buffer of the given state in place (buffer *= mu): not a pure function",
        source=_NESTEROV + '''
    g = grad + weight_decay * param
    if "buffer" in state:
        buffer = state["buffer"]
        buffer *= momentum
        buffer += g
    else:
        buffer = g.copy()
    return param - lr * (g + momentum * buffer), {"buffer": buffer}
''',
    ),
    # Part 2: Adam with an L2 term, and AdamW.
    dict(
        cell="adam_decay_answer",
        fails=["adam_decay_tests"],
        why="AdamW with the weight decay added to the gradient: both flags give Adam with L2",
        source=_ADAM_DECAY + '''
    grad = grad + weight_decay * param
    t = state.get("step", 0) + 1
    m = beta1 * state.get("m", np.zeros_like(param)) + (1 - beta1) * grad
    v = beta2 * state.get("v", np.zeros_like(param)) + (1 - beta2) * grad**2
    step = lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return param - step, {"step": t, "m": m, "v": v}
''',
    ),
    dict(
        cell="adam_decay_answer",
        fails=["adam_decay_tests"],
        why="decoupled decay without the learning rate: param * (1 - weight_decay)",
        source=_ADAM_DECAY + '''
    if decoupled:
        param = param * (1 - weight_decay)
    else:
        grad = grad + weight_decay * param
    t = state.get("step", 0) + 1
    m = beta1 * state.get("m", np.zeros_like(param)) + (1 - beta1) * grad
    v = beta2 * state.get("v", np.zeros_like(param)) + (1 - beta2) * grad**2
    step = lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return param - step, {"step": t, "m": m, "v": v}
''',
    ),
    dict(
        cell="adam_decay_answer",
        fails=["adam_decay_tests"],
        why="decoupled decay applied after the Adam step, to the new weights instead of the old ones",
        source=_ADAM_DECAY + '''
    if not decoupled:
        grad = grad + weight_decay * param
    t = state.get("step", 0) + 1
    m = beta1 * state.get("m", np.zeros_like(param)) + (1 - beta1) * grad
    v = beta2 * state.get("v", np.zeros_like(param)) + (1 - beta2) * grad**2
    new = param - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    if decoupled:
        new = new * (1 - lr * weight_decay)
    return new, {"step": t, "m": m, "v": v}
''',
    ),
    dict(
        cell="adam_decay_answer",
        fails=["adam_decay_tests"],
        why="no bias correction: the first steps are about 3 times too large",
        source=_ADAM_DECAY + '''
    if decoupled:
        param = (1 - lr * weight_decay) * param
    else:
        grad = grad + weight_decay * param
    m = beta1 * state.get("m", np.zeros_like(param)) + (1 - beta1) * grad
    v = beta2 * state.get("v", np.zeros_like(param)) + (1 - beta2) * grad**2
    return param - lr * m / (np.sqrt(v) + eps), {"m": m, "v": v}
''',
    ),
    dict(
        cell="adam_decay_answer",
        fails=["adam_decay_tests"],
        why="L2 term in the first moment only: v is built from the raw gradient",
        source=_ADAM_DECAY + '''
    decayed = grad if decoupled else grad + weight_decay * param
    if decoupled:
        param = (1 - lr * weight_decay) * param
    t = state.get("step", 0) + 1
    m = beta1 * state.get("m", np.zeros_like(param)) + (1 - beta1) * decayed
    v = beta2 * state.get("v", np.zeros_like(param)) + (1 - beta2) * grad**2
    step = lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return param - step, {"step": t, "m": m, "v": v}
''',
    ),
    dict(
        cell="adam_decay_answer",
        fails=["adam_decay_tests"],
        why="eps inside the square root: sqrt(v_hat + eps)",
        source=_ADAM_DECAY + '''
    if decoupled:
        param = (1 - lr * weight_decay) * param
    else:
        grad = grad + weight_decay * param
    t = state.get("step", 0) + 1
    m = beta1 * state.get("m", np.zeros_like(param)) + (1 - beta1) * grad
    v = beta2 * state.get("v", np.zeros_like(param)) + (1 - beta2) * grad**2
    step = lr * (m / (1 - beta1**t)) / np.sqrt(v / (1 - beta2**t) + eps)
    return param - step, {"step": t, "m": m, "v": v}
''',
    ),
    # Part 3: AMSGrad.
    dict(
        cell="amsgrad_answer",
        fails=["amsgrad_tests"],
        why="maximum of the bias-corrected v_hat, not of the raw v as PyTorch keeps it",
        source=_AMSGRAD + '''
    t = state.get("step", 0) + 1
    m = beta1 * state.get("m", np.zeros_like(param)) + (1 - beta1) * grad
    v = beta2 * state.get("v", np.zeros_like(param)) + (1 - beta2) * grad**2
    v_hat_max = np.maximum(state.get("v_hat_max", np.zeros_like(param)), v / (1 - beta2**t))
    step = lr * (m / (1 - beta1**t)) / (np.sqrt(v_hat_max) + eps)
    return param - step, {"step": t, "m": m, "v": v, "v_hat_max": v_hat_max}
''',
    ),
    dict(
        cell="amsgrad_answer",
        fails=["amsgrad_tests"],
        why="the moving average continues from the maximum instead of from v",
        source=_AMSGRAD + '''
    t = state.get("step", 0) + 1
    m = beta1 * state.get("m", np.zeros_like(param)) + (1 - beta1) * grad
    v_max = state.get("v_max", np.zeros_like(param))
    v_max = np.maximum(v_max, beta2 * v_max + (1 - beta2) * grad**2)
    step = lr * (m / (1 - beta1**t)) / (np.sqrt(v_max / (1 - beta2**t)) + eps)
    return param - step, {"step": t, "m": m, "v_max": v_max}
''',
    ),
    dict(
        cell="amsgrad_answer",
        fails=["amsgrad_tests"],
        why="the maximum of the last two v only (the maximum is not kept in the state)",
        source=_AMSGRAD + '''
    t = state.get("step", 0) + 1
    m = beta1 * state.get("m", np.zeros_like(param)) + (1 - beta1) * grad
    v_old = state.get("v", np.zeros_like(param))
    v = beta2 * v_old + (1 - beta2) * grad**2
    step = lr * (m / (1 - beta1**t)) / (np.sqrt(np.maximum(v_old, v) / (1 - beta2**t)) + eps)
    return param - step, {"step": t, "m": m, "v": v}
''',
    ),
    dict(
        cell="amsgrad_answer",
        fails=["amsgrad_tests"],
        why="no bias correction of the maximum: divides by sqrt(v_max) + eps",
        source=_AMSGRAD + '''
    t = state.get("step", 0) + 1
    m = beta1 * state.get("m", np.zeros_like(param)) + (1 - beta1) * grad
    v = beta2 * state.get("v", np.zeros_like(param)) + (1 - beta2) * grad**2
    v_max = np.maximum(state.get("v_max", np.zeros_like(param)), v)
    step = lr * (m / (1 - beta1**t)) / (np.sqrt(v_max) + eps)
    return param - step, {"step": t, "m": m, "v": v, "v_max": v_max}
''',
    ),
    # Part 4: warm-up + cosine.
    dict(
        cell="schedule_answer",
        fails=["schedule_tests"],
        why="warm-up off by one: t / W, so the first step has rate 0",
        source=_SCHEDULE + '''
    if t < warmup_steps:
        return base_lr * t / warmup_steps
    progress = min(1.0, (t - warmup_steps) / (total_steps - warmup_steps))
    return min_lr + 0.5 * (base_lr - min_lr) * (1 + math.cos(math.pi * progress))
''',
    ),
    dict(
        cell="schedule_answer",
        fails=["schedule_tests"],
        why="cosine to the wrong floor: base_lr's cosine shifted up by min_lr (it starts above base_lr)",
        source=_SCHEDULE + '''
    if t < warmup_steps:
        return base_lr * (t + 1) / warmup_steps
    progress = min(1.0, (t - warmup_steps) / (total_steps - warmup_steps))
    return min_lr + 0.5 * base_lr * (1 + math.cos(math.pi * progress))
''',
    ),
    dict(
        cell="schedule_answer",
        fails=["schedule_tests"],
        why="cosine to 0: min_lr ignored (hidden tests with a floor)",
        source=_SCHEDULE + '''
    if t < warmup_steps:
        return base_lr * (t + 1) / warmup_steps
    progress = min(1.0, (t - warmup_steps) / (total_steps - warmup_steps))
    return 0.5 * base_lr * (1 + math.cos(math.pi * progress))
''',
    ),
    dict(
        cell="schedule_answer",
        fails=["schedule_tests"],
        why="cosine counted from step 0 over total_steps, not from the end of the warm-up",
        source=_SCHEDULE + '''
    if t < warmup_steps:
        return base_lr * (t + 1) / warmup_steps
    progress = min(1.0, t / total_steps)
    return min_lr + 0.5 * (base_lr - min_lr) * (1 + math.cos(math.pi * progress))
''',
    ),
    dict(
        cell="schedule_answer",
        fails=["schedule_tests"],
        why="no floor after total_steps: the cosine goes back up",
        source=_SCHEDULE + '''
    if t < warmup_steps:
        return base_lr * (t + 1) / warmup_steps
    progress = (t - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + 0.5 * (base_lr - min_lr) * (1 + math.cos(math.pi * progress))
''',
    ),
    dict(
        cell="schedule_answer",
        fails=["schedule_tests"],
        why="returns a one-element array, not a number",
        source=_SCHEDULE + '''
    if t < warmup_steps:
        return np.array([base_lr * (t + 1) / warmup_steps])
    progress = min(1.0, (t - warmup_steps) / (total_steps - warmup_steps))
    return np.array([min_lr + 0.5 * (base_lr - min_lr) * (1 + math.cos(math.pi * progress))])
''',
    ),
]

# Shortcuts: correct answers that call PyTorch where the assignment asks for NumPy (torch.optim itself, or the
# lecture's torch-based Optimiser classes copied over). Each must lose exactly its part's points.
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
        cell="nesterov_answer",
        fails=["nesterov_tests"],
        why="shortcut: one step of torch.optim.SGD(nesterov=True), its momentum buffer carried in the state",
        source=_TORCH_STEP + _NESTEROV + '''
    return _torch_step(torch.optim.SGD, param, grad, state, lr=lr, momentum=momentum, nesterov=True,
                       weight_decay=weight_decay)
''',
    ),
    dict(
        cell="nesterov_answer",
        fails=["nesterov_tests"],
        why="shortcut: the lecture's Momentum.change on torch tensors, with the look-ahead added",
        source='''
import torch
''' + _NESTEROV + '''
    p, g = torch.from_numpy(param), torch.from_numpy(grad) + weight_decay * torch.from_numpy(param)
    s = {k: torch.from_numpy(v) for k, v in state.items()}
    s["v"] = g.clone() if "v" not in s else momentum * s["v"] + g  # the velocity: a running sum of gradients
    return (p - lr * (g + momentum * s["v"])).numpy(), {k: v.numpy() for k, v in s.items()}
''',
    ),
    dict(
        cell="adam_decay_answer",
        fails=["adam_decay_tests"],
        why="shortcut: one step of torch.optim.AdamW or torch.optim.Adam(weight_decay=...)",
        source=_TORCH_STEP + _ADAM_DECAY + '''
    optimizer_class = torch.optim.AdamW if decoupled else torch.optim.Adam
    return _torch_step(optimizer_class, param, grad, state, lr=lr, betas=(beta1, beta2), eps=eps,
                       weight_decay=weight_decay)
''',
    ),
    dict(
        cell="adam_decay_answer",
        fails=["adam_decay_tests"],
        why="shortcut: the lecture's Adam.change, run on torch tensors (v_hat.sqrt())",
        source='''
import torch
''' + _ADAM_DECAY + '''
    if decoupled:
        param = (1 - lr * weight_decay) * param
    else:
        grad = grad + weight_decay * param
    t = state.get("t", 0) + 1
    g = torch.from_numpy(grad)
    m = beta1 * torch.from_numpy(state.get("m", np.zeros_like(param))) + (1 - beta1) * g
    v = beta2 * torch.from_numpy(state.get("v", np.zeros_like(param))) + (1 - beta2) * g**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return param - (lr * m_hat / (v_hat.sqrt() + eps)).numpy(), {"t": t, "m": m.numpy(), "v": v.numpy()}
''',
    ),
    dict(
        cell="amsgrad_answer",
        fails=["amsgrad_tests"],
        why="shortcut: one step of torch.optim.Adam(amsgrad=True), its moments and maximum carried in the state",
        source=_TORCH_STEP + _AMSGRAD + '''
    return _torch_step(torch.optim.Adam, param, grad, state, lr=lr, betas=(beta1, beta2), eps=eps, amsgrad=True)
''',
    ),
    dict(
        cell="amsgrad_answer",
        fails=["amsgrad_tests"],
        why="shortcut: the running maximum taken by torch.maximum, captured as a default argument",
        source='''
import torch


def amsgrad_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8, maximum=torch.maximum) -> tuple[np.ndarray, dict]:
    """One step of torch.optim.Adam(amsgrad=True)."""
    zeros = np.zeros_like(param)
    t = state.get("step", 0) + 1
    m = beta1 * state.get("m", zeros) + (1 - beta1) * grad
    v = beta2 * state.get("v", zeros) + (1 - beta2) * grad**2
    v_max = maximum(torch.from_numpy(state.get("v_max", zeros)), torch.from_numpy(v)).numpy()
    step = lr * (m / (1 - beta1**t)) / (np.sqrt(v_max / (1 - beta2**t)) + eps)
    return param - step, {"step": t, "m": m, "v": v, "v_max": v_max}
''',
    ),
    dict(
        cell="schedule_answer",
        fails=["schedule_tests"],
        why="shortcut: replays torch's LinearLR + CosineAnnealingLR through SequentialLR for t steps",
        source='''
import warnings

import torch
''' + _SCHEDULE + '''
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps,
                                                            eta_min=min_lr)
        if warmup_steps:
            warm = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1 / warmup_steps,
                                                     total_iters=max(warmup_steps - 1, 1))
            cosine = torch.optim.lr_scheduler.SequentialLR(optimizer, [warm, cosine], milestones=[warmup_steps])
        for _ in range(min(t, total_steps)):
            optimizer.step()
            cosine.step()
    return optimizer.param_groups[0]["lr"]
''',
    ),
    dict(
        cell="schedule_answer",
        fails=["schedule_tests"],
        why="shortcut: the cosine computed with torch.cos on a tensor",
        source='''
import torch
''' + _SCHEDULE + '''
    if t < warmup_steps:
        return base_lr * (t + 1) / warmup_steps
    progress = min(1.0, (t - warmup_steps) / (total_steps - warmup_steps))
    cosine = torch.cos(torch.tensor(math.pi * progress, dtype=torch.float64)).item()
    return min_lr + 0.5 * (base_lr - min_lr) * (1 + cosine)
''',
    ),
]
