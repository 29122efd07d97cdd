"""Unit 6 experiments: penalties, dropout, early stopping, augmentation and double descent on MNIST digits."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from course.data import Batches, ImageSet, augment_shift_rotate, load_mnist
from course.models import MLP
from course.train import History, evaluate, fit


def mnist_small(n_train: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, ImageSet]:
    """A seeded random `n_train`-image slice of the shipped MNIST training subset, and the test subset."""
    train = load_mnist("train", size="subset", verbose=False)
    test = load_mnist("test", size="subset", verbose=False)
    idx = torch.randperm(len(train.y), generator=torch.Generator().manual_seed(seed))[:n_train]
    return train.x[idx], train.y[idx], test


def penalised_fit(
    penalty: str, strength: float, n_train: int = 1000, epochs: int = 30, seed: int = 0
) -> tuple[nn.Module, float]:
    """Train a 784-100-10 MLP with no, L2 (strength/2 * sum w**2) or L1 penalty; return it and its test accuracy."""
    if penalty not in ("none", "l2", "l1"):
        raise ValueError(f"penalty must be 'none', 'l2' or 'l1', got {penalty!r}.")
    x, y, test = mnist_small(n_train, seed)
    torch.manual_seed(seed)
    model = MLP(784, [100], 10)
    weights = [layer.weight for layer in model.linears]

    def loss_fn(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        loss = F.cross_entropy(out, target)
        if penalty == "l2":
            loss = loss + strength / 2 * sum((w**2).sum() for w in weights)  # gradient strength * w
        elif penalty == "l1":
            loss = loss + strength * sum(w.abs().sum() for w in weights)
        return loss

    fit(model, (x, y), epochs=epochs, batch_size=100, lr=1e-3, loss_fn=loss_fn, seed=seed, progress=False)
    return model, evaluate(model, (test.x, test.y))["accuracy"]


def early_stopping_run(
    patience: int | None, n_train: int = 500, epochs: int = 60, seed: int = 0
) -> tuple[History, float]:
    """Train a large MLP on few digits with a validation set; return its history and final test accuracy."""
    x, y, test = mnist_small(n_train + 1000, seed)
    torch.manual_seed(seed)
    model = MLP(784, [512, 512], 10)
    history = fit(
        model,
        (x[:n_train], y[:n_train]),
        (x[n_train:], y[n_train:]),
        epochs=epochs,
        batch_size=50,
        lr=1e-3,
        early_stopping=patience,
        seed=seed,
        progress=False,
    )
    return history, evaluate(model, (test.x, test.y))["accuracy"]


def augmentation_effect(
    n_train: int = 1000, epochs: int = 30, seed: int = 0, max_shift: int = 2, max_degrees: float = 10.0
) -> dict[str, float]:
    """Test accuracy of the same 784-256-10 MLP trained with and without shift/rotate augmentation."""
    x, y, test = mnist_small(n_train, seed)
    result = {}
    for name, augment in (("plain", None), ("augmented", augment_shift_rotate(max_shift, max_degrees))):
        torch.manual_seed(seed)
        model = MLP(784, [256], 10)
        fit(
            model,
            Batches(x, y, batch_size=50, shuffle=True, seed=seed, augment=augment),
            epochs=epochs,
            lr=1e-3,
            seed=seed,
            progress=False,
        )
        result[name] = evaluate(model, (test.x, test.y))["accuracy"]
    return result


def random_features_test_error(
    n_train: int = 300, features: tuple[int, ...] = (50, 100, 200, 300, 400, 1000, 3000), draws: int = 2, seed: int = 0
) -> dict[int, tuple[float, float]]:
    """Double descent: min-norm least squares on `p` random ReLU features of digits; test (MSE, error) per p."""
    x, y, test = mnist_small(n_train, seed)
    X = x.reshape(n_train, -1).double()
    Y = F.one_hot(y, 10).double()
    Xt = test.x.reshape(len(test.y), -1).double()
    Yt = F.one_hot(test.y, 10).double()
    out = {}
    for p in features:
        mse = err = 0.0
        for d in range(draws):
            g = torch.Generator().manual_seed(seed * 1000 + d)
            W = torch.randn(X.shape[1], p, generator=g, dtype=torch.float64) / X.shape[1] ** 0.5
            beta = torch.linalg.pinv(torch.relu(X @ W)) @ Y  # minimum-norm least-squares solution
            pred = torch.relu(Xt @ W) @ beta
            mse += ((pred - Yt) ** 2).sum(dim=1).mean().item() / draws
            err += (pred.argmax(dim=1) != test.y).double().mean().item() / draws
        out[p] = (mse, err)
    return out


class Net(nn.Module):
    """The lecture's network: 784 -> hidden widths (ReLU, then dropout with probability `dropout`) -> 10."""

    def __init__(self, hidden: tuple[int, ...] = (256,), dropout: float = 0.0) -> None:
        super().__init__()
        widths = [784, *hidden]
        layers: list[nn.Module] = []
        for n_in, n_out in zip(widths, widths[1:]):
            layers += [nn.Linear(n_in, n_out), nn.ReLU(), nn.Dropout(dropout)]
        layers.append(nn.Linear(widths[-1], 10))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x.flatten(1))


