import math

import pytest
import torch

from course.data import Batches, augment_shift_rotate


def data(n=103):
    x = torch.arange(n, dtype=torch.float32).reshape(n, 1).repeat(1, 3)
    return x, torch.arange(n)


def epoch(batches):
    return [(xb.clone(), yb.clone()) for xb, yb in batches]


@pytest.mark.parametrize("shuffle", [False, True])
def test_every_sample_exactly_once_per_epoch(shuffle):
    x, y = data()
    batches = Batches(x, y, batch_size=10, shuffle=shuffle, seed=1)
    for _ in range(3):
        seen = torch.cat([yb for _, yb in batches])
        assert sorted(seen.tolist()) == list(range(103))
        for xb, yb in batches:
            assert torch.equal(xb[:, 0].long(), yb)  # rows stay paired with their labels


def test_lengths_and_batch_sizes():
    x, y = data(103)
    b = Batches(x, y, batch_size=10)
    assert len(b) == 11 == len(list(b))
    assert [len(yb) for _, yb in b] == [10] * 10 + [3]
    d = Batches(x, y, batch_size=10, drop_last=True, shuffle=True)
    assert len(d) == 10 == len(list(d))
    assert all(len(yb) == 10 for _, yb in d)
    assert len(Batches(x, y, batch_size=103)) == 1
    assert len(Batches(x, y, batch_size=500)) == 1
    assert b.batch_size == 10 and b.x is x and b.y is y


def test_without_shuffle_order_is_kept():
    x, y = data(25)
    assert torch.equal(torch.cat([yb for _, yb in Batches(x, y, batch_size=7)]), y)


def test_shuffling_is_new_each_epoch_and_reproducible():
    x, y = data()
    a = Batches(x, y, batch_size=16, shuffle=True, seed=7)
    b = Batches(x, y, batch_size=16, shuffle=True, seed=7)
    c = Batches(x, y, batch_size=16, shuffle=True, seed=8)
    a1, a2, b1, b2, c1 = epoch(a), epoch(a), epoch(b), epoch(b), epoch(c)
    order = lambda e: torch.cat([yb for _, yb in e])  # noqa: E731
    assert torch.equal(order(a1), order(b1)) and torch.equal(order(a2), order(b2))
    assert not torch.equal(order(a1), order(a2))
    assert not torch.equal(order(a1), order(c1))
    assert not torch.equal(order(a1), y)


def test_shuffling_ignores_the_global_rng():
    x, y = data()
    torch.manual_seed(0)
    first = torch.cat([yb for _, yb in Batches(x, y, batch_size=16, shuffle=True, seed=3)])
    torch.manual_seed(123)
    second = torch.cat([yb for _, yb in Batches(x, y, batch_size=16, shuffle=True, seed=3)])
    assert torch.equal(first, second)


def test_augment_is_applied_to_each_batch_and_does_not_change_the_order():
    x, y = data(40)
    calls = []

    def plus_one(xb, generator):
        assert isinstance(generator, torch.Generator)
        calls.append(len(xb))
        return xb + 1

    plain = Batches(x, y, batch_size=16, shuffle=True, seed=2)
    augmented = Batches(x, y, batch_size=16, shuffle=True, seed=2, augment=plus_one)
    for (xp, yp), (xa, ya) in zip(plain, augmented):
        assert torch.equal(yp, ya) and torch.equal(xa, xp + 1)
    assert calls == [16, 16, 8]
    assert torch.equal(x, data(40)[0])  # the stored data is never modified


def test_device_moves_data_once():
    x, y = data(10)
    b = Batches(x.double(), y, batch_size=4, device="cpu")
    assert b.x.device.type == "cpu" and b.x.dtype == torch.float64
    assert all(xb.device.type == "cpu" for xb, _ in b)


def test_bad_input_messages():
    x, y = data(10)
    with pytest.raises(ValueError, match="same number of samples, got 10 and 9"):
        Batches(x, y[:9])
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="batch_size must be a positive integer"):
            Batches(x, y, batch_size=bad)
    with pytest.raises(ValueError, match="empty"):
        Batches(x[:0], y[:0])
    with pytest.raises(TypeError, match="torch.as_tensor"):
        Batches(x.numpy(), y)
    with pytest.raises(ValueError, match="no batches"):
        Batches(x, y, batch_size=11, drop_last=True)
    with pytest.raises(TypeError, match="augment must be a function"):
        Batches(x, y, augment="shift")


# ------------------------------------------------------------------ augment_shift_rotate

def images(b=6, h=28, w=28):
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(b, 1, h, w)
    x[:, :, 8:20, 10:18] = torch.rand(b, 1, 12, 8, generator=g)  # content away from the border
    return x


def test_augment_keeps_shape_and_dtype_and_changes_images():
    aug = augment_shift_rotate()
    for dtype in (torch.float32, torch.float64):
        x = images().to(dtype)
        out = aug(x, torch.Generator().manual_seed(1))
        assert out.shape == x.shape and out.dtype == dtype
        changed = (out - x).abs().flatten(1).amax(1) > 1e-3
        assert changed.sum() >= 5  # (almost) every image is moved


