"""Plausible wrong answers for 07_regularisation: each must lose exactly the points of the cells in `fails`."""

WRONG_ANSWERS = [
    dict(
        cell="dropout_answer",
        fails=["dropout_tests"],
        why="forgets the 1/(1-p) scaling, so the expected output shrinks to (1-p) x",
        source='''
def dropout(x: torch.Tensor, p: float, training: bool, generator: torch.Generator | None = None) -> torch.Tensor:
    """Inverted dropout: in training zero each entry with probability p and divide the rest by 1 - p."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}.")
    if not training:
        return x
    mask = (torch.rand(x.shape, generator=generator) >= p).to(x.dtype)
    return mask * x
''',
    ),
    dict(
        cell="dropout_answer",
        fails=["dropout_tests"],
        why="the original (non-inverted) dropout: no scaling in training, multiplies by 1-p in evaluation",
        source='''
def dropout(x: torch.Tensor, p: float, training: bool, generator: torch.Generator | None = None) -> torch.Tensor:
    """Inverted dropout: in training zero each entry with probability p and divide the rest by 1 - p."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}.")
    if not training:
        return x * (1 - p)
    mask = (torch.rand(x.shape, generator=generator) >= p).to(x.dtype)
    return mask * x
''',
    ),
    dict(
        cell="dropout_answer",
        fails=["dropout_tests"],
        why="divides by 1-p without handling p = 1, which gives 0/0 = NaN",
        source='''
def dropout(x: torch.Tensor, p: float, training: bool, generator: torch.Generator | None = None) -> torch.Tensor:
    """Inverted dropout: in training zero each entry with probability p and divide the rest by 1 - p."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}.")
    if not training:
        return x
    mask = (torch.rand(x.shape, generator=generator) >= p).to(x.dtype)
    return mask * x / (1 - p)
''',
    ),
    dict(
        cell="penalties_answer",
        fails=["penalties_tests"],
        why="uses the Frobenius norm instead of its square for L2",
        source='''
def l2_penalty(params, lam: float) -> torch.Tensor:
    """lam times the sum of the squares of all entries of the tensors in params."""
    return lam * sum(torch.linalg.norm(w) for w in params)


def l1_penalty(params, lam: float) -> torch.Tensor:
    """lam times the sum of the absolute values of all entries of the tensors in params."""
    return lam * sum(w.abs().sum() for w in params)
''',
    ),
    dict(
        cell="penalties_answer",
        fails=["penalties_tests"],
        why="returns Python floats via .item(), so the penalty is cut off from the graph and cannot be trained",
        source='''
def l2_penalty(params, lam: float) -> torch.Tensor:
    """lam times the sum of the squares of all entries of the tensors in params."""
    return torch.tensor(lam * sum((w ** 2).sum().item() for w in params))


def l1_penalty(params, lam: float) -> torch.Tensor:
    """lam times the sum of the absolute values of all entries of the tensors in params."""
    return torch.tensor(lam * sum(w.abs().sum().item() for w in params))
''',
    ),
    dict(
        cell="penalty_grads_answer",
        fails=["penalty_grads_tests"],
        why="drops the factor 2 of d/dw w^2 (the gradient of lam/2 * sum w^2 instead)",
        source='''
def l2_penalty_grad(params, lam: float) -> list[torch.Tensor]:
    """Gradient of lam * sum(w**2) with respect to each tensor in params."""
    return [lam * w.detach() for w in params]


def l1_penalty_grad(params, lam: float) -> list[torch.Tensor]:
    """Sub-gradient lam * sign(w) of lam * sum(|w|) for each tensor in params (0 where w == 0)."""
    return [lam * torch.sign(w.detach()) for w in params]
''',
    ),
    dict(
        cell="penalty_grads_answer",
        fails=["penalty_grads_tests"],
        why="L1 gradient lam * w / |w| is NaN at w = 0 instead of the sub-gradient 0",
        source='''
def l2_penalty_grad(params, lam: float) -> list[torch.Tensor]:
    """Gradient of lam * sum(w**2) with respect to each tensor in params."""
    return [2 * lam * w.detach() for w in params]


def l1_penalty_grad(params, lam: float) -> list[torch.Tensor]:
    """Sub-gradient lam * sign(w) of lam * sum(|w|) for each tensor in params (0 where w == 0)."""
    return [lam * w.detach() / w.detach().abs() for w in params]
''',
    ),
    dict(
        cell="early_stopping_answer",
        fails=["early_stopping_tests"],
        why="counts a tie as an improvement (<= instead of <); the visible tests have no ties, hidden ones do",
        source='''
def early_stopping(val_losses, patience: int) -> tuple[int, int]:
    """Return (best_epoch, stop_epoch) of patience-based early stopping on a validation-loss curve."""
    losses = [float(v) for v in val_losses]
    if len(losses) == 0 or patience < 1:
        raise ValueError("need at least one loss and patience >= 1")
    best_epoch = 0
    for t in range(1, len(losses)):
        if losses[t] <= losses[best_epoch]:
            best_epoch = t
        elif t - best_epoch >= patience:
            return best_epoch, t
    return best_epoch, len(losses) - 1
''',
    ),
    dict(
        cell="early_stopping_answer",
        fails=["early_stopping_tests"],
        why="returns the global minimum of the whole curve as the best epoch, including epochs after the stop",
        source='''
def early_stopping(val_losses, patience: int) -> tuple[int, int]:
    """Return (best_epoch, stop_epoch) of patience-based early stopping on a validation-loss curve."""
    losses = [float(v) for v in val_losses]
    if len(losses) == 0 or patience < 1:
        raise ValueError("need at least one loss and patience >= 1")
    best_epoch, stop = 0, len(losses) - 1
    for t in range(1, len(losses)):
        if losses[t] < losses[best_epoch]:
            best_epoch = t
        elif t - best_epoch >= patience:
            stop = t
            break
    return losses.index(min(losses)), stop
''',
    ),
    dict(
        cell="early_stopping_answer",
        fails=["early_stopping_tests"],
        why="off by one: waits for patience + 1 epochs without improvement before stopping",
        source='''
def early_stopping(val_losses, patience: int) -> tuple[int, int]:
    """Return (best_epoch, stop_epoch) of patience-based early stopping on a validation-loss curve."""
    losses = [float(v) for v in val_losses]
    if len(losses) == 0 or patience < 1:
        raise ValueError("need at least one loss and patience >= 1")
    best_epoch = 0
    for t in range(1, len(losses)):
        if losses[t] < losses[best_epoch]:
            best_epoch = t
        elif t - best_epoch > patience:
            return best_epoch, t
    return best_epoch, len(losses) - 1
''',
    ),
]
