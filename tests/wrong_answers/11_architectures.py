"""Plausible wrong answers for 11_architectures: each must lose exactly the points of the cells in `fails`."""

_BLOCK = '''
class BasicBlock(nn.Module):
    """ResNet's basic block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if stride == 1 and in_channels == out_channels:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = torch.relu(self.bn1(self.conv1(x)))
        residual = self.bn2(self.conv2(residual))
        return torch.relu(residual + self.shortcut(x))
'''

_INCEPTION = '''
class InceptionBlock(nn.Module):
    """GoogLeNet's block with conv-BN-ReLU units: 1x1 | 1x1-3x3 | 1x1-5x5 | pool-1x1, stacked on the channels."""

    def __init__(self, in_channels: int, c1: int, c3_reduce: int, c3: int, c5_reduce: int, c5: int,
                 pool_proj: int) -> None:
        super().__init__()

        def unit(c_in, c_out, kernel):
            return [nn.Conv2d(c_in, c_out, kernel, padding=(kernel - 1) // 2, bias=False), nn.BatchNorm2d(c_out),
                    nn.ReLU()]

        self.branch1 = nn.Sequential(*unit(in_channels, c1, 1))
        self.branch3 = nn.Sequential(*unit(in_channels, c3_reduce, 1), *unit(c3_reduce, c3, 3))
        self.branch5 = nn.Sequential(*unit(in_channels, c5_reduce, 1), *unit(c5_reduce, c5, 5))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(kernel_size=3, stride=1, padding=1),
                                         *unit(in_channels, pool_proj, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)]
        return torch.cat(outputs, dim=1)
'''

_NUMBERS = '''
def stack_numbers(in_shape: tuple[int, int, int], layers: list[tuple]) -> tuple[int, tuple[int, ...]]:
    """(trainable parameters, output shape) of the described layers applied to one image of shape in_shape."""
    shape = tuple(in_shape)
    total = 0

    def out_size(n, kernel, stride, padding=0):
        return (n - kernel + 2 * padding) // stride + 1

    for kind, *options in layers:
        if kind == "conv":
            out_channels, kernel, stride, padding, bias = options
            channels, height, width = shape
            total += out_channels * channels * kernel * kernel + (out_channels if bias else 0)
            shape = (out_channels, out_size(height, kernel, stride, padding), out_size(width, kernel, stride, padding))
        elif kind == "bn":
            total += 2 * shape[0]
        elif kind == "maxpool":
            kernel, stride = options
            shape = (shape[0], out_size(shape[1], kernel, stride), out_size(shape[2], kernel, stride))
        elif kind == "gap":
            shape = (shape[0], 1, 1)
        elif kind == "flatten":
            shape = (math.prod(shape),)
        elif kind == "linear":
            out_features, bias = options
            total += out_features * shape[0] + (out_features if bias else 0)
            shape = (out_features,)
    return total, shape
'''

_REACHING = '''
def gradient_reaching(blocks: nn.Sequential, x: torch.Tensor, upstream: torch.Tensor) -> list[float]:
    """Norms of d(sum(upstream * h_L)) / d h_l for l = 0 (the input x) ... L (the output of the last block)."""
    states = [x.detach().clone().requires_grad_(True)]
    for block in blocks:
        states.append(block(states[-1]))
    grads = torch.autograd.grad((upstream * states[-1]).sum(), states)
    return [g.norm().item() for g in grads]
'''


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