def test_augment_is_deterministic_for_a_seeded_generator():
    aug = augment_shift_rotate(2, 15)
    x = images()
    a = aug(x, torch.Generator().manual_seed(4))
    b = aug(x, torch.Generator().manual_seed(4))
    c = aug(x, torch.Generator().manual_seed(5))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_zero_shift_and_rotation_is_the_identity_bit_for_bit():
    x = torch.rand(5, 3, 28, 20, generator=torch.Generator().manual_seed(0))
    for dtype in (torch.float32, torch.float16, torch.float64):
        out = augment_shift_rotate(max_shift=0, max_degrees=0)(x.to(dtype), torch.Generator().manual_seed(0))
        assert out.dtype == dtype and torch.equal(out, x.to(dtype))


class NoFloat64(torch.overrides.TorchFunctionMode):
    """Every torch call refuses float64, as on Apple's MPS: a float64 dtype asked for, or a float64 result."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if any(a is torch.float64 for a in (*args, *kwargs.values())) or getattr(func, "__name__", "") == "double":
            raise TypeError(f"{func.__name__} asked for float64, which this device does not have")
        out = func(*args, **kwargs)
        for value in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(value, torch.Tensor) and value.dtype == torch.float64:
                raise TypeError(f"{func.__name__} made a float64 tensor, which this device does not have")
        return out


def test_the_augmenter_never_uses_float64_so_an_apple_gpu_can_run_it():
    x = torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    with NoFloat64(), pytest.raises(TypeError, match="float64"):
        x.double()  # the guard works: float64 is really unavailable inside it
    with NoFloat64(), pytest.raises(TypeError, match="float64"):
        torch.zeros(2, dtype=torch.float64)
    with NoFloat64():
        moved = augment_shift_rotate(max_shift=2, max_degrees=15)(x, torch.Generator().manual_seed(1))
        still = augment_shift_rotate(max_shift=0, max_degrees=0)(x, torch.Generator().manual_seed(1))
    assert moved.dtype == torch.float32 and not torch.equal(moved, x) and torch.equal(still, x)


def shifted(img, dy, dx):
    """``img`` moved down by dy and right by dx pixels, zeros filling the gap."""
    out = torch.zeros_like(img)
    h, w = img.shape[-2:]
    target = (..., slice(max(dy, 0), h + min(dy, 0)), slice(max(dx, 0), w + min(dx, 0)))
    out[target] = img[..., max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


def test_pure_shifts_are_whole_pixel_moves_within_range():
    x = images(b=20, h=28, w=24)
    out = augment_shift_rotate(max_shift=3, max_degrees=0)(x, torch.Generator().manual_seed(2))
    moves = set()
    for img, res in zip(x, out):
        matches = [(dy, dx) for dy in range(-3, 4) for dx in range(-3, 4)
                   if torch.allclose(shifted(img, dy, dx), res, atol=1e-5)]
        assert len(matches) == 1
        moves.add(matches[0])
    assert len(moves) > 5  # shifts really vary


def test_pure_rotation_keeps_the_distance_from_the_centre():
    # one bright 2x2 block to the right of the centre; a rotation moves it along a circle
    x = torch.zeros(16, 1, 28, 28)
    x[:, :, 13:15, 21:23] = 1.0
    out = augment_shift_rotate(max_shift=0, max_degrees=30)(x, torch.Generator().manual_seed(3))
    grid_y, grid_x = torch.meshgrid(torch.arange(28.0) - 13.5, torch.arange(28.0) - 13.5, indexing="ij")
    mass = out[:, 0].sum((1, 2))
    cy, cx = (out[:, 0] * grid_y).sum((1, 2)) / mass, (out[:, 0] * grid_x).sum((1, 2)) / mass
    torch.testing.assert_close(torch.hypot(cx, cy), torch.full((16,), 8.0), atol=0.25, rtol=0)
    angles = torch.rad2deg(torch.atan2(cy, cx))
    assert angles.abs().max() <= 30.5 and angles.std() > 5
    torch.testing.assert_close(mass, torch.full((16,), 4.0), atol=0.2, rtol=0)


def test_augment_bad_input():
    with pytest.raises(ValueError, match="max_shift"):
        augment_shift_rotate(max_shift=-1)
    with pytest.raises(ValueError, match="max_shift"):
        augment_shift_rotate(max_shift=1.5)
    with pytest.raises(ValueError, match="max_degrees"):
        augment_shift_rotate(max_degrees=-5)
    aug = augment_shift_rotate()
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        aug(torch.zeros(28, 28), None)
    with pytest.raises(TypeError, match="floating point"):
        aug(torch.zeros(2, 1, 28, 28, dtype=torch.uint8), None)


def test_augmented_batches_end_to_end():
    x = images(b=10)
    y = torch.arange(10)
    b = Batches(x, y, batch_size=4, shuffle=True, seed=0, augment=augment_shift_rotate())
    first = epoch(b)
    again = epoch(Batches(x, y, batch_size=4, shuffle=True, seed=0, augment=augment_shift_rotate()))
    assert all(torch.equal(a[0], c[0]) for a, c in zip(first, again))
    assert [xb.shape[0] for xb, _ in first] == [4, 4, 2]
    assert math.isclose(sum(float(xb.sum()) for xb, _ in first), float(x.sum()), rel_tol=0.1)
