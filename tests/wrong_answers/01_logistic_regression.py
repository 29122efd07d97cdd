"""Plausible mistakes for 01_logistic_regression and the test cells that must catch them."""

WRONG_ANSWERS = [
    dict(
        cell="sigmoid_answer",
        fails=["sigmoid_tests"],
        why="sign error in the exponent: 1 / (1 + exp(z)) is sigmoid(-z)",
        source='''
def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-z)), element-wise."""
    return 1.0 / (1.0 + np.exp(np.asarray(z, dtype=np.float64)))
''',
    ),
    dict(
        cell="bce_answer",
        fails=["bce_tests"],
        why="cross-entropy computed through probabilities: log(0) = -inf once |z| is large",
        source='''
def bce_loss(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy of sigmoid(X @ w + b) against labels y in {0, 1}."""
    p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
''',
    ),
    dict(
        cell="bce_answer",
        fails=["bce_tests"],
        why="sums over the examples instead of averaging",
        source='''
def bce_loss(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy of sigmoid(X @ w + b) against labels y in {0, 1}."""
    z = X @ w + b
    return float(np.sum(np.logaddexp(0.0, z) - y * z))
''',
    ),
    dict(
        cell="gradient_answer",
        fails=["gradient_tests"],
        why="sign error: uses y - p instead of p - y",
        source='''
def bce_gradient(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray,
                 sigmoid_fn=sigmoid) -> tuple[np.ndarray, float]:
    """Gradient (dL/dw, dL/db) of the mean binary cross-entropy; p is computed with sigmoid_fn."""
    p = sigmoid_fn(X @ w + b)
    return X.T @ (y - p) / len(y), float(np.mean(y - p))
''',
    ),
    dict(
        cell="gradient_answer",
        fails=["gradient_tests"],
        why="forgets to divide the bias gradient by N (sum instead of mean)",
        source='''
def bce_gradient(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray,
                 sigmoid_fn=sigmoid) -> tuple[np.ndarray, float]:
    """Gradient (dL/dw, dL/db) of the mean binary cross-entropy; p is computed with sigmoid_fn."""
    error = sigmoid_fn(X @ w + b) - y
    return X.T @ error / len(y), float(np.sum(error))
''',
    ),
    dict(
        cell="descent_answer",
        fails=["descent_tests"],
        why="updates w in place, changing the caller's w0",
        source='''
def gradient_descent(grad_fn, w0: np.ndarray, b0: float, lr: float, steps: int) -> tuple[np.ndarray, float]:
    """Run `steps` gradient-descent updates of (w, b) from (w0, b0) with learning rate lr; return (w, b)."""
    w, b = w0, b0
    for _ in range(steps):
        grad_w, grad_b = grad_fn(w, b)
        w -= lr * grad_w
        b -= lr * grad_b
    return w, b
''',
    ),
    dict(
        cell="descent_answer",
        fails=["descent_tests"],
        why="gradient ascent: adds the gradient instead of subtracting it",
        source='''
def gradient_descent(grad_fn, w0: np.ndarray, b0: float, lr: float, steps: int) -> tuple[np.ndarray, float]:
    """Run `steps` gradient-descent updates of (w, b) from (w0, b0) with learning rate lr; return (w, b)."""
    w, b = np.array(w0, dtype=np.float64), float(b0)
    for _ in range(steps):
        grad_w, grad_b = grad_fn(w, b)
        w = w + lr * grad_w
        b = b + lr * grad_b
    return w, b
''',
    ),
    dict(
        cell="bayes_answer",
        fails=["bayes_tests"],
        why="leaves out the log prior ratio log(p1 / p0) from the bias",
        source='''
def bayes_logistic_weights(mu0: np.ndarray, mu1: np.ndarray, cov: np.ndarray,
                           prior1: float) -> tuple[np.ndarray, float]:
    """Weights (w, b) with p(y=1|x) = sigmoid(w.x + b) for two Gaussian classes sharing covariance cov."""
    mu0, mu1, cov = (np.asarray(a, dtype=np.float64) for a in (mu0, mu1, cov))
    w = np.linalg.solve(cov, mu1 - mu0)
    b = -0.5 * mu1 @ np.linalg.solve(cov, mu1) + 0.5 * mu0 @ np.linalg.solve(cov, mu0)
    return w, float(b)
''',
    ),
    dict(
        cell="bayes_answer",
        fails=["bayes_tests"],
        why="multiplies by the covariance instead of its inverse",
        source='''
def bayes_logistic_weights(mu0: np.ndarray, mu1: np.ndarray, cov: np.ndarray,
                           prior1: float) -> tuple[np.ndarray, float]:
    """Weights (w, b) with p(y=1|x) = sigmoid(w.x + b) for two Gaussian classes sharing covariance cov."""
    mu0, mu1, cov = (np.asarray(a, dtype=np.float64) for a in (mu0, mu1, cov))
    w = cov @ (mu1 - mu0)
    b = -0.5 * mu1 @ cov @ mu1 + 0.5 * mu0 @ cov @ mu0 + np.log(prior1 / (1 - prior1))
    return w, float(b)
''',
    ),
]
