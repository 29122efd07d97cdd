"""Plausible wrong answers for 09_lenet: each must lose exactly the points of the cells in `fails`."""

_ARCH = '''
def build_lenet5(num_classes: int = 10) -> nn.Sequential:
    """The modern LeNet-5 for (N, 1, 28, 28) images, as an nn.Sequential."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, num_classes),
    )
'''

_NUMBERS = '''
def lenet_numbers(image_size: int = 28, c1: int = 6, c3: int = 16, kernel: int = 5, padding1: int = 2,
                  hidden: tuple[int, ...] = (120, 84), num_classes: int = 10) -> tuple[int, int]:
    """(flattened features after S4, total parameter count) of a LeNet-5-style network."""
    size = (image_size + 2 * padding1 - kernel + 1) // 2
    size = (size - kernel + 1) // 2
    features = c3 * size * size
    params = c1 * (kernel * kernel + 1) + c3 * (c1 * kernel * kernel + 1)
    widths = [features, *hidden, num_classes]
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        params += n_out * (n_in + 1)
    return features, params
'''

_STEP = '''
def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, xb: torch.Tensor, yb: torch.Tensor,
               loss_fn=F.cross_entropy) -> float:
    """One optimisation step on the mini-batch (xb, yb); returns the batch loss before the update."""
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.step()
    return loss.item()
'''

_FIT = '''
def fit_lenet(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int = 6, batch_size: int = 64,
              lr: float = 2e-3, seed: int = 0) -> list[float]:
    """Train model on (x, y) with Adam and shuffled mini-batches; return the mean training loss of each epoch."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    epoch_losses = []
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for start in range(0, len(x), batch_size):
            idx = order[start: start + batch_size]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        epoch_losses.append(total / len(x))
    return epoch_losses
'''


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


WRONG_ANSWERS = [
    dict(
        cell="architecture_answer",
        fails=["architecture_tests"],
        why="no padding in C1, so the flattened size is 16*4*4 = 256 and the parameter count is wrong",
        source=_replace(_replace(_ARCH, "kernel_size=5, padding=2", "kernel_size=5"),
                        "nn.Linear(16 * 5 * 5, 120)", "nn.Linear(16 * 4 * 4, 120)"),
    ),
    dict(
        cell="architecture_answer",
        fails=["architecture_tests"],
        why="average pooling instead of max pooling: same parameter count, caught by the hidden per-layer check",
        source=_ARCH.replace("nn.MaxPool2d(2)", "nn.AvgPool2d(2)"),
    ),
    dict(
        cell="architecture_answer",
        fails=["architecture_tests"],
        why="no ReLU after the convolutions: same shapes and parameters, but C1 and C3 become linear (hidden check)",
        source=_replace(_replace(_ARCH, "padding=2), nn.ReLU(), nn.MaxPool2d(2)", "padding=2), nn.MaxPool2d(2)"),
                        "kernel_size=5), nn.ReLU(), nn.MaxPool2d(2)", "kernel_size=5), nn.MaxPool2d(2)"),
    ),
    dict(
        cell="arithmetic_answer",
        fails=["arithmetic_tests"],
        why="forgets the biases in every parameter count",
        source=_replace(_replace(_NUMBERS, "c1 * (kernel * kernel + 1) + c3 * (c1 * kernel * kernel + 1)",
                                 "c1 * kernel * kernel + c3 * c1 * kernel * kernel"),
                        "n_out * (n_in + 1)", "n_out * n_in"),
    ),
    dict(
        cell="arithmetic_answer",
        fails=["arithmetic_tests"],
        why="rounds odd sizes up when pooling (ceil instead of floor): right for the defaults, wrong for odd sizes",
        source=_replace(_replace(_NUMBERS, "size = (image_size + 2 * padding1 - kernel + 1) // 2",
                                 "size = (image_size + 2 * padding1 - kernel + 2) // 2"),
                        "size = (size - kernel + 1) // 2", "size = (size - kernel + 2) // 2"),
    ),
    dict(
        cell="train_step_answer",
        fails=["train_step_tests"],
        why="never clears the gradients, so each step adds the previous steps' gradients (hidden tests)",
        source=_STEP.replace("    optimizer.zero_grad()\n", ""),
    ),
    dict(
        cell="train_step_answer",
        fails=["train_step_tests"],
        why="returns the loss recomputed after the update instead of the loss of the step",
        source=_replace(_STEP, "    return loss.item()\n",
                        "    with torch.no_grad():\n        return loss_fn(model(xb), yb).item()\n"),
    ),
    dict(
        cell="train_step_answer",
        fails=["train_step_tests"],
        why="does not switch the model to training mode (batch norm left in evaluation mode; hidden test)",
        source=_STEP.replace("    model.train()\n", ""),
    ),
    dict(
        cell="fit_answer",
        fails=["trained_model_tests"],
        why="clears the gradients between backward and step, so the optimiser never moves",
        source=_replace(_FIT, "            optimizer.zero_grad()\n            loss = F.cross_entropy(model(x[idx]), y[idx])\n"
                        "            loss.backward()\n",
                        "            loss = F.cross_entropy(model(x[idx]), y[idx])\n            loss.backward()\n"
                        "            optimizer.zero_grad()\n"),
    ),
    dict(
        cell="fit_answer",
        fails=["trained_model_tests"],
        why="loops over batch numbers but slices from the batch number, so each epoch sees only ~220 examples",
        source=_replace(_FIT, "for start in range(0, len(x), batch_size):", "for start in range(len(x) // batch_size):"),
    ),
    dict(
        cell="fit_answer",
        fails=["trained_model_tests"],
        why="returns the sum of the batch losses instead of the per-epoch mean (the model is fine; hidden test)",
        source=_replace(_FIT, "total += loss.item() * len(idx)", "total += loss.item()").replace(
            "epoch_losses.append(total / len(x))", "epoch_losses.append(total)"),
    ),
]

