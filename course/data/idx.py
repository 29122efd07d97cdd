"""Read and write IDX files, the simple binary format MNIST is distributed in.

An IDX file is a 4-byte magic number, one big-endian uint32 per dimension, then the
values in big-endian order:

    magic = 0x00 0x00 <dtype code> <number of dimensions>

Files may be gzip-compressed (recognised by their content, not only by the ``.gz`` suffix).
Anything that does not look exactly right raises ``ValueError`` naming the file, because a
half-downloaded or damaged file should never load as if it were fine.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

# dtype code in the magic number -> big-endian numpy dtype
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


def _damaged(path: Path, problem: str) -> ValueError:
    return ValueError(
        f"{path}: {problem}. The file is damaged, incomplete or not an IDX file; "
        "delete it and download it again (or point COURSE_DATA_DIR at a good copy)."
    )


def read_idx_bytes(path: str | Path) -> bytes:
    """Return the decompressed bytes of an IDX file (gzip recognised by its content)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(_GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
        raise _damaged(path, f"corrupt gzip data ({err})") from None


def parse_idx(data: bytes, path: str | Path = "<bytes>") -> np.ndarray:
    """Parse the (decompressed) bytes of an IDX file into a native-byte-order array."""
    path = Path(path)
    if len(data) < 4:
        raise _damaged(path, f"only {len(data)} bytes, too short for an IDX header")
    zero, code, ndim = int.from_bytes(data[:2], "big"), data[2], data[3]
    if zero != 0:
        raise _damaged(path, f"bad magic number {data[:4].hex()} (must start with 0000)")
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise _damaged(path, f"unknown dtype code 0x{code:02X} (known: {known})")
    if ndim == 0:
        raise _damaged(path, "header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise _damaged(path, f"header needs {header} bytes for {ndim} dimensions but the file has {len(data)}")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - header
    if actual < expected:
        raise _damaged(path, f"truncated: dimensions {dims} need {expected} data bytes, found {actual}")
    if actual > expected:
        raise _damaged(path, f"size mismatch: dimensions {dims} need {expected} data bytes, found {actual}")
    array = np.frombuffer(data, dtype=dtype, count=expected // dtype.itemsize, offset=header)
    return array.reshape(dims).astype(dtype.newbyteorder("="))


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (raw or gzip-compressed) into a numpy array, validating it strictly."""
    return parse_idx(read_idx_bytes(path), path)


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode an array as the (uncompressed) bytes of an IDX file."""
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _CODES:
        names = ", ".join(str(dt.newbyteorder("=")) for dt in IDX_DTYPES.values())
        raise TypeError(f"IDX cannot store dtype {array.dtype}; convert the array to one of: {names}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"IDX needs 1 to 255 dimensions, got an array with {array.ndim}")
    if any(d >= 2**32 for d in array.shape):
        raise ValueError(f"IDX dimensions must be below 2**32, got shape {array.shape}")
    code = _CODES[native]
    header = bytes([0, 0, code, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()


def write_idx(path: str | Path, array: np.ndarray, compresslevel: int = 9) -> Path:
    """Write an array as an IDX file (creating folders); a ``.gz`` path is gzip-compressed reproducibly."""
    path = Path(path)
    data = idx_bytes(array)
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=compresslevel, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
