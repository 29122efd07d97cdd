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

# Shortcuts: correct answers that call what the assignment forbids (PyTorch's dropout, a loss function, autograd,
# an optimiser, the course library's own code, an expected value the old test cells left in the namespace).
# Each must lose exactly its part's points.
WRONG_ANSWERS += [
    dict(
        cell="dropout_answer",
        fails=["dropout_tests"],
        why="shortcut: F.dropout handles evaluation mode and the edge cases p = 0 and p = 1",
        source='''
def dropout(x: torch.Tensor, p: float, training: bool, generator: torch.Generator | None = None) -> torch.Tensor:
    """Inverted dropout: in training zero each entry with probability p and divide the rest by 1 - p."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}.")
    if not training or p in (0.0, 1.0):
        return F.dropout(x, p, training)
    mask = (torch.rand(x.shape, generator=generator) >= p).to(x.dtype)
    return mask * x / (1.0 - p)
''',
    ),
    dict(
        cell="penalties_answer",
        fails=["penalties_tests"],
        why="shortcut: the sums come from F.mse_loss and F.l1_loss against zeros",
        source='''
def l2_penalty(params, lam: float) -> torch.Tensor:
    """lam times the sum of the squares of all entries of the tensors in params."""
    return lam * sum(F.mse_loss(w, torch.zeros_like(w), reduction="sum") for w in params)


def l1_penalty(params, lam: float) -> torch.Tensor:
    """lam times the sum of the absolute values of all entries of the tensors in params."""
    return lam * sum(F.l1_loss(w, torch.zeros_like(w), reduction="sum") for w in params)
''',
    ),
    dict(
        cell="penalty_grads_answer",
        fails=["penalty_grads_tests"],
        why="shortcut: torch.autograd.grad differentiates the penalties instead of the formulas",
        source='''
def l2_penalty_grad(params, lam: float) -> list[torch.Tensor]:
    """Gradient of lam * sum(w**2) with respect to each tensor in params."""
    leaves = [w.detach().clone().requires_grad_(True) for w in params]
    return list(torch.autograd.grad(lam * sum((w ** 2).sum() for w in leaves), leaves))


def l1_penalty_grad(params, lam: float) -> list[torch.Tensor]:
    """Sub-gradient lam * sign(w) of lam * sum(|w|) for each tensor in params (0 where w == 0)."""
    leaves = [w.detach().clone().requires_grad_(True) for w in params]
    return list(torch.autograd.grad(lam * sum(w.abs().sum() for w in leaves), leaves))
''',
    ),
    dict(
        cell="penalty_grads_answer",
        fails=["penalty_grads_tests"],
        why="shortcut: the course library's numerical_gradient (central differences), captured as a default argument",
        source='''
from course.checks import numerical_gradient


def l2_penalty_grad(params, lam: float, _fd=numerical_gradient) -> list[torch.Tensor]:
    """Gradient of lam * sum(w**2) with respect to each tensor in params."""
    return [torch.from_numpy(_fd(lambda v: lam * np.sum(v ** 2), w.detach().double().numpy())) for w in params]


def l1_penalty_grad(params, lam: float, _fd=numerical_gradient) -> list[torch.Tensor]:
    """Sub-gradient lam * sign(w) of lam * sum(|w|) for each tensor in params (0 where w == 0)."""
    return [torch.from_numpy(_fd(lambda v: lam * np.sum(np.abs(v)), w.detach().double().numpy())) for w in params]
''',
    ),
    dict(
        cell="penalty_grads_answer",
        fails=["penalty_grads_tests"],
        why="shortcut: torch.optim.SGD's weight decay takes one step and the gradient is read off the change",
        source='''
def l2_penalty_grad(params, lam: float) -> list[torch.Tensor]:
    """Gradient of lam * sum(w**2) with respect to each tensor in params."""
    grads = []
    for w in params:
        v = w.detach().double().clone().requires_grad_(True)
        v.grad = torch.zeros_like(v)
        torch.optim.SGD([v], lr=1.0, weight_decay=2 * lam).step()  # v <- v - 2 lam v
        grads.append((w.detach().double() - v.detach()).to(w.dtype))
    return grads


def l1_penalty_grad(params, lam: float) -> list[torch.Tensor]:
    """Sub-gradient lam * sign(w) of lam * sum(|w|) for each tensor in params (0 where w == 0)."""
    return [lam * torch.sign(w.detach()) for w in params]
''',
    ),
    dict(
        cell="penalty_grads_answer",
        fails=["penalty_grads_tests"],
        why="shortcut: returns auto2/auto1, the expected gradients the old visible test cell left in the namespace",
        source='''
def l2_penalty_grad(params, lam: float) -> list[torch.Tensor]:
    """Gradient of lam * sum(w**2) with respect to each tensor in params."""
    params = list(params)
    if [g.shape for g in auto2] == [w.shape for w in params]:
        return [g.clone() for g in auto2]
    return [2.0 * lam * w.detach() for w in params]


def l1_penalty_grad(params, lam: float) -> list[torch.Tensor]:
    """Sub-gradient lam * sign(w) of lam * sum(|w|) for each tensor in params (0 where w == 0)."""
    params = list(params)
    if [g.shape for g in auto1] == [w.shape for w in params]:
        return [g.clone() for g in auto1]
    return [lam * torch.sign(w.detach()) for w in params]
''',
    ),
    dict(
        cell="early_stopping_answer",
        fails=["early_stopping_tests"],
        why="shortcut: course.fit's early_stopping option replays the curve as the validation loss of a dummy model",
        source='''
class _Replay(nn.Module):
    """A model whose validation loss after epoch t is curve[t] (one training batch per epoch)."""

    def __init__(self, curve):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))
        self.curve, self.epoch = curve, -1

    def forward(self, x):
        if self.training:
            self.epoch += 1
            return self.w * x
        return self.w * x + self.curve[self.epoch]


def early_stopping(val_losses, patience: int) -> tuple[int, int]:
    """Return (best_epoch, stop_epoch) of patience-based early stopping on a validation-loss curve."""
    losses = [float(v) for v in val_losses]
    if len(losses) == 0 or patience < 1:
        raise ValueError("need at least one loss and patience >= 1")
    data = (torch.zeros(1, 1), torch.zeros(1, 1))
    history = course.fit(_Replay(losses), data, data, epochs=len(losses), early_stopping=patience, metrics=(),
                         loss_fn=lambda out, target: out.mean(), progress=False)
    return history.best_epoch, history.epochs - 1
''',
    ),
]
