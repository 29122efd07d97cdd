"""Models used in the course: plain nn.Modules that run on whatever device their parameters are on."""

from .autoencoders import ConvAutoencoder, DenseAutoencoder, LinearAutoencoder
from .cnn import ConvBlock, SmallCNN
from .gan import Discriminator, Generator, train_gan
from .lenet import LeNet5, LeNet5Classic
from .mlp import MLP
from .utils import ACTIVATIONS, count_parameters, eval_mode
from .vae import VAE, gaussian_kl, vae_loss

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "LeNet5",
    "LeNet5Classic",
    "ConvBlock",
    "SmallCNN",
    "DenseAutoencoder",
    "LinearAutoencoder",
    "ConvAutoencoder",
    "VAE",
    "vae_loss",
    "gaussian_kl",
    "Generator",
    "Discriminator",
    "train_gan",
    "count_parameters",
    "eval_mode",
]
