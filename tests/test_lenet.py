"""Tests for the modern LeNet-5 and the 1998 LeNet-5 (partial C3 table, RBF output, 60,000 parameters)."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from course.models import LeNet5, LeNet5Classic, count_parameters
from course.models.lenet import C3_TABLE, PartialConv2d, ScaledTanh, Subsampling, digit_codes


pytestmark = pytest.mark.usefixtures("seed_and_one_thread")


def test_modern_lenet_has_61706_parameters_and_named_layers():
    model = LeNet5()
    assert count_parameters(model) == 61_706
    assert isinstance(model.c1, nn.Conv2d) and model.c1.weight.shape == (6, 1, 5, 5)
    assert model.c3.weight.shape == (16, 6, 5, 5)
    assert model.c5.in_features == 400 and model.f6.out_features == 84
    assert model.out.out_features == 10


def test_modern_lenet_forward_and_num_classes():
    x = torch.rand(4, 1, 28, 28)
    assert LeNet5()(x).shape == (4, 10)
    assert LeNet5(num_classes=3)(x).shape == (4, 3)
    with pytest.raises(ValueError, match="num_classes"):
        LeNet5(num_classes=0)


def test_classic_lenet_has_exactly_60000_parameters_per_paper():
    model = LeNet5Classic()
    counts = model.layer_parameter_counts()
    assert counts == {"C1": 156, "S2": 12, "C3": 1516, "S4": 32, "C5": 48_120, "F6": 10_164, "OUTPUT": 0}
    assert count_parameters(model) == 60_000
    assert sum(counts.values()) == 60_000


def test_c3_connection_table_is_table_one_of_the_paper():
    # Table I (rows: S2 maps 0-5, columns: C3 maps 0-15), 'X' = connected
    table = [
        "X...XXX..XXXX.XX",
        "XX...XXX..XXXX.X",
        "XXX...XXX..X.XXX",
        ".XXX..XXXX..X.XX",
        "..XXX..XXXX.XX.X",
        "...XXX..XXXX.XXX",
    ]
    expected = torch.tensor([[c == "X" for c in row] for row in table])
    assert torch.equal(LeNet5Classic().c3.connected.T, expected)
    assert [len(t) for t in C3_TABLE] == [3] * 6 + [4] * 9 + [6]


def test_c3_equals_separate_convolutions_over_the_listed_maps():
    layer = PartialConv2d(6, C3_TABLE)
    x = torch.randn(2, 6, 14, 14)
    out = layer(x)
    assert out.shape == (2, 16, 10, 10)
    full = layer.full_weight()
    start = 0
    for j, inputs in enumerate(C3_TABLE):
        kernels = layer.weight[start:start + len(inputs)].unsqueeze(0)  # (1, len, 5, 5)
        start += len(inputs)
        expected = F.conv2d(x[:, list(inputs)], kernels, layer.bias[j:j + 1])
        torch.testing.assert_close(out[:, j:j + 1], expected)
        unconnected = [i for i in range(6) if i not in inputs]
        assert torch.all(full[j, unconnected] == 0)


def test_c3_unconnected_maps_do_not_influence_output():
    layer = PartialConv2d(6, C3_TABLE)
    x = torch.randn(1, 6, 14, 14, requires_grad=True)
    layer(x)[0, 0].sum().backward()  # C3 map 0 sees S2 maps 0, 1, 2 only
    assert x.grad[0, :3].abs().sum() > 0
    assert torch.all(x.grad[0, 3:] == 0)


def test_classic_weights_have_std_one_over_sqrt_fan_in():
    model = LeNet5Classic()
    assert model.c5.weight.std().item() == pytest.approx(1 / 400**0.5, rel=0.05)
    assert model.f6.weight.std().item() == pytest.approx(1 / 120**0.5, rel=0.05)
    full = model.c3.full_weight()
    for j, inputs in enumerate(C3_TABLE):
        kernels = full[j, list(inputs)]
        assert kernels.abs().max().item() <= (3 / (25 * len(inputs))) ** 0.5
    assert torch.all(model.c3.bias == 0)


def test_scaled_tanh_and_subsampling():
    f = ScaledTanh()
    torch.testing.assert_close(f(torch.tensor([1.0, -1.0, 0.0])), torch.tensor([1.0, -1.0, 0.0]), atol=2e-4, rtol=0)
    s = Subsampling(2)
    with torch.no_grad():
        s.weight.copy_(torch.tensor([1.0, 2.0]))
        s.bias.copy_(torch.tensor([0.5, -1.0]))
    x = torch.arange(32.0).view(1, 2, 4, 4)
    block_sums = x.unfold(2, 2, 2).unfold(3, 2, 2).sum(dim=(-1, -2))
    expected = block_sums * torch.tensor([1.0, 2.0]).view(1, 2, 1, 1) + torch.tensor([0.5, -1.0]).view(1, 2, 1, 1)
    torch.testing.assert_close(s(x), expected)


def test_rbf_codes_are_fixed_plus_minus_one_buffer():
    model = LeNet5Classic()
    codes = model.out.codes
    assert codes.shape == (10, 84) and not codes.requires_grad
    assert set(codes.unique().tolist()) == {-1.0, 1.0}
    assert "out.codes" in dict(model.named_buffers())
    assert torch.cdist(codes, codes).add(torch.eye(10) * 99).min() > 0  # all ten codes differ
    torch.testing.assert_close(codes, digit_codes())


def test_classic_logits_are_negative_squared_distances():
    model = LeNet5Classic()
    x = torch.rand(3, 1, 28, 28)
    logits = model(x)
    assert logits.shape == (3, 10) and torch.all(logits <= 0)
    f6 = model[:-1](x)  # everything up to and including F6's squashing
    assert f6.shape == (3, 84)
    torch.testing.assert_close(logits, -torch.cdist(f6, model.out.codes) ** 2, rtol=1e-4, atol=1e-4)


def test_classic_lenet_backward_reaches_all_trainable_parameters():
    model = LeNet5Classic()
    loss = F.cross_entropy(model(torch.rand(4, 1, 28, 28)), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_classic_lenet_learns_a_tiny_batch():
    model = LeNet5Classic()
    x, y = torch.rand(16, 1, 28, 28), torch.arange(16) % 10
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for _ in range(30):
        loss = F.cross_entropy(model(x), y)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first


def test_slicing_gives_a_plain_sequential_of_named_layers():
    model = LeNet5()
    head = model[:3]
    assert type(head) is nn.Sequential and list(dict(head.named_children())) == ["c1", "relu1", "s2"]
    assert head(torch.rand(1, 1, 28, 28)).shape == (1, 6, 14, 14)
    assert model[0] is model.c1 and model["f6"] is model.f6


def test_lenets_follow_parameter_dtype():
    x = torch.rand(2, 1, 28, 28, dtype=torch.float64)
    assert LeNet5().double()(x).dtype == torch.float64
    assert LeNet5Classic().double()(x).dtype == torch.float64
