"""Load MNIST and Fashion-MNIST as float tensors, from wherever they are available.

Where the images come from, in order:

1. the ``data_dir`` argument (a folder holding ``mnist/`` and ``fashion-mnist/``),
2. the environment variable ``COURSE_DATA_DIR`` (same layout),
3. the user cache ``~/.cache/course/<name>/`` (``COURSE_CACHE_DIR`` overrides the root),
4. a download from the standard mirrors, only with ``download=True`` or ``COURSE_DOWNLOAD=1``,
5. the real-image subset shipped with the course (10,000 train / 2,000 test images).

``size="subset"`` always uses 5 (reproducible, works offline); ``size="full"`` uses 1-4 and
fails loudly rather than silently shrinking; ``size="auto"`` takes the full set if it is at
hand and otherwise the subset, and says which.
"""

from __future__ import annotations

import functools
import os
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from .download import FILES, MD5, DownloadError, cache_root, fetch_idx, md5_of
from .idx import parse_idx, read_idx_bytes

SUBSET_DIR = Path(__file__).parent / "subset"
TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}
TORCHVISION_DIRS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}  # <root>/<this>/raw/ layout
CLASSES = {
    "mnist": [str(d) for d in range(10)],
    "fashion-mnist": [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ],
}
FULL_SIZES = {"train": 60_000, "test": 10_000}
SIZES = ("auto", "full", "subset")


@dataclass(repr=False)
class ImageSet:
    """Images ``x`` (N,1,28,28) float32 in [0,1] and labels ``y`` (N,) int64, plus where they came from."""

    x: torch.Tensor
    y: torch.Tensor
    classes: list[str]
    source: str
    name: str
    split: str

    def __iter__(self):
        """Yield ``x`` then ``y``, so that ``x, y = load_mnist()`` works."""
        yield self.x
        yield self.y

    def __len__(self) -> int:
        """Number of images."""
        return len(self.y)

    def to(self, device: str | torch.device) -> ImageSet:
        """A copy with ``x`` and ``y`` on ``device``."""
        return replace(self, x=self.x.to(device), y=self.y.to(device))

    def __repr__(self) -> str:
        return (
            f"ImageSet(name={self.name!r}, split={self.split!r}, n={len(self):,}, "
            f"x={tuple(self.x.shape)} on {self.x.device}, source={self.source!r})"
        )


# ---------------------------------------------------------------- reading, cached in memory


@functools.lru_cache(maxsize=16)
def _read_array(path: str, stamp: tuple[int, int], md5: str | None) -> np.ndarray:
    data = read_idx_bytes(path)
    if md5 is not None and md5_of(data) != md5:
        raise ValueError(
            f"{path}: md5 {md5_of(data)} differs from the standard {md5}. The file is damaged or "
            "not the standard one; delete it and download it again."
        )
    array = parse_idx(data, path)
    array.flags.writeable = False  # shared between calls: nobody may modify it
    return array


def read_cached(path: Path, md5: str | None = None) -> np.ndarray:
    """Read an IDX file once per process (re-read if the file changes); optionally check its md5."""
    st = path.stat()
    return _read_array(str(path), (st.st_mtime_ns, st.st_size), md5)


def _read_pair(key: str, images: Path, labels: Path, check_md5: bool) -> tuple[torch.Tensor, torch.Tensor]:
    md5s = MD5[key] if check_md5 else {}
    x = read_cached(images, md5s.get(images.name.removesuffix(".gz")))
    y = read_cached(labels, md5s.get(labels.name.removesuffix(".gz")))
    problems = []
    if x.ndim != 3 or x.shape[1:] != (28, 28) or x.dtype != np.uint8:
        problems.append(f"{images} holds {x.dtype} {x.shape}, expected uint8 (N, 28, 28)")
    if y.ndim != 1 or y.dtype != np.uint8 or (y.size and y.max() > 9):
        problems.append(f"{labels} is not a vector of labels 0-9 (got {y.dtype} {y.shape})")
    if not problems and len(x) != len(y):
        problems.append(f"{images} has {len(x)} images but {labels} has {len(y)} labels")
    if problems:
        raise ValueError("; ".join(problems) + ". Delete the damaged files and download them again.")
    x_t = torch.from_numpy(x.astype(np.float32)).div_(255.0).unsqueeze(1)
    return x_t, torch.from_numpy(y.astype(np.int64))


# ---------------------------------------------------------------- finding the files


def _find_in(folder: Path, split: str) -> tuple[Path, Path] | None:
    """The split's images and labels files in ``folder`` (raw or .gz), or None."""
    found = []
    for stem in FILES[split]:
        candidates = [folder / stem, folder / f"{stem}.gz"]
        path = next((c for c in candidates if c.is_file()), None)
        if path is None:
            return None
        found.append(path)
    return found[0], found[1]


def _search(root: Path, key: str, split: str) -> tuple[tuple[Path, Path] | None, list[Path]]:
    folders = [root / key, root / TORCHVISION_DIRS[key] / "raw", root]
    for folder in folders:
        paths = _find_in(folder, split)
        if paths:
            return paths, folders
    return None, folders


def _wants_download(download: bool) -> bool:
    return download or os.environ.get("COURSE_DOWNLOAD", "").strip().lower() in ("1", "true", "yes")


