import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from course.data import ImageSet, load_fashion_mnist, load_mnist, read_idx, write_idx
from course.data import download as dl
from course.data import mnist
from course.data.idx import read_idx_bytes

DEV_DATA_DIR = os.environ.get("COURSE_FULL_DATA_DIR")  # the full sets, if given (see conftest.py)
LOADERS = {"mnist": load_mnist, "fashion-mnist": load_fashion_mnist}


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No real data folders, an empty cache, downloads off."""
    for var in ("COURSE_DATA_DIR", "COURSE_DOWNLOAD"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))


def fake_full(folder: Path, split="train", n=30, seed=0, gz=True):
    """Write a small but well-formed set with the standard file names into ``folder``."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    suffix = ".gz" if gz else ""
    stems = dl.FILES[split]
    write_idx(folder / f"{stems[0]}{suffix}", images)
    write_idx(folder / f"{stems[1]}{suffix}", labels)
    return images, labels


# ------------------------------------------------------------------ the shipped subset

@pytest.mark.parametrize("key", LOADERS)
@pytest.mark.parametrize("split, n, full", [("train", 10_000, 60_000), ("test", 2_000, 10_000)])
def test_subset_contents(key, split, n, full):
    data = LOADERS[key](split, size="subset", verbose=False)
    assert isinstance(data, ImageSet) and len(data) == n
    assert data.x.shape == (n, 1, 28, 28) and data.x.dtype == torch.float32
    assert data.y.shape == (n,) and data.y.dtype == torch.int64
    assert 0 <= data.x.min() and data.x.max() <= 1 and data.x.max() > 0.99
    assert torch.bincount(data.y).tolist() == [n // 10] * 10
    assert data.source == f"shipped subset ({n:,} of {full:,})"
    assert data.split == split and len(data.classes) == 10
    assert data.name == {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}[key]


def test_subset_looks_like_mnist():
    x, y = load_mnist(size="subset", verbose=False)
    assert x.mean().item() == pytest.approx(0.1307, abs=0.005)  # the full set's mean pixel
    ones, zeros = x[y == 1].mean(), x[y == 0].mean()
    assert ones < zeros  # a "1" has much less ink than a "0"
    assert load_fashion_mnist(size="subset", verbose=False).classes[9] == "Ankle boot"


def test_subset_matches_its_manifest():
    manifest = json.loads((mnist.SUBSET_DIR / "manifest.json").read_text())
    for key, entry in manifest["datasets"].items():
        for name, info in entry["files"].items():
            path = mnist.SUBSET_DIR / key / name
            assert dl.md5_of(read_idx_bytes(path)) == info["md5"], path
            assert list(read_idx(path).shape) == info["shape"]
        for split, name in entry["indices"].items():
            chosen = read_idx(mnist.SUBSET_DIR / key / name)
            assert np.all(np.diff(chosen) > 0) and chosen[0] >= 0
            assert chosen[-1] < mnist.FULL_SIZES[split]
    total = sum(p.stat().st_size for p in mnist.SUBSET_DIR.glob("*/*.gz"))
    assert total < 8e6


@pytest.mark.skipif(not DEV_DATA_DIR, reason="needs the full sets: set COURSE_DATA_DIR (conftest.py moves it)")
@pytest.mark.parametrize("key", LOADERS)
def test_subset_images_are_the_original_ones(key, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", DEV_DATA_DIR)
    full = LOADERS[key]("test", size="full", verbose=False)
    subset = LOADERS[key]("test", size="subset", verbose=False)
    chosen = torch.from_numpy(read_idx(mnist.SUBSET_DIR / key / "t10k-indices-idx1-int.gz").astype(np.int64))
    assert torch.equal(full.x[chosen], subset.x) and torch.equal(full.y[chosen], subset.y)


# ------------------------------------------------------------------ ImageSet

def test_imageset_unpacks_moves_and_prints_briefly():
    data = load_mnist("test", size="subset", verbose=False)
    x, y = data
    assert x is data.x and y is data.y
    moved = data.to("cpu")
    assert moved is not data and moved.source == data.source
    assert "n=2,000" in repr(data) and "tensor(" not in repr(data)
    assert load_mnist("test", size="subset", device="cpu", verbose=False).x.device.type == "cpu"


def test_verbose_prints_one_line(capsys):
    load_mnist("test", size="subset")
    assert capsys.readouterr().out == "MNIST test: 2,000 images, source: shipped subset (2,000 of 10,000)\n"
    load_fashion_mnist("test", size="auto")
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "shipped subset" in out and "COURSE_DATA_DIR" in out
    load_mnist("test", size="subset", verbose=False)
    assert capsys.readouterr().out == ""


def test_repeated_loads_are_cached_but_independent():
    mnist._read_array.cache_clear()
    a = load_mnist(size="subset", verbose=False)
    hits = mnist._read_array.cache_info().hits
    a.x.zero_()  # a caller scribbling on its copy ...
    b = load_mnist(size="subset", verbose=False)
    assert mnist._read_array.cache_info().hits == hits + 2
    assert b.x.max() > 0.99  # ... does not reach the next caller


# ------------------------------------------------------------------ where the full set comes from

def test_data_dir_argument_comes_first(tmp_path, monkeypatch):
    images, labels = fake_full(tmp_path / "arg" / "mnist", n=30)
    fake_full(tmp_path / "env" / "mnist", n=20)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "env"))
    data = load_mnist(data_dir=tmp_path / "arg", verbose=False)
    assert len(data) == 30 and data.source == f"directory {tmp_path / 'arg' / 'mnist'}"
    np.testing.assert_allclose(data.x[:, 0].numpy(), images / 255, atol=1e-7)
    assert data.y.tolist() == labels.tolist()


