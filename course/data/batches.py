"""Mini-batches from in-memory tensors, and a small random shift/rotation augmenter.

MNIST-sized data fits in memory, so a batch is just a slice (or, when shuffling, an index
into a fresh random permutation). This is much faster than a per-sample ``Dataset`` and easy
to read. Randomness comes from generators seeded once at construction: every epoch gets a
new permutation, and the whole sequence of epochs is the same for the same seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F

from course._validate import check_int, check_positive_int

Augmenter = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


class Batches:
    """Re-iterable mini-batches ``(xb, yb)`` of ``x`` and ``y``, optionally shuffled and augmented."""

    def __init__(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        batch_size: int = 128,
        shuffle: bool = False,
        seed: int = 0,
        augment: Augmenter | None = None,
        drop_last: bool = False,
        device: str | torch.device | None = None,
    ):
        for name, t in (("x", x), ("y", y)):
            if not isinstance(t, torch.Tensor):
                raise TypeError(f"Batches needs torch tensors; {name} is a {type(t).__name__} (use torch.as_tensor)")
            if t.ndim == 0:
                raise ValueError(f"{name} is a scalar; Batches needs one row per sample")
        if len(x) != len(y):
            raise ValueError(f"x and y must have the same number of samples, got {len(x)} and {len(y)}")
        if len(x) == 0:
            raise ValueError("x and y are empty: there is nothing to make batches of")
        check_positive_int(batch_size, "batch_size")
        if drop_last and batch_size > len(x):
            raise ValueError(
                f"drop_last=True with batch_size={batch_size} > {len(x)} samples would give no batches; "
                "use a smaller batch_size or drop_last=False"
            )
        if augment is not None and not callable(augment):
            raise TypeError(f"augment must be a function (xb, generator) -> xb, got {type(augment).__name__}")
        if device is not None:
            x, y = x.to(device), y.to(device)
        self.x, self.y = x, y
        self.batch_size, self.shuffle, self.drop_last, self.augment = batch_size, shuffle, drop_last, augment
        self.generator = torch.Generator().manual_seed(seed)  # permutations
        self.augment_generator = torch.Generator().manual_seed(seed + 1)  # so augmenting leaves the order alone

    def __len__(self) -> int:
        """Number of batches per epoch."""
        n = len(self.x)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """One epoch of ``(xb, yb)``; each new iteration draws a new permutation when shuffling."""
        order = torch.randperm(len(self.x), generator=self.generator).to(self.x.device) if self.shuffle else None
        for i in range(len(self)):
            start, stop = i * self.batch_size, (i + 1) * self.batch_size
            if order is None:
                xb, yb = self.x[start:stop], self.y[start:stop]
            else:
                index = order[start:stop]
                xb, yb = self.x[index], self.y[index]
            if self.augment is not None:
                xb = self.augment(xb, self.augment_generator)
            yield xb, yb

    def __repr__(self) -> str:
        return (
            f"Batches(n={len(self.x):,}, batch_size={self.batch_size}, batches={len(self)}, "
            f"shuffle={self.shuffle}, augment={self.augment is not None}, device={self.x.device})"
        )


def augment_shift_rotate(max_shift: int = 2, max_degrees: float = 10.0) -> Augmenter:
    """An augmenter that randomly shifts (<= ``max_shift`` pixels) and rotates (<= ``max_degrees``) each image."""
    check_int(max_shift, "max_shift", minimum=0, meaning="in pixels")
    if not isinstance(max_degrees, (int, float)) or isinstance(max_degrees, bool) or not 0 <= max_degrees <= 180:
        raise ValueError(f"max_degrees must be a number between 0 and 180, got {max_degrees!r}")

    def shift_rotate(xb: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Randomly shift and rotate each image of ``xb`` (B, C, H, W); empty corners become 0."""
        if not isinstance(xb, torch.Tensor) or xb.ndim != 4:
            raise ValueError(f"expected a batch of images (B, C, H, W), got {getattr(xb, 'shape', type(xb).__name__)}")
        if not xb.is_floating_point():
            raise TypeError(f"images must be floating point, got {xb.dtype} (divide by 255 and convert first)")
        b, _, h, w = xb.shape
        # float32 throughout (Apple's MPS has no float64); float64 images, where a device has them, stay float64
        work = torch.promote_types(xb.dtype, torch.float32)
        # A uniform number in [0, 1) from the low 53 bits of one 64-bit draw: the numbers (and the generator
        # state after them) of torch.rand(dtype=float64), which earlier versions used, without float64.
        unit = torch.randint(0, 2**53, (b,), generator=generator).to(torch.float32) * 2.0**-53
        angle = (unit * 2 - 1) * math.radians(max_degrees)
        shift = torch.randint(-max_shift, max_shift + 1, (b, 2), generator=generator).to(torch.float32)
        cos, sin = torch.cos(angle), torch.sin(angle)
        # affine_grid maps each output position to the input position it reads from, in
        # coordinates scaled to [-1, 1] per axis; the h/w factors keep rotations true on non-square images.
        theta = torch.stack(
            [
                torch.stack([cos, -sin * h / w, -2 * shift[:, 0] / w], dim=1),
                torch.stack([sin * w / h, cos, -2 * shift[:, 1] / h], dim=1),
            ],
            dim=1,
        ).to(device=xb.device, dtype=work)
        grid = F.affine_grid(theta, list(xb.shape), align_corners=False)
        out = F.grid_sample(xb.to(work), grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        # A float32 grid reads ~1e-6 beside each pixel centre, so an image that does not move is passed
        # through as it is: the zero move is an exact identity.
        still = ((angle == 0) & (shift == 0).all(dim=1)).to(xb.device).view(b, 1, 1, 1)
        return torch.where(still, xb, out.to(xb.dtype))

    return shift_rotate
