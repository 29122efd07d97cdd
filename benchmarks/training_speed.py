"""Time to accuracy: the course's in-memory loop against the usual Dataset/DataLoader pipeline.

Both train the same LeNet-5 (modern variant) with the same optimiser, batch size, seed, epochs and shuffled
order on full MNIST (set COURSE_DATA_DIR), in one run on one machine; a third row times the model's own
forward, backward and Adam step with no data handling at all, the floor for any loop. Then a fast recipe
with the course library, over several seeds.
    python benchmarks/training_speed.py            # full MNIST, 8 epochs each
    python benchmarks/training_speed.py --smoke    # shipped subset, a few hundred images, seconds
    python benchmarks/training_speed.py --device cuda   # the same on a GPU (each pipeline as it would run there)
"""

from __future__ import annotations

import argparse
import statistics
import time
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, Sampler

from common import MEAN, STD, course, device_arg, digits, machine, sync, table

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


class SamePermutations(Sampler):
    """Shuffles exactly as course.Batches(seed=...) does, so both pipelines see identical batches."""

    def __init__(self, n: int, seed: int):
        self.n, self.generator = n, torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return self.n

    def __iter__(self):
        return iter(torch.randperm(self.n, generator=self.generator).tolist())


def run_dataloader(train, test, epochs: int, batch_size: int, lr: float, seed: int,
                   device: torch.device) -> list[tuple[float, float]]:
    """Train with Dataset + DataLoader (batches copied to `device`, as tutorials do); return (elapsed seconds,
    test accuracy) after each epoch."""
    to_uint8 = lambda s: (s.x.squeeze(1) * 255).round().to(torch.uint8).numpy()  # noqa: E731
    train_ds = PerSampleMNIST(to_uint8(train), train.y.numpy())
    test_ds = PerSampleMNIST(to_uint8(test), test.y.numpy())
    torch.manual_seed(seed)
    model = course.LeNet5().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(train_ds, batch_size=batch_size, sampler=SamePermutations(len(train_ds), seed))
    out, start = [], time.perf_counter()
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for xb, yb in DataLoader(test_ds, batch_size=1000):
                correct += (model(xb.to(device)).argmax(1).cpu() == yb).sum().item()
        out.append((time.perf_counter() - start, correct / len(test_ds)))
    return out


def run_course(train, test, epochs: int, batch_size: int, lr: float, seed: int,
               device: torch.device) -> list[tuple[float, float]]:
    """Train with course.fit on preloaded normalised tensors (on `device`); return (seconds, test accuracy) per
    epoch."""
    start = time.perf_counter()
    x, xt = (train.x.to(device) - MEAN) / STD, (test.x.to(device) - MEAN) / STD  # normalising is timed work
    torch.manual_seed(seed)
    model = course.LeNet5().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    out, batches = [], course.Batches(x, train.y.to(device), batch_size, shuffle=True, seed=seed)
    for _ in range(epochs):  # one epoch per fit call so the test accuracy can be timed per epoch
        course.fit(model, batches, epochs=1, optimizer=opt, seed=None, progress=False)
        out.append((time.perf_counter() - start, course.evaluate(model, (xt, test.y.to(device)))["accuracy"]))
    return out


def run_compute_only(train, epochs: int, batch_size: int, lr: float, seed: int, device: torch.device) -> float:
    """Seconds per epoch of the model's own work: forward, backward and Adam on ready-made batches, nothing else."""
    x, y = (train.x.to(device) - MEAN) / STD, train.y.to(device)
    batches = [(x[i:i + batch_size].contiguous(), y[i:i + batch_size]) for i in range(0, len(x), batch_size)]
    torch.manual_seed(seed)
    model = course.LeNet5().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    start = time.perf_counter()
    for _ in range(epochs):
        for xb, yb in batches:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    sync(device)
    return (time.perf_counter() - start) / epochs


def fit_overhead(train, rounds: int, batch_size: int, device: torch.device) -> list[list[str]]:
    """fit's time per epoch against the model's own compute, interleaved round by round (the same machine state
    for both), with variants that split the difference: no accuracy metric, and batches taken in order."""
    x, y = (train.x.to(device) - MEAN) / STD, train.y.to(device)
    ready = [(x[i:i + batch_size].contiguous(), y[i:i + batch_size]) for i in range(0, len(x), batch_size)]
    torch.manual_seed(0)
    model = course.LeNet5().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def compute() -> None:
        for xb, yb in ready:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()

    variants = {
        "model compute only (ready batches, in order)": compute,
        "fit (shuffled Batches, accuracy)": lambda: course.fit(
            model, course.Batches(x, y, batch_size, shuffle=True, seed=1), epochs=1, optimizer=opt, seed=None,
            progress=False),
        "fit, metrics=()": lambda: course.fit(
            model, course.Batches(x, y, batch_size, shuffle=True, seed=1), epochs=1, optimizer=opt, seed=None,
            progress=False, metrics=()),
        "fit, Batches in order (shuffle=False)": lambda: course.fit(
            model, course.Batches(x, y, batch_size, shuffle=False), epochs=1, optimizer=opt, seed=None,
            progress=False),
    }
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, run in variants.items():
            sync(device)
            start = time.perf_counter()
            run()
            sync(device)
            seconds[name].append(time.perf_counter() - start)
    base = statistics.median(seconds["model compute only (ready batches, in order)"])
    return [[name, f"{statistics.median(s):.3f}", f"{min(s):.3f}", f"{100 * (statistics.median(s) / base - 1):+.1f}%"]
            for name, s in seconds.items()]


