"""Device choice, thread count from cgroup quota and affinity, and seeding."""

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from course import device as dev


def _cgroup_v2(tmp_path: Path, text: str) -> Path:
    (tmp_path / "cpu.max").write_text(text)
    return tmp_path


def test_v2_quota_of_one_cpu_gives_one_thread(tmp_path, monkeypatch):
    monkeypatch.setattr(dev.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert dev.available_cpus(_cgroup_v2(tmp_path, "100000 100000\n")) == 1


def test_v2_fractional_quota_rounds_down_but_not_below_one(tmp_path, monkeypatch):
    monkeypatch.setattr(dev.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert dev.available_cpus(_cgroup_v2(tmp_path, "150000 100000\n")) == 1
    assert dev.available_cpus(_cgroup_v2(tmp_path, "50000 100000\n")) == 1
    assert dev.available_cpus(_cgroup_v2(tmp_path, "300000 100000\n")) == 3


def test_unlimited_quota_uses_affinity(tmp_path, monkeypatch):
    monkeypatch.setattr(dev.os, "sched_getaffinity", lambda pid: {0, 1})
    assert dev.available_cpus(_cgroup_v2(tmp_path, "max 100000\n")) == 2
    assert dev.available_cpus(tmp_path / "missing") == 2


def test_affinity_smaller_than_quota_wins(tmp_path, monkeypatch):
    monkeypatch.setattr(dev.os, "sched_getaffinity", lambda pid: {3})
    assert dev.available_cpus(_cgroup_v2(tmp_path, "400000 100000\n")) == 1


def test_v1_quota(tmp_path, monkeypatch):
    monkeypatch.setattr(dev.os, "sched_getaffinity", lambda pid: set(range(8)))
    cpu = tmp_path / "cpu"
    cpu.mkdir()
    (cpu / "cpu.cfs_quota_us").write_text("200000\n")
    (cpu / "cpu.cfs_period_us").write_text("100000\n")
    assert dev.available_cpus(tmp_path) == 2
    (cpu / "cpu.cfs_quota_us").write_text("-1\n")
    assert dev.available_cpus(tmp_path) == 8


def test_set_threads_uses_available_cpus(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setattr(dev, "available_cpus", lambda: 1)
        assert dev.set_threads() == 1
        assert torch.get_num_threads() == 1
        with pytest.raises(ValueError, match="positive whole number"):
            dev.set_threads(0)
    finally:
        torch.set_num_threads(before)


def test_seed_everything_is_reproducible():
    g = dev.seed_everything(123)
    first = (random.random(), np.random.rand(), torch.rand(3), torch.rand(2, generator=g))
    g = dev.seed_everything(123)
    second = (random.random(), np.random.rand(), torch.rand(3), torch.rand(2, generator=g))
    assert first[0] == second[0] and first[1] == second[1]
    assert torch.equal(first[2], second[2]) and torch.equal(first[3], second[3])
    with pytest.raises(ValueError, match="seed"):
        dev.seed_everything(-1)


def test_device_preference_order(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert dev.get_device().type == "mps"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert dev.get_device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert dev.get_device(verbose=True).type == "cpu"
    assert "Colab" in capsys.readouterr().out


def test_setup_reports_and_returns_device(capsys):
    before = torch.get_num_threads()
    try:
        device = dev.setup(seed=3)
    finally:
        torch.set_num_threads(before)
    out = capsys.readouterr().out
    assert isinstance(device, torch.device)
    assert "seed: 3" in out and "torch threads:" in out