# Shortcuts: correct answers that use what a part forbids. The tests trace the calls each answer makes, so every
# one of these loses its part, with a message that names the forbidden call.
WRONG_ANSWERS += [
    dict(
        cell="architecture_answer",
        fails=["architecture_tests"],
        why="shortcut: takes the layers of course.LeNet5, through an alias captured when the cell runs, into an "
            "nn.Sequential",
        source='''
_library_lenet = course.LeNet5


def build_lenet5(num_classes: int = 10) -> nn.Sequential:
    """The modern LeNet-5, copied layer by layer from the library's."""
    return nn.Sequential(*_library_lenet(num_classes).children())
''',
    ),
    dict(
        cell="arithmetic_answer",
        fails=["arithmetic_tests"],
        why="shortcut: builds the network with torch layers and counts its parameters (the part asks for arithmetic)",
        source='''
def lenet_numbers(image_size: int = 28, c1: int = 6, c3: int = 16, kernel: int = 5, padding1: int = 2,
                  hidden: tuple[int, ...] = (120, 84), num_classes: int = 10) -> tuple[int, int]:
    """(flattened features after S4, total parameter count), measured on a network built with torch."""
    features_net = nn.Sequential(nn.Conv2d(1, c1, kernel, padding=padding1), nn.MaxPool2d(2),
                                 nn.Conv2d(c1, c3, kernel), nn.MaxPool2d(2), nn.Flatten())
    features = features_net(torch.zeros(1, 1, image_size, image_size)).shape[1]
    widths = [features, *hidden, num_classes]
    net = nn.Sequential(features_net, *[nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:])])
    return int(features), sum(p.numel() for p in net.parameters())
''',
    ),
    dict(
        cell="arithmetic_answer",
        fails=["arithmetic_tests"],
        why="shortcut: the lecture helper course.experiments.u07.output_size for the feature-map sizes",
        source=_replace(_replace(_NUMBERS, "size = (image_size + 2 * padding1 - kernel + 1) // 2",
                                 "size = output_size(output_size(image_size, kernel, padding=padding1), 2, stride=2)"),
                        "size = (size - kernel + 1) // 2", "size = output_size(output_size(size, kernel), 2, stride=2)")
        .replace("\ndef lenet_numbers", "\nfrom course.experiments.u07 import output_size\n\n\ndef lenet_numbers", 1),
    ),
    dict(
        cell="arithmetic_answer",
        fails=["arithmetic_tests"],
        why="shortcut: calls _torch_numbers, the reference that the old test cell left in the namespace, and "
            "hard-codes the default answer until it exists",
        source='''
def lenet_numbers(image_size: int = 28, c1: int = 6, c3: int = 16, kernel: int = 5, padding1: int = 2,
                  hidden: tuple[int, ...] = (120, 84), num_classes: int = 10) -> tuple[int, int]:
    """The test cell's own reference, once it is defined."""
    try:
        return _torch_numbers(image_size, c1, c3, kernel, padding1, hidden, num_classes)
    except NameError:
        return 400, 61_706
''',
    ),
    dict(
        cell="train_step_answer",
        fails=["train_step_tests"],
        why="shortcut: one epoch of course.fit on the single batch, with the optimiser it is given",
        source='''
def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, xb: torch.Tensor, yb: torch.Tensor,
               loss_fn=F.cross_entropy) -> float:
    """One optimisation step, done by the library's training loop."""
    history = course.fit(model, (xb, yb), epochs=1, batch_size=len(xb), optimizer=optimizer, loss_fn=loss_fn,
                         metrics=(), seed=None, progress=False)
    return float(history["train_loss"][0])
''',
    ),
    dict(
        cell="fit_answer",
        fails=["trained_model_tests"],
        why="shortcut: course.fit, reached through a default argument",
        source='''
def fit_lenet(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int = 6, batch_size: int = 64,
              lr: float = 2e-3, seed: int = 0, _fit=course.fit) -> list[float]:
    """The library's training loop: Adam on shuffled mini-batches of the cross-entropy."""
    history = _fit(model, (x, y), epochs=epochs, batch_size=batch_size, lr=lr, metrics=(), seed=seed, progress=False)
    return history["train_loss"]
''',
    ),
]
