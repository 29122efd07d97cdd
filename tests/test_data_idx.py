import gzip

import numpy as np
import pytest

from course.data import idx, read_idx, write_idx
from course.data.mnist import SUBSET_DIR


@pytest.mark.parametrize("dtype", ["u1", "i1", ">i2", "<i2", "i4", "f4", ">f8"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip_all_dtypes(tmp_path, dtype, suffix):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((3, 4, 5)) * 50).astype(dtype)
    path = write_idx(tmp_path / f"a-idx3{suffix}", array)
    back = read_idx(path)
    assert back.shape == array.shape
    assert back.dtype == array.dtype.newbyteorder("=")
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable


def test_header_layout_matches_the_standard(tmp_path):
    labels = np.array([7, 2, 1], dtype=np.uint8)
    path = write_idx(tmp_path / "labels", labels)
    # magic 0x00000801 (ubyte, 1 dim), then the count as big-endian uint32, then the bytes
    assert path.read_bytes() == bytes.fromhex("00000801 00000003 070201")


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    array = np.arange(12, dtype=np.int32).reshape(3, 4)
    raw = tmp_path / "plain.gz"  # misleading name, plain content
    raw.write_bytes(idx.idx_bytes(array))
    packed = tmp_path / "packed"  # no suffix, gzip content
    packed.write_bytes(gzip.compress(idx.idx_bytes(array)))
    np.testing.assert_array_equal(read_idx(raw), array)
    np.testing.assert_array_equal(read_idx(packed), array)


def test_gz_writing_is_reproducible(tmp_path):
    array = np.arange(100, dtype=np.uint8)
    a = write_idx(tmp_path / "a.gz", array).read_bytes()
    b = write_idx(tmp_path / "b.gz", array).read_bytes()
    assert a == b


def test_shipped_subset_files_are_valid_idx():
    images = read_idx(SUBSET_DIR / "mnist" / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(SUBSET_DIR / "mnist" / "t10k-labels-idx1-ubyte.gz")
    assert images.shape == (2000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (2000,) and labels.max() == 9


def _good(tmp_path):
    return idx.idx_bytes(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))


def _expect_damaged(path, *words):
    with pytest.raises(ValueError) as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message
    assert "delete it and download it again" in message
    for word in words:
        assert word in message
    return message


def test_bad_magic(tmp_path):
    path = tmp_path / "bad-magic"
    path.write_bytes(b"\x01\x00" + _good(tmp_path)[2:])
    _expect_damaged(path, "bad magic")


def test_unknown_dtype_code(tmp_path):
    data = bytearray(_good(tmp_path))
    data[2] = 0x0A
    path = tmp_path / "bad-dtype"
    path.write_bytes(bytes(data))
    _expect_damaged(path, "unknown dtype code 0x0A")


def test_truncated_data(tmp_path):
    path = tmp_path / "truncated"
    path.write_bytes(_good(tmp_path)[:-5])
    _expect_damaged(path, "truncated", "(2, 3, 4)")


def test_extra_bytes_are_a_size_mismatch(tmp_path):
    path = tmp_path / "too-long"
    path.write_bytes(_good(tmp_path) + b"\x00")
    _expect_damaged(path, "size mismatch")


def test_dims_disagree_with_size(tmp_path):
    data = bytearray(_good(tmp_path))
    data[4:8] = (3).to_bytes(4, "big")  # claims 3 x 3 x 4 but holds 2 x 3 x 4
    path = tmp_path / "wrong-dims"
    path.write_bytes(bytes(data))
    _expect_damaged(path, "(3, 3, 4)")


def test_header_cut_short(tmp_path):
    for name, data in {"empty": b"", "tiny": b"\x00\x00", "half-header": _good(tmp_path)[:9]}.items():
        path = tmp_path / name
        path.write_bytes(data)
        _expect_damaged(path)


def test_zero_dimensions(tmp_path):
    path = tmp_path / "zero-dims"
    path.write_bytes(bytes([0, 0, 8, 0]))
    _expect_damaged(path, "0 dimensions")


def test_corrupt_gzip(tmp_path):
    packed = bytearray(gzip.compress(idx.idx_bytes(np.arange(5000, dtype=np.int32))))
    flipped = tmp_path / "flipped.gz"
    packed_flipped = packed.copy()
    packed_flipped[len(packed) // 2] ^= 0xFF
    flipped.write_bytes(bytes(packed_flipped))
    _expect_damaged(flipped, "corrupt gzip")
    cut = tmp_path / "cut.gz"
    cut.write_bytes(bytes(packed[: len(packed) // 2]))
    _expect_damaged(cut, "corrupt gzip")


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing-here"):
        read_idx(tmp_path / "nothing-here")


def test_write_rejects_what_idx_cannot_hold(tmp_path):
    with pytest.raises(TypeError, match="int64"):
        write_idx(tmp_path / "x", np.arange(3, dtype=np.int64))
    with pytest.raises(ValueError, match="dimensions"):
        write_idx(tmp_path / "x", np.array(5, dtype=np.uint8))