class _NotFound(Exception):
    """The full set is not available; ``tried`` says where we looked, ``error`` why a download failed."""

    def __init__(self, tried: list[str], error: DownloadError | None = None):
        super().__init__("; ".join(tried))
        self.tried, self.error = tried, error


def _locate_full(key: str, split: str, data_dir, download: bool, verbose: bool) -> tuple[tuple[Path, Path], str, bool]:
    """Find the full set's files: ((images, labels), source, whether to check the standard md5s).

    Files in the cache are checked against the standard md5s (the cache is ours to keep clean);
    files in a folder the user points at are only checked for structure.
    """
    title, stems = TITLES[key], " and ".join(f"{s}[.gz]" for s in FILES[split])
    if data_dir is not None:
        root = Path(data_dir).expanduser()
        if not root.is_dir():
            raise FileNotFoundError(
                f"data_dir {root} does not exist or is not a folder. Pass a folder holding {key}/ "
                f"with the standard IDX files, or leave data_dir=None."
            )
        paths, folders = _search(root, key, split)
        if paths is None:
            raise FileNotFoundError(
                f"data_dir {root} holds no {title} {split} files: looked for {stems} in "
                + ", ".join(str(f) for f in folders)
            )
        return paths, f"directory {paths[0].parent}", False
    tried = []
    env = os.environ.get("COURSE_DATA_DIR")
    if env:
        root = Path(env).expanduser()
        if not root.is_dir():
            warnings.warn(f"COURSE_DATA_DIR={env} is not a folder; ignoring it", stacklevel=4)
        paths, _ = _search(root, key, split)
        if paths:
            return paths, f"directory {paths[0].parent} (COURSE_DATA_DIR)", False
        tried.append(f"COURSE_DATA_DIR={env} (no {stems})")
    else:
        tried.append("COURSE_DATA_DIR (not set)")
    cache = cache_root() / key
    paths = _find_in(cache, split)
    if paths:
        return paths, f"cache {cache}", True
    tried.append(f"cache {cache} (no {stems})")
    if not _wants_download(download):
        raise _NotFound(tried + ["download (not enabled)"])
    try:
        images, labels = (fetch_idx(key, stem, cache, verbose=verbose) for stem in FILES[split])
    except DownloadError as err:
        raise _NotFound(tried + [f"download (failed: {err.attempts[-1][1] if err.attempts else err})"], err) from None
    return (images, labels), f"download into cache {cache}", True


# ---------------------------------------------------------------- the loaders


def _subset(key: str, split: str) -> tuple[torch.Tensor, torch.Tensor, str]:
    folder = SUBSET_DIR / key
    paths = [folder / f"{stem}.gz" for stem in FILES[split]]
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(
                f"the shipped subset file {path} is missing; the installation is incomplete, "
                "reinstall the course package."
            )
    x, y = _read_pair(key, paths[0], paths[1], check_md5=False)
    return x, y, f"shipped subset ({len(y):,} of {FULL_SIZES[split]:,})"


def _load(key: str, split: str, size: str, data_dir, download: bool, device, verbose: bool) -> ImageSet:
    title = TITLES[key]
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, got {size!r}")
    if size == "subset" and (data_dir is not None or download):
        raise ValueError(
            'size="subset" always uses the shipped subset; drop data_dir/download, or use size="auto" or size="full"'
        )
    note = ""
    if size == "subset":
        x, y, source = _subset(key, split)
    else:
        try:
            (images, labels), source, check_md5 = _locate_full(key, split, data_dir, download, verbose)
        except _NotFound as missing:
            if size == "full":
                raise FileNotFoundError(
                    f"the full {title} {split} set was not found. Tried: {missing}. Ways out: "
                    f"(1) set COURSE_DATA_DIR to a folder holding {key}/ with the standard IDX files, "
                    "(2) pass download=True (or set COURSE_DOWNLOAD=1) to fetch it into the cache, "
                    f'or (3) use size="subset" for the shipped {split} subset.'
                ) from missing.error
            if missing.error is not None:
                warnings.warn(f"{missing.error}\nUsing the shipped subset instead.", stacklevel=3)
            x, y, source = _subset(key, split)
            note = f"; for all {FULL_SIZES[split]:,} set COURSE_DATA_DIR or pass download=True"
        else:
            x, y = _read_pair(key, images, labels, check_md5)
    result = ImageSet(x=x, y=y, classes=list(CLASSES[key]), source=source, name=title, split=split)
    if device is not None:
        result = result.to(device)
    if verbose:
        print(f"{title} {split}: {len(result):,} images, source: {source}{note}")
    return result


def load_mnist(
    split: str = "train",
    size: str = "auto",
    data_dir: str | Path | None = None,
    download: bool = False,
    device: str | torch.device | None = None,
    verbose: bool = True,
) -> ImageSet:
    """MNIST digits as an ImageSet; ``size`` is "auto", "full" or "subset" (see the module docstring)."""
    return _load("mnist", split, size, data_dir, download, device, verbose)


def load_fashion_mnist(
    split: str = "train",
    size: str = "auto",
    data_dir: str | Path | None = None,
    download: bool = False,
    device: str | torch.device | None = None,
    verbose: bool = True,
) -> ImageSet:
    """Fashion-MNIST clothing images as an ImageSet; ``size`` is "auto", "full" or "subset"."""
    return _load("fashion-mnist", split, size, data_dir, download, device, verbose)
