"""Plausible wrong answers for 06_deep_nets: each must lose exactly the points of the cells in `fails`."""

_INIT_OK = '''
def fans(weight: torch.Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a Linear (out, in) or convolution (out, in, *kernel) weight."""
    receptive = 1
    for k in weight.shape[2:]:
        receptive *= k
    return weight.shape[1] * receptive, weight.shape[0] * receptive


def xavier_std(fan_in: int, fan_out: int) -> float:
    """Standard deviation of Xavier/Glorot normal initialisation."""
    return math.sqrt(2.0 / (fan_in + fan_out))


def he_std(fan_in: int) -> float:
    """Standard deviation of He (Kaiming) normal initialisation for ReLU layers."""
    return math.sqrt(2.0 / fan_in)
'''

_FILL_OK = '''

def xavier_normal_(weight: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill weight in place with N(0, xavier_std**2) samples and return it."""
    fan_in, fan_out = fans(weight)
    with torch.no_grad():
        return weight.normal_(0.0, xavier_std(fan_in, fan_out), generator=generator)


def he_normal_(weight: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill weight in place with N(0, he_std**2) samples and return it."""
    fan_in, _ = fans(weight)
    with torch.no_grad():
        return weight.normal_(0.0, he_std(fan_in), generator=generator)
'''

_BN_HEAD = '''
def batch_norm(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, running_mean: torch.Tensor,
               running_var: torch.Tensor, training: bool, momentum: float = 0.1, eps: float = 1e-5) -> torch.Tensor:
    """Batch normalisation of x (N, D); in training mode also updates the running statistics in place."""
'''

