"""Data for the course: toy 2-D sets, MNIST / Fashion-MNIST loaders, IDX files and mini-batches."""

from . import idx
from .batches import Batches, augment_shift_rotate
from .download import MIRRORS, DownloadError, cache_root, download_file, fetch_idx
from .idx import read_idx, write_idx
from .mnist import ImageSet, load_fashion_mnist, load_mnist
from .toy import GaussianTruth, circles, gaussian_classes, regression_1d, spirals, two_moons, xor_data

__all__ = [
    "idx",
    "Batches",
    "augment_shift_rotate",
    "MIRRORS",
    "DownloadError",
    "cache_root",
    "download_file",
    "fetch_idx",
    "read_idx",
    "write_idx",
    "ImageSet",
    "load_mnist",
    "load_fashion_mnist",
    "GaussianTruth",
    "gaussian_classes",
    "xor_data",
    "two_moons",
    "circles",
    "spirals",
    "regression_1d",
]
