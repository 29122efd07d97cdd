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
    """Train a 784-100-10 MLP with no, L2 or L1 penalty on its weights; return it and its test accuracy."""
    if penalty not in ("none", "l2", "l1"):
        raise ValueError(f"penalty must be 'none', 'l2' or 'l1', got {penalty!r}.")
    x, y, test = mnist_small(n_train, seed)
    torch.manual_seed(seed)
    model = MLP(784, [100], 10)
    weights = [layer.weight for layer in model.linears]

    def loss_fn(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        loss = F.cross_entropy(out, target)
        if penalty == "l2":
            loss = loss + strength * sum((w**2).sum() for w in weights)
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
