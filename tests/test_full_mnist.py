"""Lecture 07's headline claim on full MNIST: LeNet-5 reaches at most 0.95% test error, and at most 0.8% when
trained on distorted copies (LeCun et al., 1998, report 0.95% and 0.8%).

The 60,000 training images are not shipped, so these tests run only where the full sets are given through
COURSE_DATA_DIR (conftest.py moves it to COURSE_FULL_DATA_DIR so that the rest of the suite keeps the subset);
`.ci/run` sets it when the project's data folder is next to the clone. Otherwise they skip and say why.

The recipe is the lecture's, shortened for a test: Adam with a one-cycle schedule (peak 1e-2), batch 256, inputs
normalised with MNIST's mean and standard deviation, and for the distortions random shifts of up to 2 pixels and
rotations of up to 10 degrees. Measured on 2 CPU cores (seed 0): 0.74% after 5 epochs in 25-30 s, and 0.63% with
distortions after 8 epochs in about 47 s (seed 1: 0.72% and 0.76% after 6 epochs).
"""

import os
import time

import pytest
import torch

import course

FULL_DATA_DIR = os.environ.get("COURSE_FULL_DATA_DIR")
MEAN, STD = 0.1307, 0.3081

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not FULL_DATA_DIR, reason="needs full MNIST: set COURSE_DATA_DIR to a folder with mnist/"),
]


@pytest.fixture(scope="module")
def full_mnist():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_DATA_DIR", FULL_DATA_DIR)
        train = course.load_mnist("train", size="full", verbose=False)
        test = course.load_mnist("test", size="full", verbose=False)
    assert (len(train), len(test)) == (60_000, 10_000)
    threads = torch.get_num_threads()
    course.set_threads(2)  # the README's machine: 2 cores
    yield (train.x - MEAN) / STD, train.y, (test.x - MEAN) / STD, test.y
    torch.set_num_threads(threads)


def train_lenet(data, epochs: int, distort: bool, seed: int = 0) -> tuple[float, float]:
    """Train LeNet-5 with the lecture's recipe; return the test error in percent and the seconds it took."""
    x, y, x_test, y_test = data
    start = time.perf_counter()
    torch.manual_seed(seed)
    model = course.LeNet5()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    augment = course.augment_shift_rotate(2, 10) if distort else None
    batches = course.Batches(x, y, 256, shuffle=True, seed=seed, augment=augment)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=epochs * len(batches))
    course.fit(
        model, batches, epochs=epochs, optimizer=optimizer, scheduler=schedule, seed=None, progress=False, metrics=()
    )
    error = 100 * (1 - course.evaluate(model, (x_test, y_test))["accuracy"])
    return error, time.perf_counter() - start


def test_lenet5_full_mnist_error_at_most_0_95_percent(full_mnist):
    error, seconds = train_lenet(full_mnist, epochs=5, distort=False)
    print(f"\nLeNet-5, full MNIST, 5 epochs: test error {error:.2f}% in {seconds:.1f} s (claim: <= 0.95%)")
    assert error <= 0.95


def test_lenet5_with_distortions_at_most_0_8_percent(full_mnist):
    error, seconds = train_lenet(full_mnist, epochs=8, distort=True)
    print(f"\nLeNet-5, full MNIST, distortions, 8 epochs: test error {error:.2f}% in {seconds:.1f} s (claim: <= 0.8%)")
    assert error <= 0.8
