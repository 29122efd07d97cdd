"""Unit 6 claims: augmentation helps the same net on the same data; double descent with random features."""

import pytest

from course.experiments import u06


pytestmark = pytest.mark.usefixtures("one_thread_per_module")


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_augmentation_helps_the_same_net(seed):
    acc = u06.augmentation_effect(n_train=1000, epochs=30, seed=seed)
    assert acc["augmented"] > acc["plain"] + 0.02, acc
    if seed == 0:  # the numbers the notebook prints
        assert acc["plain"] == pytest.approx(0.891, abs=0.01)
        assert acc["augmented"] == pytest.approx(0.932, abs=0.01)


def test_double_descent_peaks_at_the_interpolation_threshold():
    dd = u06.random_features_test_error(n_train=300, features=(50, 100, 200, 300, 400, 1000, 3000))
    mse = {p: v[0] for p, v in dd.items()}
    err = {p: v[1] for p, v in dd.items()}
    assert max(mse, key=mse.get) == 300 and max(err, key=err.get) == 300
    assert mse[300] > 100 * mse[100] and mse[300] > 100 * mse[1000]
    assert err[200] > err[100] and err[400] < err[300] and err[3000] < err[1000] < err[400]
    assert err[3000] < min(err[p] for p in (50, 100, 200)), "beyond the threshold it falls below the classical optimum"
    assert err[300] == pytest.approx(0.877, abs=0.02) and err[3000] == pytest.approx(0.161, abs=0.01)


@pytest.mark.slow
def test_early_stopping_stops_after_the_validation_minimum():
    history, _ = u06.early_stopping_run(patience=5, epochs=40)
    assert history.stopped_early and history.epochs == history.best_epoch + 1 + 5
    assert min(history["val_loss"]) < history["val_loss"][-1]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_regularisers_help_on_noisy_labels(seed):
    """Section 5: with 40% of the labels replaced, L2, L1, dropout and early stopping each raise test accuracy,
    and the (equally noisy) validation set picks the right strength."""
    runs = u06.noisy_label_runs(seed=seed)
    base = runs["none"]["test_acc"]
    assert runs["none"]["train_acc"] > 0.9, runs  # it learns the wrong labels by heart (only about 64% are right)
    assert runs["l2 0.1"]["train_acc"] < 0.75, runs  # the penalised one does not
    for name in ("l2 0.1", "l1 0.001", "dropout 0.8"):
        assert runs[name]["test_acc"] > base + 0.05, (name, runs)
    assert runs["none"]["early_test_acc"] > base + 0.05, runs
    for family in ("l2", "dropout"):
        names = ["none"] + [n for n in runs if n.startswith(family)]
        chosen = max(names, key=lambda n: runs[n]["val_acc"])
        assert chosen == max(names, key=lambda n: runs[n]["test_acc"]), (family, runs)
    if seed == 0:  # the numbers the notebook prints
        expected = {"none": 0.614, "l2 0.1": 0.737, "l1 0.001": 0.751, "dropout 0.8": 0.754}
        for name, acc in expected.items():
            assert runs[name]["test_acc"] == pytest.approx(acc, abs=0.025), (name, runs)
        assert runs["none"]["early_test_acc"] == pytest.approx(0.771, abs=0.025), runs