WRONG_ANSWERS = [
    # Part 1: the residual block
    dict(
        cell="residual_answer",
        fails=["residual_tests"],
        why="forgets the ReLU after the sum (returns residual + shortcut(x))",
        source=_replace(_BLOCK, "return torch.relu(residual + self.shortcut(x))",
                        "return residual + self.shortcut(x)"),
    ),
    dict(
        cell="residual_answer",
        fails=["residual_tests"],
        why="applies the ReLU to the residual branch before the sum, relu(bn2(...)) + shortcut(x)",
        source=_replace(_BLOCK, "return torch.relu(residual + self.shortcut(x))",
                        "return torch.relu(residual) + self.shortcut(x)"),
    ),
    dict(
        cell="residual_answer",
        fails=["residual_tests"],
        why="puts the stride on the second convolution instead of the first (same shapes, other values; hidden)",
        source=_replace(_replace(_BLOCK, "kernel_size=3, stride=stride, padding=1",
                                 "kernel_size=3, stride=1, padding=1"),
                        "out_channels, kernel_size=3, stride=1, padding=1, bias=False)\n        self.bn2",
                        "out_channels, kernel_size=3, stride=stride, padding=1, bias=False)\n        self.bn2"),
    ),
    dict(
        cell="residual_answer",
        fails=["residual_tests"],
        why="projects only when the channels change, not when the stride does (hidden: same width, stride 2)",
        source=_replace(_BLOCK, "if stride == 1 and in_channels == out_channels:", "if in_channels == out_channels:"),
    ),
    dict(
        cell="residual_answer",
        fails=["residual_tests"],
        why="a projection without its batch norm (a bare 1x1 convolution on the skip)",
        source=_replace(_BLOCK, '''            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels))''',
                        "            self.shortcut = nn.Conv2d(in_channels, out_channels, kernel_size=1, "
                        "stride=stride, bias=False)"),
    ),
    dict(
        cell="residual_answer",
        fails=["residual_tests"],
        why="keeps the default bias=True of nn.Conv2d (parameters a batch norm makes redundant)",
        source=_BLOCK.replace(", bias=False)", ")"),
    ),
    dict(
        cell="residual_answer",
        fails=["residual_tests"],
        why="the same ReLU order as the lecture's pre-activation block: conv(relu(bn(x))) twice, no ReLU after",
        source=_replace(_BLOCK, '''        residual = torch.relu(self.bn1(self.conv1(x)))
        residual = self.bn2(self.conv2(residual))
        return torch.relu(residual + self.shortcut(x))''', '''        residual = self.conv1(torch.relu(self.bn1(x)))
        residual = self.conv2(torch.relu(self.bn2(residual)))
        return residual + self.shortcut(x)'''),
    ),
    # Part 2: the inception block
    dict(
        cell="inception_answer",
        fails=["inception_tests"],
        why="concatenates the branches in another order (pooling branch first)",
        source=_replace(_INCEPTION, "[self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)]",
                        "[self.branch_pool(x), self.branch1(x), self.branch3(x), self.branch5(x)]"),
    ),
    dict(
        cell="inception_answer",
        fails=["inception_tests"],
        why="concatenates along the batch axis (dim=0) instead of the channels",
        source=_replace(_INCEPTION, "torch.cat(outputs, dim=1)", "torch.cat(outputs, dim=0)"),
    ),
    dict(
        cell="inception_answer",
        fails=["inception_tests"],
        why="max pooling with the default stride (= kernel size 3), which shrinks the maps",
        source=_replace(_INCEPTION, "nn.MaxPool2d(kernel_size=3, stride=1, padding=1)", "nn.MaxPool2d(3, padding=1)"),
    ),
    dict(
        cell="inception_answer",
        fails=["inception_tests"],
        why="pads the 5x5 convolution by 1 like the 3x3 one, so the 5x5 branch loses two rows and columns",
        source=_replace(_INCEPTION, "padding=(kernel - 1) // 2", "padding=min(kernel // 2, 1)"),
    ),
    dict(
        cell="inception_answer",
        fails=["inception_tests"],
        why="conv-ReLU-BN instead of conv-BN-ReLU (the batch norms sit at other places in the branches)",
        source=_replace(_INCEPTION, "nn.BatchNorm2d(c_out),\n                    nn.ReLU()]",
                        "nn.ReLU(),\n                    nn.BatchNorm2d(c_out)]"),
    ),
    dict(
        cell="inception_answer",
        fails=["inception_tests"],
        why="the 1x1 reduce convolutions have no ReLU after them (only the unit's batch norm; hidden tests)",
        source=_replace(_replace(_INCEPTION, "*unit(in_channels, c3_reduce, 1), *unit(c3_reduce, c3, 3)",
                                 "*unit(in_channels, c3_reduce, 1)[:2], nn.Identity(), *unit(c3_reduce, c3, 3)"),
                        "*unit(in_channels, c5_reduce, 1), *unit(c5_reduce, c5, 5)",
                        "*unit(in_channels, c5_reduce, 1)[:2], nn.Identity(), *unit(c5_reduce, c5, 5)"),
    ),
    dict(
        cell="inception_answer",
        fails=["inception_tests"],
        why="average pooling instead of max pooling in the pooling branch (hidden tests)",
        source=_replace(_INCEPTION, "nn.MaxPool2d(kernel_size=3, stride=1, padding=1)",
                        "nn.AvgPool2d(kernel_size=3, stride=1, padding=1)"),
    ),
    # Part 3: parameter arithmetic
    dict(
        cell="arithmetic_answer",
        fails=["arithmetic_tests"],
        why="counts batch norm's running mean and variance as parameters (4 per channel instead of 2)",
        source=_replace(_NUMBERS, "total += 2 * shape[0]", "total += 4 * shape[0]"),
    ),
    dict(
        cell="arithmetic_answer",
        fails=["arithmetic_tests"],
        why="always counts the biases, ignoring the bias flag",
        source=_replace(_replace(_NUMBERS, "(out_channels if bias else 0)", "out_channels"),
                        "(out_features if bias else 0)", "out_features"),
    ),
    dict(
        cell="arithmetic_answer",
        fails=["arithmetic_tests"],
        why="forgets the stride in the size formula of a convolution (n + 2p - k + 1)",
        source=_replace(_NUMBERS, "out_size(height, kernel, stride, padding), out_size(width, kernel, stride, padding)",
                        "out_size(height, kernel, 1, padding), out_size(width, kernel, 1, padding)"),
    ),
    dict(
        cell="arithmetic_answer",
        fails=["arithmetic_tests"],
        why="max pooling divides the size by the kernel, n // k, ignoring the stride (hidden: 3x3 pools)",
        source=_replace(_NUMBERS,
                        "shape = (shape[0], out_size(shape[1], kernel, stride), out_size(shape[2], kernel, stride))",
                        "shape = (shape[0], shape[1] // kernel, shape[2] // kernel)"),
    ),
    dict(
        cell="arithmetic_answer",
        fails=["arithmetic_tests"],
        why="returns the output shape as a list and the count as a float (the types are checked)",
        source=_replace(_NUMBERS, "    return total, shape\n", "    return float(total), list(shape)\n"),
    ),
    # Part 4: the gradient that reaches each block
    dict(
        cell="gradient_answer",
        fails=["gradient_tests"],
        why="detaches the input of every block, so only the last block's input gets a gradient",
        source='''
def gradient_reaching(blocks: nn.Sequential, x: torch.Tensor, upstream: torch.Tensor) -> list[float]:
    """Norms of d(sum(upstream * h_L)) / d h_l, one leaf per block."""
    h = x.detach().requires_grad_(True)
    states = [h]
    for block in blocks:
        h = block(h).detach().requires_grad_(True)
        states.append(h)
    grads = torch.autograd.grad((upstream * states[-1]).sum(), states, allow_unused=True)
    return [0.0 if g is None else g.norm().item() for g in grads]
''',
    ),
    dict(
        cell="gradient_answer",
        fails=["gradient_tests"],
        why="returns the squared norms (the sum of the squared gradient entries)",
        source=_replace(_REACHING, "g.norm().item()", "(g ** 2).sum().item()"),
    ),
    dict(
        cell="gradient_answer",
        fails=["gradient_tests"],
        why="back-propagates h_L.sum() instead of sum(upstream * h_L), as if the upstream gradient were all ones",
        source=_replace(_REACHING, "(upstream * states[-1]).sum()", "states[-1].sum()"),
    ),
    dict(
        cell="gradient_answer",
        fails=["gradient_tests"],
        why="off by one: the gradients at the blocks' outputs only, without the input x (L numbers, not L + 1)",
        source=_replace(_REACHING, "return [g.norm().item() for g in grads]",
                        "return [g.norm().item() for g in grads[1:]]"),
    ),
    dict(
        cell="gradient_answer",
        fails=["gradient_tests"],
        why="the norms of the weight gradients of each block (assignment 06's measure) instead of the inputs'",
        source='''
def gradient_reaching(blocks: nn.Sequential, x: torch.Tensor, upstream: torch.Tensor) -> list[float]:
    """Norm of the weight gradient of every block, then the norm of the upstream gradient."""
    for p in blocks.parameters():
        p.grad = None
    (upstream * blocks(x)).sum().backward()
    norms = []
    for block in blocks:
        grads = [p.grad.norm() ** 2 for p in block.parameters() if p.grad is not None]
        norms.append(float(sum(grads)) ** 0.5 if grads else 0.0)
    return norms + [upstream.norm().item()]
''',
    ),
]