def test_environment_then_cache_then_subset(tmp_path, monkeypatch):
    fake_full(tmp_path / "cache" / "mnist", split="test", n=20, gz=False)
    monkeypatch.setitem(dl.MD5, "mnist", {**dl.MD5["mnist"], **{
        stem: dl.md5_of(read_idx_bytes(tmp_path / "cache" / "mnist" / stem)) for stem in dl.FILES["test"]}})
    assert load_mnist("test", verbose=False).source == f"cache {tmp_path / 'cache' / 'mnist'}"
    fake_full(tmp_path / "env" / "mnist", split="test", n=10)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "env"))
    env = load_mnist("test", size="full", verbose=False)
    assert len(env) == 10 and env.source == f"directory {tmp_path / 'env' / 'mnist'} (COURSE_DATA_DIR)"
    # the training split is nowhere but in the subset
    assert load_mnist("train", verbose=False).source.startswith("shipped subset")
    # size="subset" ignores what is available
    assert len(load_mnist("test", size="subset", verbose=False)) == 2_000


def test_other_folder_layouts(tmp_path):
    fake_full(tmp_path / "tv" / "FashionMNIST" / "raw", split="test", n=10, gz=False)
    assert load_fashion_mnist("test", data_dir=tmp_path / "tv", verbose=False).source.endswith("FashionMNIST/raw")
    fake_full(tmp_path / "flat", split="test", n=10)
    assert len(load_mnist("test", data_dir=tmp_path / "flat", verbose=False)) == 10


def test_damaged_cache_file_is_reported(tmp_path):
    fake_full(tmp_path / "cache" / "mnist", split="test", n=10, gz=False)  # md5 differs from the standard
    with pytest.raises(ValueError, match="md5 .* differs from the standard .* delete it"):
        load_mnist("test", size="full", verbose=False)


def test_inconsistent_files_are_reported(tmp_path):
    folder = tmp_path / "d" / "mnist"
    write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((5, 28, 28), np.uint8))
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match="5 images but .* 4 labels"):
        load_mnist("test", data_dir=tmp_path / "d", verbose=False)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((4, 32, 32), np.uint8))
    with pytest.raises(ValueError, match=r"expected uint8 \(N, 28, 28\)"):
        load_mnist("test", data_dir=tmp_path / "d", verbose=False)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((4, 28, 28), np.uint8))
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.full(4, 12, np.uint8))
    with pytest.raises(ValueError, match="labels 0-9"):
        load_mnist("test", data_dir=tmp_path / "d", verbose=False)


def test_full_without_data_explains_the_ways_out():
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(size="full", verbose=False)
    message = str(info.value)
    for hint in ("COURSE_DATA_DIR", "download=True", 'size="subset"', "cache", "not enabled"):
        assert hint in message


def test_missing_data_dir_is_an_error_not_a_fallback(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist(data_dir=tmp_path / "nope", verbose=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="holds no MNIST train files"):
        load_mnist(data_dir=tmp_path / "empty", verbose=False)


def test_env_pointing_nowhere_warns_and_falls_back(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "nope"))
    with pytest.warns(UserWarning, match="not a folder"):
        data = load_mnist("test", verbose=False)
    assert data.source.startswith("shipped subset")


def test_bad_arguments():
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        load_mnist("validation")
    with pytest.raises(ValueError, match="size must be one of"):
        load_mnist(size="small")
    with pytest.raises(ValueError, match='size="subset" always uses the shipped subset'):
        load_mnist(size="subset", data_dir=".")
    with pytest.raises(ValueError, match='size="subset"'):
        load_fashion_mnist(size="subset", download=True)
