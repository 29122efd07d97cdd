"""The small helpers every module shares: one argument check, one device lookup, one eval-mode block,
one to_numpy and one VAE KL term."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn

from course._validate import check_int, check_positive_int
from course.device import model_device, model_dtype, to_numpy
from course.models import MLP, SmallCNN, eval_mode, gaussian_kl


@pytest.mark.parametrize("value", [0, -3, 2.0, "4", None, True])
def test_check_positive_int_refuses_what_is_not_a_count_and_names_the_argument(value):
    with pytest.raises(ValueError, match=rf"^width must be a positive integer, got {value!r:s}\.$".replace("(", r"\(")):
        check_positive_int(value, "width")


def test_check_int_words_its_minimum_and_what_the_number_means():
    assert check_int(np.int64(3), "n") == 3 and type(check_int(np.int64(3), "n")) is int
    assert check_int(0, "depth", minimum=0) == 0
    with pytest.raises(ValueError, match=r"depth \(the number of blocks\) must be a non-negative integer, got -1"):
        check_int(-1, "depth", minimum=0, meaning="the number of blocks")
    with pytest.raises(ValueError, match="classes must be an integer >= 2, got 1"):
        check_int(1, "classes", minimum=2)


def test_the_library_uses_the_one_check_with_one_wording():
    # a model, a model's depth, the batches, a toy data set and the thread count all say the same thing
    from course import Batches, set_threads, two_moons

    for make in (lambda: MLP(0, [4], 2), lambda: SmallCNN(depth=-1), lambda: Batches(torch.ones(3), torch.ones(3), 0),
                 lambda: two_moons(n=True), lambda: set_threads(0)):
        with pytest.raises(ValueError, match=r"must be (a positive|a non-negative|an) integer.*, got"):
            make()


def test_model_device_and_dtype_follow_the_weights_with_cpu_float32_for_plain_functions():
    net = MLP(2, [3], 1).double()
    assert model_device(net) == torch.device("cpu") and model_dtype(net) == torch.float64
    assert model_device(nn.ReLU()) == torch.device("cpu") and model_dtype(nn.ReLU()) == torch.float32
    assert model_device(torch.sin) == torch.device("cpu") and model_dtype(torch.sin) == torch.float32
    half = nn.Linear(2, 2).half()
    assert model_dtype(half) == torch.float16


def test_eval_mode_restores_the_mode_it_found_even_after_an_error():
    net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    for training in (True, False):
        net.train(training)
        with pytest.raises(RuntimeError, match="inside"):
            with eval_mode(net) as inside:
                assert inside is net and not net.training and not net[1].training
                raise RuntimeError("inside")
        assert net.training is training and net[1].training is training
    with eval_mode(torch.sin) as f:  # a plain function passes through
        assert f is torch.sin


def test_to_numpy_detaches_copies_to_the_host_and_names_what_it_could_not_convert():
    t = torch.ones(2, requires_grad=True)
    assert isinstance(to_numpy(t), np.ndarray) and to_numpy(t).tolist() == [1.0, 1.0]
    assert to_numpy([1, 2]).tolist() == [1, 2]

    class Unconvertible:
        def __array__(self, *args, **kwargs):
            raise RuntimeError("no")

    with pytest.raises(TypeError, match="labels must be a tensor, numpy array or list, got Unconvertible"):
        to_numpy(Unconvertible(), "labels")


def test_gaussian_kl_is_the_kl_divergence_from_the_standard_normal():
    generator = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(5, 3, generator=generator), torch.randn(5, 3, generator=generator)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros(3), torch.ones(3))
    expected = torch.distributions.kl_divergence(q, p).sum(1)
    assert gaussian_kl(mu, logvar).shape == (5,)
    assert torch.allclose(gaussian_kl(mu, logvar), expected, atol=1e-6)
    assert gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 3)).eq(0).all()  # q = prior: no divergence