def fast_recipe(train, test, seed: int, epochs: int, device: torch.device) -> tuple[float, float]:
    """LeNet-5 with Adam and a one-cycle learning rate (peak 1e-2), batch 256: (seconds, test accuracy)."""
    start = time.perf_counter()
    x, xt = (train.x.to(device) - MEAN) / STD, (test.x.to(device) - MEAN) / STD
    torch.manual_seed(seed)
    model = course.LeNet5().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    batches = course.Batches(x, train.y.to(device), 256, shuffle=True, seed=seed)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-2, total_steps=epochs * len(batches))
    course.fit(model, batches, epochs=epochs, optimizer=opt, scheduler=sched, seed=None, progress=False, metrics=())
    return time.perf_counter() - start, course.evaluate(model, (xt, test.y.to(device)))["accuracy"]


def time_to(curve: list[tuple[float, float]], target: float) -> str:
    """Seconds until test accuracy first reaches `target`, or 'not reached'."""
    return next((f"{s:.1f}" for s, acc in curve if acc >= target), "not reached")


def main() -> None:
    """Run both pipelines, the compute-only bound and the fast recipe; print the tables."""
    parser = argparse.ArgumentParser(description="course loop vs DataLoader pipeline")
    parser.add_argument("--smoke", action="store_true", help="tiny run on the shipped subset (seconds)")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=3, help="seeds for the fast recipe")
    parser.add_argument("--overhead-rounds", type=int, default=5)
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, mps or auto")
    args = parser.parse_args()
    device = device_arg(args.device)
    threads = course.set_threads(args.threads)
    train, test = digits(full=not args.smoke)
    epochs = 1 if args.smoke else args.epochs
    if args.smoke:
        train.x, train.y, test.x, test.y = train.x[:512], train.y[:512], test.x[:256], test.y[:256]
    print(f"machine: {machine()}; device {device}; torch threads {threads}; train {len(train.y):,}, "
          f"test {len(test.y):,}")
    print(f"LeNet-5 (modern), Adam lr 1e-3, batch 128, seed 0, {epochs} epochs; test accuracy after every epoch")
    run_compute_only(SimpleNamespace(x=train.x[:1024], y=train.y[:1024]), 1, 128, 1e-3, seed=0,
                     device=device)  # warm-up: the first steps allocate and pick kernels
    rows = []
    curves = {}
    for name, run in (("course loop", run_course), ("Dataset+DataLoader", run_dataloader)):
        curves[name] = curve = run(train, test, epochs, 128, 1e-3, seed=0, device=device)
        rows.append([name, f"{curve[-1][0] / epochs:.2f}", time_to(curve, TARGET),
                     f"{100 * (1 - curve[-1][1]):.2f}%", f"{100 * (1 - max(a for _, a in curve)):.2f}%",
                     f"{curve[-1][0]:.1f}"])
    compute = run_compute_only(train, 1 if args.smoke else 2, 128, 1e-3, seed=0, device=device)
    rows.append(["model compute only", f"{compute:.2f}", "-", "-", "-", f"{compute * epochs:.1f}"])
    print(table(["pipeline", "s/epoch", f"s to {TARGET:.0%}", "final test error", "best epoch's error", "total s"],
                rows))
    loader_epoch = curves["Dataset+DataLoader"][-1][0] / epochs
    ratio = curves["Dataset+DataLoader"][-1][0] / curves["course loop"][-1][0]
    print(f"speed-up of the course loop, end to end: {ratio:.2f}x "
          f"(no loop can beat {loader_epoch / compute:.2f}x here: the model's own compute is "
          f"{compute:.2f} of the DataLoader's {loader_epoch:.2f} s per epoch)")

    rounds = 1 if args.smoke else args.overhead_rounds
    print(f"fit's overhead (full epochs, median of {rounds} interleaved rounds; no evaluation inside any of them):")
    print(table(["variant", "s/epoch", "min", "over compute"], fit_overhead(train, rounds, 128, device)))

    recipe_epochs = 1 if args.smoke else 4
    runs = [fast_recipe(train, test, seed, recipe_epochs, device) for seed in range(1 if args.smoke else args.seeds)]
    print(f"fast recipe (LeNet-5, Adam + one-cycle lr peak 1e-2, batch 256, {recipe_epochs} epochs):")
    print(table(["seed", "seconds", "test accuracy"],
                [[seed, f"{s:.1f}", f"{acc:.4f}"] for seed, (s, acc) in enumerate(runs)]))


if __name__ == "__main__":
    main()
