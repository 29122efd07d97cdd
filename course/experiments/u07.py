"""Unit 7: convolution as a sparse shared matrix, receptive fields, shift behaviour, LeNet-5 training, FGSM.

Small functions behind the claims of lectures/07_convolutional_networks.ipynb. The notebook writes the lesson's
code out (LeNet-5, its training loop, FGSM) and calls these for measurements and repeated runs;
tests/test_claims_u07.py calls them with the notebook's seeds, so they must give the notebook's numbers.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from course.data.batches import Batches, augment_shift_rotate
from course.device import model_device
from course.models import MLP, LeNet5, eval_mode
from course.train import History, evaluate, fit

Tensor = torch.Tensor

# Classic 3x3 image-processing kernels (used as cross-correlation kernels, like nn.Conv2d does).
FILTERS: dict[str, Tensor] = {
    "identity": torch.tensor([[0.0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    "emboss": torch.tensor([[-2.0, -1, 0], [-1, 0, 1], [0, 1, 2]]),
    "sobel x (vertical edges)": torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    "sobel y (horizontal edges)": torch.tensor([[-1.0, -2, -1], [0, 0, 0], [1, 2, 1]]),
    "laplacian (outline)": torch.tensor([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]),
    "box blur": torch.full((3, 3), 1.0 / 9),
    "sharpen": torch.tensor([[0.0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
}


def filter_image(image: Tensor, kernel: Tensor) -> Tensor:
    """Cross-correlate one image (H, W) or (1, H, W) with a 2-D kernel, zero padding so the size is kept."""
    image = torch.as_tensor(image, dtype=torch.float32)
    kernel = torch.as_tensor(kernel, dtype=torch.float32)
    if kernel.ndim != 2 or kernel.shape[0] % 2 == 0 or kernel.shape[1] % 2 == 0:
        raise ValueError(f"kernel must be a 2-D tensor with odd sides, got shape {tuple(kernel.shape)}")
    x = image.reshape(1, 1, *image.shape[-2:])
    padding = (kernel.shape[0] // 2, kernel.shape[1] // 2)
    return F.conv2d(x, kernel[None, None], padding=padding)[0, 0]


def conv_matrix(kernel: Tensor, n: int, padding: int = 0, circular: bool = False) -> Tensor:
    """The (n + 2p - k + 1, n) matrix M with M @ x == conv1d(x, kernel) (circular: wrap around, n x n)."""
    kernel = torch.as_tensor(kernel, dtype=torch.float64).reshape(-1)
    k = len(kernel)
    if n < 1 or k > n + 2 * padding:
        raise ValueError(f"a kernel of {k} taps does not fit a signal of length {n} with padding {padding}")
    if circular:
        rows, padding = n, k // 2  # circular padding keeps the length: one row per input position
    else:
        rows = n + 2 * padding - k + 1
    matrix = torch.zeros(rows, n, dtype=torch.float64)
    for i in range(rows):  # output i reads inputs i - padding, ..., i - padding + k - 1
        for b in range(k):
            j = i - padding + b
            if circular:
                matrix[i, j % n] += kernel[b]
            elif 0 <= j < n:
                matrix[i, j] = kernel[b]
    return matrix


def output_size(n: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Output length of a convolution: floor((n + 2 padding - kernel) / stride) + 1."""
    if kernel > n + 2 * padding:
        raise ValueError(f"kernel {kernel} is larger than the padded input {n + 2 * padding}")
    return (n + 2 * padding - kernel) // stride + 1


def weight_counts(
    height: int, width: int, channels: int = 1, hidden: int | None = None, patch: int = 10, kernel: int = 3
) -> dict[str, int]:
    """Weights (no biases) from an image to `hidden` units (default: one per pixel and channel).

    dense: every unit sees every input; local: every unit sees one patch x patch window of all channels;
    shared: one kernel x kernel x channels filter used at every position (a single feature map).
    """
    inputs = height * width * channels
    hidden = inputs if hidden is None else hidden
    return {
        "dense": inputs * hidden,
        "local": hidden * patch * patch * channels,
        "shared": kernel * kernel * channels,
    }


