"""Tests for the MLP, SmallCNN, the autoencoders and count_parameters."""

import pytest
import torch
import torch.nn as nn

from course.models import (
    MLP,
    ConvAutoencoder,
    DenseAutoencoder,
    LinearAutoencoder,
    SmallCNN,
    count_parameters,
)


pytestmark = pytest.mark.usefixtures("seed_and_one_thread")


def test_count_parameters_trainable_and_all():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))  # 16 + 10
    assert count_parameters(model) == 26
    model[0].weight.requires_grad_(False)
    assert count_parameters(model) == 14
    assert count_parameters(model, trainable_only=False) == 26


def test_count_parameters_rejects_non_modules():
    with pytest.raises(TypeError, match="nn.Module"):
        count_parameters(torch.zeros(3))


def test_mlp_shapes_and_parameter_count():
    model = MLP(784, [32, 16], 10)
    assert count_parameters(model) == 784 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10
    assert [tuple(l.weight.shape) for l in model.linears] == [(32, 784), (16, 32), (10, 16)]
    assert model(torch.rand(5, 1, 28, 28)).shape == (5, 10)  # images are flattened


def test_mlp_without_hidden_layers_is_one_linear_map():
    model = MLP(2, [], 3)
    x = torch.randn(4, 2)
    lin = model.linears[0]
    torch.testing.assert_close(model(x), x @ lin.weight.T + lin.bias)


def test_mlp_matches_hand_written_forward():
    model = MLP(3, [5], 2, activation="tanh")
    x = torch.randn(7, 3)
    l1, l2 = model.linears
    torch.testing.assert_close(model(x), torch.tanh(x @ l1.weight.T + l1.bias) @ l2.weight.T + l2.bias)


@pytest.mark.parametrize("name, cls", [("relu", nn.ReLU), ("sigmoid", nn.Sigmoid), ("tanh", nn.Tanh),
                                       ("leaky_relu", nn.LeakyReLU), ("gelu", nn.GELU), ("identity", nn.Identity)])
def test_mlp_activation_names(name, cls):
    model = MLP(4, [8, 8], 2, activation=name)
    assert sum(isinstance(m, cls) for m in model.modules()) == 2


def test_mlp_accepts_activation_class_batch_norm_and_dropout():
    model = MLP(4, [8], 2, activation=nn.ELU, batch_norm=True, dropout=0.5)
    kinds = [type(m) for m in model.net]
    assert kinds == [nn.Flatten, nn.Linear, nn.BatchNorm1d, nn.ELU, nn.Dropout, nn.Linear]
    model.eval()
    x = torch.randn(6, 4)
    torch.testing.assert_close(model(x), model(x))  # dropout is off in eval mode


def test_mlp_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match="relu.*") as info:
        MLP(4, [8], 2, activation="swish")
    for valid in ("relu", "sigmoid", "tanh", "leaky_relu", "gelu", "identity"):
        assert valid in str(info.value)
    assert "swish" in str(info.value)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_mlp_dropout_outside_range(p):
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        MLP(4, [8], 2, dropout=p)


@pytest.mark.parametrize("kwargs, words", [
    (dict(in_features=0, hidden=[8], out_features=2), "in_features"),
    (dict(in_features=4, hidden=[8, -1], out_features=2), "hidden"),
    (dict(in_features=4, hidden=8, out_features=2), "sequence"),
    (dict(in_features=4, hidden=[8], out_features=0), "out_features"),
])
def test_mlp_bad_sizes(kwargs, words):
    with pytest.raises(ValueError, match=words):
        MLP(**kwargs)


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_small_cnn_residual_and_plain_have_same_parameters(depth):
    plain, residual = SmallCNN(depth=depth), SmallCNN(depth=depth, residual=True)
    assert count_parameters(plain) == count_parameters(residual)
    # stem conv (no bias with BN) + BN, per block two convs + two BNs, head
    w = 16
    expected = 9 * w + 2 * w + depth * 2 * (9 * w * w + 2 * w) + w * 10 + 10
    assert count_parameters(plain) == expected


def test_small_cnn_shapes_and_options():
    x = torch.rand(3, 1, 28, 28)
    assert SmallCNN(depth=2)(x).shape == (3, 10)
    model = SmallCNN(depth=2, width=8, num_classes=5, in_channels=3, batch_norm=False)
    assert model(torch.rand(2, 3, 32, 32)).shape == (2, 5)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())


def test_small_cnn_residual_block_adds_its_input():
    torch.manual_seed(1)
    plain, residual = SmallCNN(depth=1, batch_norm=False), SmallCNN(depth=1, residual=True, batch_norm=False)
    residual.load_state_dict(plain.state_dict())
    x = torch.rand(2, 16, 14, 14)
    block_p, block_r = plain.blocks[0], residual.blocks[0]
    f = block_p.conv2(torch.relu(block_p.conv1(x)))
    torch.testing.assert_close(block_p(x), torch.relu(f))
    torch.testing.assert_close(block_r(x), torch.relu(x + f))


@pytest.mark.parametrize("kwargs", [dict(depth=-1), dict(width=0), dict(num_classes=0), dict(depth=2.5)])
def test_small_cnn_bad_config(kwargs):
    with pytest.raises(ValueError):
        SmallCNN(**kwargs)


def test_dense_autoencoder_shapes():
    model = DenseAutoencoder(hidden=(64, 32), code=8)
    x = torch.rand(4, 1, 28, 28)
    assert model.encode(x).shape == (4, 8)
    assert model.decode(torch.zeros(4, 8)).shape == (4, 784)
    out = model(x)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1  # sigmoid output


def test_dense_autoencoder_without_output_activation_and_bad_name():
    model = DenseAutoencoder(in_features=6, hidden=(), code=2, out_activation=None)
    assert isinstance(model.decoder[-1], nn.Linear)
    with pytest.raises(ValueError, match="Unknown activation"):
        DenseAutoencoder(activation="softsign")


def test_linear_autoencoder_is_two_affine_maps():
    model = LinearAutoencoder(5, 2)
    assert count_parameters(model) == 5 * 2 + 2 + 2 * 5 + 5
    x = torch.randn(3, 5)
    enc, dec = model.encoder[1], model.decoder
    torch.testing.assert_close(model(x), (x @ enc.weight.T + enc.bias) @ dec.weight.T + dec.bias)


def test_conv_autoencoder_shapes_and_transposed_convs():
    model = ConvAutoencoder(channels=(16, 32), code_channels=8)
    x = torch.rand(2, 1, 28, 28)
    assert model.encode(x).shape == (2, 8, 7, 7)
    out = model(x)
    assert out.shape == x.shape and 0 <= out.min() and out.max() <= 1
    assert sum(isinstance(m, nn.ConvTranspose2d) for m in model.modules()) == 2
    assert ConvAutoencoder(channels=(4,))(x).shape == x.shape


def test_conv_autoencoder_bad_input():
    with pytest.raises(ValueError, match="divisible by 4"):
        ConvAutoencoder()(torch.rand(2, 1, 30, 30))
    with pytest.raises(ValueError, match="at least one"):
        ConvAutoencoder(channels=())


def test_models_follow_their_parameters_dtype():
    # device-agnostic code creates new tensors like its inputs/parameters; dtype is the CPU-testable proxy
    x = torch.rand(2, 1, 28, 28, dtype=torch.float64)
    for model in (MLP(784, [8], 3), SmallCNN(depth=1), DenseAutoencoder(code=4), ConvAutoencoder()):
        assert model.double()(x).dtype == torch.float64
