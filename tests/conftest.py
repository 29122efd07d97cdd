"""Fixtures shared by the test modules."""

import pytest
import torch


@pytest.fixture
def seed_and_one_thread():
    """Seed torch and train on one thread (tiny tensors: more threads only add waiting) for one test."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def one_thread_per_module():
    """One torch thread for a whole module, as the notebooks whose claims it checks use."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