def receptive_field(layers: list[tuple[int, int]]) -> int:
    """Side of the input window seen by one output unit of a stack of (kernel, stride) layers."""
    side, jump = 1, 1
    for kernel, stride in layers:
        side += (kernel - 1) * jump  # a new kernel spans `kernel` units, each `jump` input pixels apart
        jump *= stride
    return side


def receptive_field_by_gradient(layers: list[tuple[int, int]], size: int = 32) -> int:
    """Measure the same side empirically (stride-1 layers as convolutions, others as pooling) by back-propagation."""
    stack = nn.Sequential(
        *[
            nn.Conv2d(1, 1, kernel, stride=stride, bias=False) if stride == 1 else nn.AvgPool2d(kernel, stride)
            for kernel, stride in layers
        ]
    )
    for module in stack:
        if isinstance(module, nn.Conv2d):
            nn.init.ones_(module.weight)  # all-positive weights: no cancellations can hide a dependence
    x = torch.zeros(1, 1, size, size, requires_grad=True)
    out = stack(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    assert x.grad is not None  # x requires a gradient
    rows = x.grad[0, 0].abs().sum(1).nonzero()
    return int(rows.max() - rows.min() + 1)


def shift_change(images: Tensor, kernel: Tensor, pool: int, shift: int = 1) -> float:
    """Mean relative change ||f(x) - f(x shifted)|| / ||f(x)|| for f = max-pool(ReLU(conv(x))), pool size `pool`.

    Images are shifted `shift` pixels to the right (digits have empty borders, so rolling = shifting).
    pool = 1 means no pooling at all.
    """
    x = torch.as_tensor(images, dtype=torch.float32)
    shifted = torch.roll(x, shifts=shift, dims=-1)

    def features(t: Tensor) -> Tensor:
        maps = F.relu(F.conv2d(t, kernel.reshape(1, 1, *kernel.shape[-2:]).float(), padding=kernel.shape[-1] // 2))
        return F.max_pool2d(maps, pool) if pool > 1 else maps

    a, b = features(x).flatten(1), features(shifted).flatten(1)
    return float(((a - b).norm(dim=1) / a.norm(dim=1)).mean())


def train_lenet(
    train: tuple[Tensor, Tensor],
    test: tuple[Tensor, Tensor],
    epochs: int = 8,
    augment: bool = False,
    seed: int = 0,
    batch_size: int = 128,
    lr: float = 2e-3,
    decay_epochs: int = 2,
    device: torch.device | str | None = None,
    val: tuple[Tensor, Tensor] | None = None,
) -> tuple[nn.Module, History, float]:
    """Train the modern LeNet-5 with Adam (optionally on shifted/rotated copies); return it, its history, test error.

    The last `decay_epochs` of the `epochs` use a ten times smaller learning rate (a one-step schedule), which
    settles the weights and makes the final error less dependent on the last few batches. With `val` (a split
    carved from the training data) the history has "val_*" numbers, best_epoch is chosen on it and those weights
    are restored; the test set is evaluated once, at the end, and never guides a choice.
    """
    torch.manual_seed(seed)
    model = LeNet5().to(device or "cpu")
    augmenter = augment_shift_rotate(max_shift=2, max_degrees=10.0) if augment else None
    return _train(model, train, test, epochs, seed, batch_size, lr, decay_epochs, augmenter, device, val)


def train_mlp(
    train: tuple[Tensor, Tensor],
    test: tuple[Tensor, Tensor],
    hidden: int = 300,
    epochs: int = 8,
    seed: int = 0,
    batch_size: int = 128,
    lr: float = 2e-3,
    decay_epochs: int = 2,
    device: torch.device | str | None = None,
    val: tuple[Tensor, Tensor] | None = None,
) -> tuple[nn.Module, History, float]:
    """The fully connected baseline 784-hidden-10 (ReLU), trained like train_lenet; returns model, history, error."""
    torch.manual_seed(seed)
    model = MLP(784, [hidden], 10).to(device or "cpu")
    return _train(model, train, test, epochs, seed, batch_size, lr, decay_epochs, None, device, val)


def step_schedule(lr: float, epochs: int, decay_epochs: int):
    """lr_at(epoch): `lr` for the first epochs - decay_epochs epochs, then lr / 10 (a one-step schedule)."""
    if not 0 <= decay_epochs <= epochs:
        raise ValueError(f"decay_epochs must be between 0 and epochs={epochs}, got {decay_epochs}")
    return lambda epoch: lr if epoch < epochs - decay_epochs else lr / 10


def _train(
    model: nn.Module,
    train: tuple[Tensor, Tensor],
    test: tuple[Tensor, Tensor],
    epochs: int,
    seed: int,
    batch_size: int,
    lr: float,
    decay_epochs: int,
    augment,
    device,
    val: tuple[Tensor, Tensor] | None = None,
) -> tuple[nn.Module, History, float]:
    """Adam at `lr`, the last `decay_epochs` epochs at lr / 10, in one fit call; test error at the end."""
    lr_at = step_schedule(lr, epochs, decay_epochs)
    batches = Batches(*train, batch_size=batch_size, shuffle=True, seed=seed, device=device, augment=augment)
    history = fit(
        model,
        batches,
        val,
        epochs=epochs,
        scheduler=lr_at,
        scheduler_interval="epoch",
        restore_best=val is not None,
        seed=seed,
        progress=False,
    )
    return model, history, 1.0 - evaluate(model, test)["accuracy"]


def fgsm(model: nn.Module, x: Tensor, y: Tensor, eps: float) -> Tensor:
    """Fast gradient sign method: x + eps * sign(grad_x cross-entropy), clipped to the pixel range [0, 1]."""
    x = x.clone().requires_grad_(True)
    with eval_mode(model):
        loss = F.cross_entropy(model(x), y)
        (grad,) = torch.autograd.grad(loss, x)
    return (x + eps * grad.sign()).clamp(0, 1).detach()


def accuracy_under_attack(
    model: nn.Module, x: Tensor, y: Tensor, epsilons: list[float], random: bool = False, seed: int = 0
) -> list[float]:
    """Accuracy on FGSM images (or, with random=True, on images moved by eps in a random sign direction)."""
    generator = torch.Generator().manual_seed(seed)
    accuracies = []
    for eps in epsilons:
        if random:
            signs = torch.randint(0, 2, x.shape, generator=generator).to(x) * 2 - 1
            moved = (x + eps * signs).clamp(0, 1)
        else:
            moved = fgsm(model, x, y, eps)
        with eval_mode(model), torch.no_grad():
            accuracies.append(float((model(moved).argmax(1) == y).float().mean()))
    return accuracies


def most_exciting_input(
    model: nn.Module,
    layer: nn.Module,
    channels: int,
    steps: int = 60,
    lr: float = 0.05,
    l2: float = 0.1,
    tv: float = 0.1,
    size: int = 28,
    seed: int = 0,
) -> Tensor:
    """Inputs in [0, 1] found by gradient ascent that maximise the centre unit of each of `channels` maps of `layer`.

    Starts from a dark image with a little noise and climbs
    activation - l2 * ||x||^2 - tv * (sum of squared differences of neighbouring pixels) with Adam:
    the penalties keep the background dark (as in MNIST) and the strokes smooth. Returns (channels, 1, size, size).
    """
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn(channels, 1, size, size, generator=generator)
    x = (0.1 + 0.01 * noise).to(model_device(model)).requires_grad_(True)  # the input follows the weights
    captured: list[Tensor] = []
    handle = layer.register_forward_hook(lambda module, inputs, output: captured.append(output))
    for p in model.parameters():
        p.requires_grad_(False)
    optimizer = torch.optim.Adam([x], lr=lr)
    try:
        with eval_mode(model):
            for _ in range(steps):
                captured.clear()
                image = x.clamp(0, 1)
                model(image)
                maps = captured[0]
                centre = maps[torch.arange(channels), torch.arange(channels), maps.shape[2] // 2, maps.shape[3] // 2]
                smoothness = (image.diff(dim=-1) ** 2).sum() + (image.diff(dim=-2) ** 2).sum()
                objective = centre.sum() - l2 * (image**2).sum() - tv * smoothness
                optimizer.zero_grad()
                (-objective).backward()
                optimizer.step()
    finally:
        handle.remove()
        for p in model.parameters():
            p.requires_grad_(True)
    return x.detach().clamp(0, 1)
