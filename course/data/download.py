"""Download the standard MNIST / Fashion-MNIST files safely.

Each file is fetched from a list of mirrors (a few attempts per mirror, waiting a little
longer after each failure), gunzipped, and its md5 compared with the published checksum of
the *decompressed* file. Only then is it written into the cache, through a temporary file
in the same folder and ``os.replace``, so an interrupted or corrupted download never leaves
behind a file that a later run would load.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import os
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from pathlib import Path

from course._validate import check_positive_int

MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    "fashion-mnist": (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
    ),
}

FILES: dict[str, tuple[str, str]] = {  # split -> (images, labels), standard names without ".gz"
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

MD5: dict[str, dict[str, str]] = {  # md5 of the decompressed files
    "mnist": {
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
    },
}

OFFLINE_HINT = (
    "To work offline, copy the standard IDX files into a folder holding mnist/ and "
    "fashion-mnist/ and set the environment variable COURSE_DATA_DIR to it, "
    'or use size="subset" (the real-image subset shipped with the course).'
)


class DownloadError(ConnectionError):
    """Every mirror failed; ``attempts`` lists (url, error message) for each try."""

    def __init__(self, message: str, attempts: list[tuple[str, str]]):
        super().__init__(message)
        self.attempts = attempts


def cache_root() -> Path:
    """Folder for downloaded data: $COURSE_CACHE_DIR, else ~/.cache/course (or $XDG_CACHE_HOME/course)."""
    if os.environ.get("COURSE_CACHE_DIR"):
        return Path(os.environ["COURSE_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "course"


def md5_of(data: bytes) -> str:
    """Hex md5 digest of some bytes."""
    return hashlib.md5(data).hexdigest()


def atomic_write(path: str | Path, data: bytes) -> Path:
    """Write bytes so that ``path`` either holds all of them or is left untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def _get(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "deep-learning-course"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()  # raises IncompleteRead if fewer bytes than Content-Length arrive


def _unpack_and_check(data: bytes, md5: str | None) -> bytes:
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            raise ValueError(f"corrupt gzip data ({err})") from None
    if md5 is not None and md5_of(data) != md5:
        raise ValueError(f"md5 mismatch: got {md5_of(data)}, expected {md5}")
    return data


def _permanent(err: Exception) -> bool:
    """A 4xx answer (other than timeout / too many requests) will not change on retry."""
    return isinstance(err, urllib.error.HTTPError) and 400 <= err.code < 500 and err.code not in (408, 429)


def download_file(
    urls: Sequence[str],
    dest: str | Path,
    md5: str | None = None,
    *,
    retries: int = 3,
    timeout: float = 30.0,
    backoff: float = 1.0,
    verbose: bool = False,
) -> Path:
    """Fetch the first URL that works, gunzip, check the md5 and write ``dest`` atomically."""
    if isinstance(urls, str):
        urls = [urls]
    if not urls:
        raise ValueError("download_file needs at least one URL")
    check_positive_int(retries, "retries")
    dest = Path(dest)
    attempts: list[tuple[str, str]] = []
    for url in urls:
        for attempt in range(retries):
            if attempt:
                time.sleep(backoff * 2 ** (attempt - 1))
            if verbose:
                print(f"downloading {url}" + (f" (attempt {attempt + 1})" if attempt else ""))
            try:
                data = _unpack_and_check(_get(url, timeout), md5)
            except (OSError, http.client.HTTPException, ValueError) as err:
                attempts.append((url, f"{type(err).__name__}: {err}"))
                if _permanent(err):
                    break
                continue
            return atomic_write(dest, data)
    tried = "\n".join(f"  {url} -> {msg}" for url, msg in attempts)
    raise DownloadError(f"could not download {dest.name}; tried:\n{tried}\n{OFFLINE_HINT}", attempts)


def fetch_idx(
    name: str,
    filename: str,
    cache_dir: str | Path | None = None,
    *,
    mirrors: Sequence[str] | None = None,
    md5: str | None = None,
    retries: int = 3,
    timeout: float = 30.0,
    backoff: float = 1.0,
    verbose: bool = False,
) -> Path:
    """Path of the verified, decompressed standard file ``filename`` of ``name`` in the cache; downloads if needed."""
    if name not in MIRRORS:
        raise ValueError(f"unknown data set {name!r}; expected one of {sorted(MIRRORS)}")
    if filename not in MD5[name]:
        raise ValueError(f"unknown file {filename!r} for {name}; expected one of {sorted(MD5[name])}")
    md5 = MD5[name][filename] if md5 is None else md5
    mirrors = MIRRORS[name] if mirrors is None else mirrors
    dest = Path(cache_dir) if cache_dir is not None else cache_root() / name
    dest = dest / filename
    if dest.is_file() and md5_of(dest.read_bytes()) == md5:
        return dest
    urls = [m.rstrip("/") + "/" + filename + ".gz" for m in mirrors]
    return download_file(urls, dest, md5, retries=retries, timeout=timeout, backoff=backoff, verbose=verbose)
