"""Device choice, thread count from cgroup quota and affinity, and seeding."""

import random
import sys
import types
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


def _stat(idle: int, busy: int, cpus: int = 2) -> str:
    """A /proc/stat text: aggregate line (user nice system idle iowait irq softirq steal) and per-CPU lines."""
    per_cpu = "".join(f"cpu{i} 0 0 0 0 0 0 0 0\n" for i in range(cpus))
    return f"cpu  {busy} 0 0 {idle} 0 0 0 0 0 0\n{per_cpu}intr 1 2 3\n"


def _idle_between(tmp_path, monkeypatch, first: str, second: str) -> float | None:
    """idle_cpus() on a fake /proc/stat whose text changes from `first` to `second` while it waits."""
    stat = tmp_path / "stat"
    stat.write_text(first)
    monkeypatch.setattr(dev.time, "sleep", lambda seconds: stat.write_text(second))
    return dev.idle_cpus(stat=stat)


def test_idle_cpus_from_two_samples(tmp_path, monkeypatch):
    # 2 CPUs, 100 ticks pass: 50 idle, 50 busy -> one CPU's worth idle
    assert _idle_between(tmp_path, monkeypatch, _stat(1000, 1000), _stat(1050, 1050)) == pytest.approx(1.0)
    # quiet machine: 98 of 100 ticks idle -> 1.96 CPUs
    assert _idle_between(tmp_path, monkeypatch, _stat(0, 0), _stat(98, 2)) == pytest.approx(1.96)
    # 8 CPUs, all busy
    assert _idle_between(tmp_path, monkeypatch, _stat(0, 0, 8), _stat(0, 800, 8)) == pytest.approx(0.0)


def test_idle_cpus_unknown_gives_none(tmp_path, monkeypatch):
    assert dev.idle_cpus(stat=tmp_path / "missing") is None  # no /proc/stat (macOS, Windows)
    assert _idle_between(tmp_path, monkeypatch, "garbage\n", "garbage\n") is None
    assert _idle_between(tmp_path, monkeypatch, _stat(5, 5), _stat(5, 5)) is None  # no time passed


@pytest.mark.parametrize("available, idle, expected", [
    (2, 1.96, 2),   # quiet 2-core machine: both
    (2, 1.0, 1),    # one core kept busy by another process: one thread
    (2, 0.1, 1),    # everything busy: still one
    (1, 1.9, 1),    # 1-CPU quota (mybinder.org) wins over an idle host
    (4, None, 4),   # idle time unknown: the CPUs available
])
def test_auto_threads_uses_available_and_idle(monkeypatch, available, idle, expected):
    monkeypatch.setattr(dev, "available_cpus", lambda: available)
    monkeypatch.setattr(dev, "idle_cpus", lambda: idle)
    assert dev.auto_threads() == expected


def test_set_threads_uses_available_cpus(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setattr(dev, "available_cpus", lambda: 1)
        assert dev.set_threads() == 1
        assert torch.get_num_threads() == 1
        with pytest.raises(ValueError, match="must be a positive integer"):
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


def test_device_preference_order(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert dev.get_device().type == "mps"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert dev.get_device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert dev.get_device().type == "cpu"


@pytest.fixture
def cpu_only(monkeypatch):
    """No accelerator, and not on Colab unless the test says so."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    before = torch.get_num_threads()
    yield monkeypatch
    torch.set_num_threads(before)


@pytest.mark.parametrize("report", [lambda: dev.get_device(verbose=True), lambda: dev.setup(seed=0)],
                         ids=["get_device", "setup"])
def test_the_colab_gpu_hint_is_printed_only_on_colab(cpu_only, capsys, report):
    assert report().type == "cpu"
    away = capsys.readouterr().out
    assert "Device: cpu" in away and dev.COLAB_GPU_HINT not in away and "Colab" not in away
    cpu_only.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert report().type == "cpu"
    assert dev.COLAB_GPU_HINT in capsys.readouterr().out


def test_no_gpu_hint_on_colab_with_a_gpu(cpu_only, capsys):
    cpu_only.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    cpu_only.setattr(torch.cuda, "is_available", lambda: True)
    assert dev.get_device(verbose=True).type == "cuda"
    assert "Colab" not in capsys.readouterr().out


def test_setup_reports_and_returns_device(capsys):
    before = torch.get_num_threads()
    try:
        device = dev.setup(seed=3)
    finally:
        torch.set_num_threads(before)
    out = capsys.readouterr().out
    assert isinstance(device, torch.device)
    assert "seed: 3" in out and "torch threads:" in out


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="needs Linux /proc/stat")
def test_idle_cpus_on_this_machine_is_between_zero_and_cpu_count():
    idle = dev.idle_cpus(interval=0.05)
    assert idle is not None and 0.0 <= idle <= (dev.os.cpu_count() or 1) + 1e-9
    assert 1 <= dev.auto_threads() <= dev.available_cpus()
