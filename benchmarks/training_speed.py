"""Time to accuracy: the course's in-memory loop against the usual Dataset/DataLoader pipeline.

Both train the same LeNet-5 (modern variant) with the same optimiser, batch size, seed and epochs on full
MNIST (set COURSE_DATA_DIR), in one run on one machine. Then a fast recipe with the course library.
    python benchmarks/training_speed.py            # full MNIST, 6 epochs each
    python benchmarks/training_speed.py --smoke    # shipped subset, a few hundred images, seconds
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from common import MEAN, STD, course, digits, machine, table

TARGET = 0.99


class PerSampleMNIST(Dataset):
    """The tutorial pipeline: uint8 images converted and normalised one sample at a time."""

    def __init__(self, images: np.ndarray, labels: np.ndarray):
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        x = torch.from_numpy(self.images[i]).float().div(255.0)
        return ((x - MEAN) / STD).unsqueeze(0), int(self.labels[i])


def run_dataloader(train, test, epochs: int, batch_size: int, lr: float, seed: int) -> list[tuple[float, float]]:
    """Train with Dataset + DataLoader; return (elapsed seconds, test accuracy) after each epoch."""
    to_uint8 = lambda s: (s.x.squeeze(1) * 255).round().to(torch.uint8).numpy()  # noqa: E731
    train_ds = PerSampleMNIST(to_uint8(train), train.y.numpy())
    test_ds = PerSampleMNIST(to_uint8(test), test.y.numpy())
    torch.manual_seed(seed)
    model = course.LeNet5()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(train_ds, batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    out, start = [], time.perf_counter()
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for xb, yb in DataLoader(test_ds, batch_size=1000):
                correct += (model(xb).argmax(1) == yb).sum().item()
        out.append((time.perf_counter() - start, correct / len(test_ds)))
    return out


def run_course(train, test, epochs: int, batch_size: int, lr: float, seed: int) -> list[tuple[float, float]]:
    """Train with course.fit on preloaded normalised tensors; return (seconds, test accuracy) per epoch."""
    start = time.perf_counter()
    x, xt = (train.x - MEAN) / STD, (test.x - MEAN) / STD  # normalising is part of the timed work
    torch.manual_seed(seed)
    model = course.LeNet5()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    out = []
    for epoch in range(epochs):  # one epoch per fit call so the test accuracy can be timed per epoch
        course.fit(model, course.Batches(x, train.y, batch_size, shuffle=True, seed=seed + epoch),
                   epochs=1, optimizer=opt, seed=None, progress=False)
        out.append((time.perf_counter() - start, course.evaluate(model, (xt, test.y))["accuracy"]))
    return out


def time_to(curve: list[tuple[float, float]], target: float) -> str:
    """Seconds until test accuracy first reaches `target`, or 'not reached'."""
    return next((f"{s:.1f}" for s, acc in curve if acc >= target), "not reached")


def main() -> None:
    """Run both pipelines and the fast recipe; print the tables."""
    parser = argparse.ArgumentParser(description="course loop vs DataLoader pipeline")
    parser.add_argument("--smoke", action="store_true", help="tiny run on the shipped subset (seconds)")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    threads = course.set_threads(args.threads)
    train, test = digits(full=not args.smoke)
    epochs = 1 if args.smoke else args.epochs
    if args.smoke:
        train.x, train.y, test.x, test.y = train.x[:512], train.y[:512], test.x[:256], test.y[:256]
    print(f"machine: {machine()}; torch threads {threads}; train {len(train.y):,}, test {len(test.y):,}")
    rows = []
    curves = {}
    for name, run in (("course loop", run_course), ("Dataset+DataLoader", run_dataloader)):
        curves[name] = curve = run(train, test, epochs, 128, 1e-3, seed=0)
        rows.append([name, f"{curve[-1][0] / epochs:.2f}", time_to(curve, TARGET),
                     f"{100 * (1 - curve[-1][1]):.2f}%", f"{curve[-1][0]:.1f}"])
    print(table(["pipeline", "s/epoch", f"s to {TARGET:.0%}", "final test error", "total s"], rows))
    ratio = curves["Dataset+DataLoader"][-1][0] / curves["course loop"][-1][0]
    print(f"speed-up of the course loop, end to end: {ratio:.2f}x")

    # The fastest recipe found so far: larger batches and a higher learning rate, stop at the target.
    torch.manual_seed(0)
    model = course.LeNet5()
    x, xt = (train.x - MEAN) / STD, (test.x - MEAN) / STD
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    start, acc, epoch = time.perf_counter(), 0.0, 0
    while acc < TARGET and epoch < (1 if args.smoke else 8):
        course.fit(model, course.Batches(x, train.y, 256, shuffle=True, seed=epoch), epochs=1, optimizer=opt,
                   seed=None, progress=False)
        epoch += 1
        acc = course.evaluate(model, (xt, test.y))["accuracy"]
    print(f"fast recipe (LeNet-5, Adam lr 3e-3, batch 256, stop at {TARGET:.0%}): "
          f"{epoch} epochs, {time.perf_counter() - start:.1f} s, test accuracy {acc:.4f}")


if __name__ == "__main__":
    main()