WRONG_ANSWERS = [
    dict(
        cell="grad_norms_answer",
        fails=["grad_norms_tests"],
        why="does not zero the stored gradients first, so gradients from earlier passes are added in (hidden test)",
        source='''
def layer_grad_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn=F.cross_entropy) -> list[float]:
    """Norm of the loss gradient w.r.t. the weight of each nn.Linear layer, after one backward pass."""
    loss_fn(model(x), y).backward()
    return [float(m.weight.grad.norm()) for m in model.modules() if isinstance(m, nn.Linear)]
''',
    ),
    dict(
        cell="grad_norms_answer",
        fails=["grad_norms_tests"],
        why="returns the norms of the weights themselves instead of their gradients",
        source='''
def layer_grad_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn=F.cross_entropy) -> list[float]:
    """Norm of the loss gradient w.r.t. the weight of each nn.Linear layer, after one backward pass."""
    model.zero_grad()
    loss_fn(model(x), y).backward()
    return [float(m.weight.norm()) for m in model.modules() if isinstance(m, nn.Linear)]
''',
    ),
    dict(
        cell="grad_norms_answer",
        fails=["grad_norms_tests"],
        why="lists the layers from the output back to the input (the order back-propagation visits them)",
        source='''
def layer_grad_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn=F.cross_entropy) -> list[float]:
    """Norm of the loss gradient w.r.t. the weight of each nn.Linear layer, after one backward pass."""
    model.zero_grad()
    loss_fn(model(x), y).backward()
    return [float(m.weight.grad.norm()) for m in model.modules() if isinstance(m, nn.Linear)][::-1]
''',
    ),
    dict(
        cell="init_answer",
        fails=["init_tests"],
        why="Xavier with the fan-in only, sqrt(1/fan_in) (LeCun's scale): right only when fan_in == fan_out",
        source=_INIT_OK.replace("math.sqrt(2.0 / (fan_in + fan_out))", "math.sqrt(1.0 / fan_in)") + _FILL_OK,
    ),
    dict(
        cell="init_answer",
        fails=["init_tests"],
        why="He without the factor 2 that compensates for ReLU zeroing half of its inputs",
        source=_INIT_OK.replace("return math.sqrt(2.0 / fan_in)", "return math.sqrt(1.0 / fan_in)") + _FILL_OK,
    ),
    dict(
        cell="init_answer",
        fails=["init_tests"],
        why="fans ignore the kernel size of a convolution weight",
        source=_INIT_OK.replace("weight.shape[1] * receptive, weight.shape[0] * receptive",
                                "weight.shape[1], weight.shape[0]") + _FILL_OK,
    ),
    dict(
        cell="init_answer",
        fails=["init_tests"],
        why="returns a new random tensor instead of filling the weight in place (hidden test)",
        source=_INIT_OK + _FILL_OK.replace(
            "with torch.no_grad():\n        return weight.normal_(0.0, xavier_std(fan_in, fan_out), generator=generator)",
            "return torch.randn(weight.shape, generator=generator) * xavier_std(fan_in, fan_out)").replace(
            "with torch.no_grad():\n        return weight.normal_(0.0, he_std(fan_in), generator=generator)",
            "return torch.randn(weight.shape, generator=generator) * he_std(fan_in)"),
    ),
    dict(
        cell="init_answer",
        fails=["init_tests"],
        why="draws uniformly from [-std, std], whose standard deviation is std / sqrt(3)",
        source=_INIT_OK + _FILL_OK.replace(
            "weight.normal_(0.0, xavier_std(fan_in, fan_out), generator=generator)",
            "weight.uniform_(-xavier_std(fan_in, fan_out), xavier_std(fan_in, fan_out), generator=generator)").replace(
            "weight.normal_(0.0, he_std(fan_in), generator=generator)",
            "weight.uniform_(-he_std(fan_in), he_std(fan_in), generator=generator)"),
    ),
    dict(
        cell="batch_norm_answer",
        fails=["batch_norm_train_tests"],
        why="normalises with the unbiased variance (x.var divides by N - 1), unlike nn.BatchNorm1d",
        source=_BN_HEAD + '''    if training:
        n = x.shape[0]
        mean, var = x.mean(dim=0), x.var(dim=0)
        with torch.no_grad():
            running_mean.mul_(1 - momentum).add_(momentum * mean)
            running_var.mul_(1 - momentum).add_(momentum * var)
    else:
        mean, var = running_mean, running_var
    return gamma * (x - mean) / torch.sqrt(var + eps) + beta
''',
    ),
    dict(
        cell="batch_norm_answer",
        fails=["batch_norm_running_tests"],
        why="updates the running variance with the biased batch variance (no N / (N - 1) correction)",
        source=_BN_HEAD + '''    if training:
        mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
        with torch.no_grad():
            running_mean.mul_(1 - momentum).add_(momentum * mean)
            running_var.mul_(1 - momentum).add_(momentum * var)
    else:
        mean, var = running_mean, running_var
    return gamma * (x - mean) / torch.sqrt(var + eps) + beta
''',
    ),
    dict(
        cell="batch_norm_answer",
        fails=["batch_norm_running_tests"],
        why="uses the batch statistics in evaluation mode too",
        source=_BN_HEAD + '''    n = x.shape[0]
    mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
    if training:
        with torch.no_grad():
            running_mean.mul_(1 - momentum).add_(momentum * mean)
            running_var.mul_(1 - momentum).add_(momentum * var * n / (n - 1))
    return gamma * (x - mean) / torch.sqrt(var + eps) + beta
''',
    ),
    dict(
        cell="batch_norm_answer",
        fails=["batch_norm_running_tests"],
        why="rebinds the local names running_mean/running_var instead of updating the caller's tensors in place",
        source=_BN_HEAD + '''    if training:
        n = x.shape[0]
        mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
        running_mean = (1 - momentum) * running_mean + momentum * mean.detach()
        running_var = (1 - momentum) * running_var + momentum * var.detach() * n / (n - 1)
    else:
        mean, var = running_mean, running_var
    return gamma * (x - mean) / torch.sqrt(var + eps) + beta
''',
    ),
    dict(
        cell="batch_norm_answer",
        fails=["batch_norm_running_tests"],
        why="mixes up the momentum: keeps m of the old running value and takes 1 - m of the batch",
        source=_BN_HEAD + '''    if training:
        n = x.shape[0]
        mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
        with torch.no_grad():
            running_mean.mul_(momentum).add_((1 - momentum) * mean)
            running_var.mul_(momentum).add_((1 - momentum) * var * n / (n - 1))
    else:
        mean, var = running_mean, running_var
    return gamma * (x - mean) / torch.sqrt(var + eps) + beta
''',
    ),
    dict(
        cell="batch_norm_answer",
        fails=["batch_norm_train_tests", "batch_norm_running_tests"],
        why="adds eps to the standard deviation instead of the variance (visible with a large eps, hidden tests)",
        source=_BN_HEAD + '''    if training:
        n = x.shape[0]
        mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
        with torch.no_grad():
            running_mean.mul_(1 - momentum).add_(momentum * mean)
            running_var.mul_(1 - momentum).add_(momentum * var * n / (n - 1))
    else:
        mean, var = running_mean, running_var
    return gamma * (x - mean) / (torch.sqrt(var) + eps) + beta
''',
    ),
]

