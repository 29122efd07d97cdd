"""The 1998 MNIST table, reproduced: test error of the classic models on full MNIST, over several seeds.

    COURSE_DATA_DIR=/path/to/data python benchmarks/mnist_1998.py [--seeds 3] [--minutes 10]
    python benchmarks/mnist_1998.py --smoke      # shipped subset, tiny budget, seconds
    ... --device cuda                            # on a GPU: data, model and distortions all on the device
Source figures (LeCun et al. 1998): 2-layer 300 hidden, squared loss 4.7%, with distortions 3.6%;
LeNet-5 0.95%, with distortions 0.8%.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import MEAN, STD, course, device_arg, digits, machine, table


def squared_loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Squared error between sigmoid outputs and one-hot targets, as in the 1998 fully connected nets."""
    return ((torch.sigmoid(out) - F.one_hot(y, 10).to(out.dtype)) ** 2).sum(dim=1).mean()


MODELS = {
    # name: (model factory, loss, distortions, source test error %, epochs, batch size, learning rate)
    "2-layer FC 300, sigmoid, squared loss": (lambda: course.MLP(784, [300], 10, activation="sigmoid"),
                                              squared_loss, False, 4.7, 30, 64, 1e-3),
    "2-layer FC 300, with distortions": (lambda: course.MLP(784, [300], 10, activation="sigmoid"),
                                 squared_loss, True, 3.6, 40, 64, 1e-3),
    "LeNet-5 (modern)": (course.LeNet5, F.cross_entropy, False, 0.95, 10, 128, 1e-3),
    "LeNet-5, with distortions": (course.LeNet5, F.cross_entropy, True, 0.8, 15, 128, 1e-3),
}


def train_one(make: object, loss_fn: object, distort: bool, epochs: int, batch_size: int, lr: float,
              seconds: float, seed: int, train, test, device: torch.device) -> tuple[float, int, float]:
    """Train within a time budget with a step-decayed learning rate; return (test error %, epochs, seconds)."""
    torch.manual_seed(seed)
    model: nn.Module = make().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=max(1, epochs // 3), gamma=0.3)
    x = (train.x.to(device) - MEAN) / STD
    augment = course.augment_shift_rotate(2, 10) if distort else None
    batches = course.Batches(x, train.y.to(device), batch_size, shuffle=True, seed=seed, augment=augment)
    start, done = time.perf_counter(), 0
    while done < epochs and time.perf_counter() - start < seconds:
        course.fit(model, batches, epochs=1, optimizer=opt, loss_fn=loss_fn, metrics=(), seed=None, progress=False)
        sched.step()
        done += 1
    acc = course.evaluate(model, ((test.x.to(device) - MEAN) / STD, test.y.to(device)), loss_fn=loss_fn)["accuracy"]
    return 100 * (1 - acc), done, time.perf_counter() - start


def main() -> None:
    """Train every model for every seed and print the table."""
    parser = argparse.ArgumentParser(description="1998 MNIST table")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=10.0, help="time budget per model and seed")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--only", default=None, help="run only models whose name contains this text")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, mps or auto")
    args = parser.parse_args()
    device = device_arg(args.device)
    course.set_threads()
    train, test = digits(full=not args.smoke)
    seeds = 1 if args.smoke else args.seeds
    if args.smoke:
        train.x, train.y, test.x, test.y = train.x[:512], train.y[:512], test.x[:256], test.y[:256]
    print(f"machine: {machine()}; device {device}; train {len(train.y):,}, test {len(test.y):,}")
    rows = []
    for name, (make, loss_fn, distort, source, epochs, bs, lr) in MODELS.items():
        if args.only and args.only not in name:
            continue
        runs = [train_one(make, loss_fn, distort, 1 if args.smoke else epochs, bs, lr,
                          60 * args.minutes, seed, train, test, device) for seed in range(seeds)]
        errors = [r[0] for r in runs]
        spread = statistics.stdev(errors) if len(errors) > 1 else 0.0
        rows.append([name, f"{source:.2f}%", f"{statistics.mean(errors):.2f}% +- {spread:.2f}",
                     f"{min(errors):.2f}-{max(errors):.2f}", runs[0][1], f"{statistics.mean(r[2] for r in runs):.0f}",
                     "yes" if statistics.mean(errors) <= source else "no"])
        print(table(["model", "source", "test error (mean +- sd)", "range", "epochs", "s/run", "<= source"],
                    rows[-1:]), flush=True)
    print()
    print(table(["model", "source", "test error (mean +- sd)", "range", "epochs", "s/run", "<= source"], rows))


if __name__ == "__main__":
    main()