# Shortcuts: answers that use what a part forbids. The tests trace the calls each answer makes, so every one of
# these loses its part, with a message that names the forbidden call.
WRONG_ANSWERS += [
    dict(
        cell="residual_answer",
        fails=["residual_tests"],
        why="shortcut: the lecture's u08.ResidualBlock for the residual branch, with a projection of its own",
        source='''
from course.experiments import u08


class BasicBlock(nn.Module):
    """The library's block does the same-shape case; a projection is added when the shape changes."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        lecture = u08.ResidualBlock(out_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = lecture.f[1]
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=False)
        self.bn2 = lecture.f[4]
        if stride == 1 and in_channels == out_channels:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(residual)) + self.shortcut(x))
''',
    ),
    dict(
        cell="inception_answer",
        fails=["inception_tests"],
        why="shortcut: borrows the lecture's u08.InceptionBlock.forward (same branch names)",
        source="from course.experiments.u08 import InceptionBlock as _LectureInception\n" + _replace(
            _INCEPTION, '''    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)]
        return torch.cat(outputs, dim=1)
''', '''    forward = _LectureInception.forward
'''),
    ),
    dict(
        cell="arithmetic_answer",
        fails=["arithmetic_tests"],
        why="shortcut: builds the torch layers and counts their parameters instead of doing the arithmetic",
        source='''
def stack_numbers(in_shape: tuple[int, int, int], layers: list[tuple]) -> tuple[int, tuple[int, ...]]:
    """Build the network with torch and measure it."""
    h = torch.zeros(2, *in_shape)
    total = 0
    for kind, *options in layers:
        if kind == "conv":
            module = nn.Conv2d(h.shape[1], options[0], options[1], stride=options[2], padding=options[3],
                               bias=options[4])
        elif kind == "bn":
            module = nn.BatchNorm2d(h.shape[1]) if h.dim() == 4 else nn.BatchNorm1d(h.shape[1])
        elif kind == "relu":
            module = nn.ReLU()
        elif kind == "maxpool":
            module = nn.MaxPool2d(options[0], options[1])
        elif kind == "gap":
            module = nn.AdaptiveAvgPool2d(1)
        elif kind == "flatten":
            module = nn.Flatten()
        else:
            module = nn.Linear(h.shape[1], options[0], bias=options[1])
        total += sum(p.numel() for p in module.parameters())
        h = module.eval()(h)
    return total, tuple(h.shape[1:])
''',
    ),
    dict(
        cell="arithmetic_answer",
        fails=["arithmetic_tests"],
        why="shortcut: course.count_parameters on an nn.Linear for the fully connected layers",
        source=_replace(_NUMBERS, "total += out_features * shape[0] + (out_features if bias else 0)",
                        "total += course.count_parameters(nn.Linear(shape[0], out_features, bias=bias))"),
    ),
    dict(
        cell="gradient_answer",
        fails=["gradient_tests"],
        why="shortcut: course.viz.layer_gradients with hooks on the blocks and an identity in front of them",
        source='''
def gradient_reaching(blocks: nn.Sequential, x: torch.Tensor, upstream: torch.Tensor) -> list[float]:
    """The library's hooks record the gradient at each block's output; an Identity in front gives the input's."""
    class Tap(nn.Module):
        def forward(self, h):
            return h

    taps = [Tap()] + [nn.Sequential(block, Tap()) for block in blocks]
    model = nn.Sequential(taps[0], *taps[1:])
    grads = course.viz.layer_gradients(model, x, upstream, loss_fn=lambda out, u: (out * u).sum(), layers=(Tap,))
    return [g.norm().item() for g in grads.values()]
''',
    ),
]