# Shortcuts: correct answers that call what a part rules out (the course library's gradient helpers,
# torch.nn.init, PyTorch's normalisation), or a helper the old visible tests left in the namespace.
WRONG_ANSWERS += [
    dict(
        cell="grad_norms_answer",
        fails=["grad_norms_tests"],
        why="shortcut: the weight gradients come from course.viz.weight_gradients",
        source='''
def layer_grad_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn=F.cross_entropy) -> list[float]:
    """Norm of the loss gradient w.r.t. the weight of each nn.Linear layer, after one backward pass."""
    grads = course.viz.weight_gradients(model, x, y, loss_fn, layers=(nn.Linear,))
    return [float(g.norm()) for g in grads.values()]
''',
    ),
    dict(
        cell="grad_norms_answer",
        fails=["grad_norms_tests"],
        why="shortcut: returns reference_grad_norms, the reference the old visible tests left in the namespace",
        source='''
def layer_grad_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn=F.cross_entropy) -> list[float]:
    """Norm of the loss gradient w.r.t. the weight of each nn.Linear layer, after one backward pass."""
    return reference_grad_norms(model, x, y, loss_fn)
''',
    ),
    dict(
        cell="init_answer",
        fails=["init_tests"],
        why="shortcut: fans, gains and samples all from torch.nn.init",
        source='''
def fans(weight: torch.Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a Linear (out, in) or convolution (out, in, *kernel) weight."""
    return nn.init._calculate_fan_in_and_fan_out(weight)


def xavier_std(fan_in: int, fan_out: int) -> float:
    """Standard deviation of Xavier/Glorot normal initialisation."""
    return nn.init.calculate_gain("linear") * math.sqrt(2.0 / (fan_in + fan_out))


def he_std(fan_in: int) -> float:
    """Standard deviation of He (Kaiming) normal initialisation for ReLU layers."""
    return nn.init.calculate_gain("relu") / math.sqrt(fan_in)


def xavier_normal_(weight: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill weight in place with N(0, xavier_std**2) samples and return it."""
    return nn.init.xavier_normal_(weight, generator=generator)


def he_normal_(weight: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill weight in place with N(0, he_std**2) samples and return it."""
    return nn.init.kaiming_normal_(weight, nonlinearity="relu", generator=generator)
''',
    ),
    dict(
        cell="init_answer",
        fails=["init_tests"],
        why="shortcut: fans and scales by hand, samples drawn by torch.nn.init.normal_ under an alias",
        source='''
from torch.nn.init import normal_ as draw
''' + _INIT_OK + '''

def xavier_normal_(weight: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill weight in place with N(0, xavier_std**2) samples and return it."""
    return draw(weight, 0.0, xavier_std(*fans(weight)), generator=generator)


def he_normal_(weight: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill weight in place with N(0, he_std**2) samples and return it."""
    return draw(weight, 0.0, he_std(fans(weight)[0]), generator=generator)
''',
    ),
    dict(
        cell="batch_norm_answer",
        fails=["batch_norm_train_tests", "batch_norm_running_tests"],
        why="shortcut: F.batch_norm does the normalisation and the running statistics",
        source=_BN_HEAD + '''    return F.batch_norm(x, running_mean, running_var, gamma, beta, training, momentum, eps)
''',
    ),
    dict(
        cell="batch_norm_answer",
        fails=["batch_norm_train_tests", "batch_norm_running_tests"],
        why="shortcut: training mode normalises each feature with F.layer_norm on the transposed batch",
        source=_BN_HEAD + '''    if training:
        n = x.shape[0]
        with torch.no_grad():
            running_mean.mul_(1 - momentum).add_(momentum * x.mean(dim=0))
            running_var.mul_(1 - momentum).add_(momentum * x.var(dim=0))  # unbiased, as nn.BatchNorm1d keeps it
        return F.layer_norm(x.T, (n,), eps=eps).T * gamma + beta
    return gamma * (x - running_mean) / torch.sqrt(running_var + eps) + beta
''',
    ),
]
