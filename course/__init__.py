"""The deep-learning course helper library: set-up, data, models, training, pictures and checks.

import course
device = course.setup(seed=0)
"""

from course._meta import REPO_URL
from course.data import (
    Batches,
    DownloadError,
    GaussianTruth,
    ImageSet,
    augment_shift_rotate,
    circles,
    gaussian_classes,
    load_fashion_mnist,
    load_mnist,
    regression_1d,
    spirals,
    two_moons,
    xor_data,
)

# Device plumbing (available_cpus, idle_cpus, auto_threads, model_device, ...) stays in course.device.
from course.device import get_device, seed_everything, set_threads, setup
from course.models import (
    MLP,
    VAE,
    ConvAutoencoder,
    DenseAutoencoder,
    Discriminator,
    Generator,
    LeNet5,
    LeNet5Classic,
    LinearAutoencoder,
    SmallCNN,
    count_parameters,
    train_gan,
    vae_loss,
)
from course.train import History, accuracy, evaluate, fit

# The sub-modules course.checks, course.viz (matplotlib) and course.widgets (ipywidgets) load when first
# used, not here: `import course` stays cheap, which every grading kernel and script start pays for.
_LAZY = ("checks", "viz", "widgets")


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f"course.{name}")
        globals()[name] = module  # later lookups skip this function
        return module
    raise AttributeError(f"module 'course' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


# The one place the version is written: pyproject.toml reads it from here (dynamic = ["version"]).
__version__ = "0.1.0"

__all__ = [
    "REPO_URL",
    "Batches",
    "DownloadError",
    "GaussianTruth",
    "ImageSet",
    "augment_shift_rotate",
    "circles",
    "gaussian_classes",
    "load_fashion_mnist",
    "load_mnist",
    "regression_1d",
    "spirals",
    "two_moons",
    "xor_data",
    "get_device",
    "seed_everything",
    "set_threads",
    "setup",
    "MLP",
    "VAE",
    "ConvAutoencoder",
    "DenseAutoencoder",
    "Discriminator",
    "Generator",
    "LeNet5",
    "LeNet5Classic",
    "LinearAutoencoder",
    "SmallCNN",
    "count_parameters",
    "train_gan",
    "vae_loss",
    "History",
    "accuracy",
    "evaluate",
    "fit",
    "checks",
    "viz",
    "widgets",
]