def noisy_digits(
    n_train: int = 500, n_val: int = 1000, noise: float = 0.4, seed: int = 0
) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor], ImageSet]:
    """`n_train` + `n_val` digits whose labels are each replaced, with probability `noise`, by a random class.

    The test set keeps its true labels. Returns (x, y) for training, (x, y) for validation, and the test set.
    """
    x, y, test = mnist_small(n_train + n_val, seed)
    g = torch.Generator().manual_seed(seed + 1)
    replace = torch.rand(len(y), generator=g) < noise
    y = torch.where(replace, torch.randint(0, 10, (len(y),), generator=g), y)
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:]), test


def train_loop(
    model: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor],
    epochs: int = 40,
    l2: float = 0.0,
    l1: float = 0.0,
    lr: float = 1e-3,
    batch_size: int = 50,
    seed: int = 0,
) -> dict:
    """The lecture's training loop (Adam, optional L2 = l2/2 * sum w**2 and L1 = l1 * sum |w| on the weights).

    Returns the per-epoch validation loss and accuracy, the epoch with the lowest validation loss and a copy
    of the weights at that epoch. The model keeps the weights of the last epoch.
    """
    x, y = train
    weights = [p for p in model.parameters() if p.dim() > 1]  # weight matrices, not biases
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    order = torch.Generator().manual_seed(seed)
    out: dict = {"val_loss": [], "val_acc": [], "best_epoch": None, "best_state": None}
    for epoch in range(epochs):
        model.train()  # dropout on
        for idx in torch.randperm(len(y), generator=order).split(batch_size):
            loss = F.cross_entropy(model(x[idx]), y[idx])
            if l2:
                loss = loss + l2 / 2 * sum((w**2).sum() for w in weights)
            if l1:
                loss = loss + l1 * sum(w.abs().sum() for w in weights)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        model.eval()  # dropout off
        with torch.no_grad():
            scores = model(val[0])
            out["val_loss"].append(F.cross_entropy(scores, val[1]).item())
            out["val_acc"].append((scores.argmax(dim=1) == val[1]).float().mean().item())
        if out["val_loss"][-1] == min(out["val_loss"]):
            out["best_epoch"] = epoch
            out["best_state"] = {k: v.clone() for k, v in model.state_dict().items()}
    return out


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Accuracy of `model` on (x, y), in evaluation mode."""
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


NOISY_SETTINGS = {
    "none": {},
    "l2 0.01": {"l2": 0.01},
    "l2 0.1": {"l2": 0.1},
    "l1 0.001": {"l1": 1e-3},
    "dropout 0.5": {"dropout": 0.5},
    "dropout 0.8": {"dropout": 0.8},
}


def noisy_label_runs(
    settings: dict[str, dict] | None = None, epochs: int = 40, seed: int = 0, **data_kw
) -> dict[str, dict[str, float]]:
    """Train `Net` on `noisy_digits` once per setting.

    Per setting: training (noisy labels), validation (noisy labels) and test accuracy at the last epoch, the
    epoch with the lowest validation loss, and the test accuracy of its weights (early stopping).
    """
    train, val, test = noisy_digits(seed=seed, **data_kw)
    result = {}
    for name, kw in (settings or NOISY_SETTINGS).items():
        kw = dict(kw)
        torch.manual_seed(seed)
        model = Net(dropout=kw.pop("dropout", 0.0))
        run = train_loop(model, train, val, epochs=epochs, seed=seed, **kw)
        row = {
            "train_acc": accuracy(model, *train),
            "val_acc": run["val_acc"][-1],
            "test_acc": accuracy(model, test.x, test.y),
            "best_epoch": run["best_epoch"],
        }
        model.load_state_dict(run["best_state"])
        row["early_test_acc"] = accuracy(model, test.x, test.y)
        result[name] = row
    return result
