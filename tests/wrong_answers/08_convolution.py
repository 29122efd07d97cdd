"""Plausible wrong answers for 08_convolution: each must lose exactly the points of the cells in `fails`."""

WRONG_ANSWERS = [
    dict(
        cell="output_size_answer",
        fails=["output_size_tests"],
        why="adds the padding once instead of on both sides",
        source='''
def conv_output_size(n: int, k: int, stride: int = 1, padding: int = 0) -> int:
    """Number of positions of a size-k kernel along an axis of length n with the given stride and padding."""
    if stride < 1 or k > n + 2 * padding:
        raise ValueError("the kernel does not fit or the stride is not positive")
    return (n + padding - k) // stride + 1
''',
    ),
    dict(
        cell="output_size_answer",
        fails=["output_size_tests"],
        why="divides the stride-1 count by the stride, (n + 2p - k + 1) // s, right only for some sizes (hidden tests)",
        source='''
def conv_output_size(n: int, k: int, stride: int = 1, padding: int = 0) -> int:
    """Number of positions of a size-k kernel along an axis of length n with the given stride and padding."""
    if stride < 1 or k > n + 2 * padding:
        raise ValueError("the kernel does not fit or the stride is not positive")
    return (n + 2 * padding - k + 1) // stride
''',
    ),
    dict(
        cell="conv1d_answer",
        fails=["conv1d_tests"],
        why="a true convolution: flips the kernel, which negates the lecture's difference example",
        source='''
def conv1d(x: torch.Tensor, w: torch.Tensor, stride: int = 1, padding: int = 0) -> torch.Tensor:
    """1-D cross-correlation out[i] = sum_b xpad[i * stride + b] * w[b] of a signal x with a kernel w."""
    k = w.shape[0]
    xp = torch.cat([x.new_zeros(padding), x, x.new_zeros(padding)])
    n_out = (xp.shape[0] - k) // stride + 1
    out = x.new_zeros(n_out)
    for i in range(n_out):
        out[i] = (xp[i * stride: i * stride + k] * w.flip(0)).sum()
    return out
''',
    ),
    dict(
        cell="conv1d_answer",
        fails=["conv1d_tests"],
        why="pads only at the start of the signal",
        source='''
def conv1d(x: torch.Tensor, w: torch.Tensor, stride: int = 1, padding: int = 0) -> torch.Tensor:
    """1-D cross-correlation out[i] = sum_b xpad[i * stride + b] * w[b] of a signal x with a kernel w."""
    k = w.shape[0]
    xp = torch.cat([x.new_zeros(padding), x])
    n_out = (xp.shape[0] - k) // stride + 1
    out = x.new_zeros(n_out)
    for i in range(n_out):
        out[i] = (xp[i * stride: i * stride + k] * w).sum()
    return out
''',
    ),
    dict(
        cell="conv2d_answer",
        fails=["conv2d_tests"],
        why="forgets the bias",
        source='''
def conv2d(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None = None, stride: int = 1,
           padding: int = 0) -> torch.Tensor:
    """Multi-channel 2-D cross-correlation of x (C, H, W) with kernels w (C_out, C, h, w), plus bias b."""
    c_out, c_in, kh, kw = w.shape
    xp = F.pad(x, (padding, padding, padding, padding))
    h_out = (xp.shape[1] - kh) // stride + 1
    w_out = (xp.shape[2] - kw) // stride + 1
    out = x.new_zeros(c_out, h_out, w_out)
    for o in range(c_out):
        for i in range(h_out):
            for j in range(w_out):
                out[o, i, j] = (xp[:, i * stride: i * stride + kh, j * stride: j * stride + kw] * w[o]).sum()
    return out
''',
    ),
    dict(
        cell="conv2d_answer",
        fails=["conv2d_tests"],
        why="moves the window one pixel at a time whatever the stride (only the output size uses the stride)",
        source='''
def conv2d(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None = None, stride: int = 1,
           padding: int = 0) -> torch.Tensor:
    """Multi-channel 2-D cross-correlation of x (C, H, W) with kernels w (C_out, C, h, w), plus bias b."""
    c_out, c_in, kh, kw = w.shape
    xp = F.pad(x, (padding, padding, padding, padding))
    h_out = (xp.shape[1] - kh) // stride + 1
    w_out = (xp.shape[2] - kw) // stride + 1
    out = x.new_zeros(c_out, h_out, w_out)
    for o in range(c_out):
        for i in range(h_out):
            for j in range(w_out):
                out[o, i, j] = (xp[:, i: i + kh, j: j + kw] * w[o]).sum()
        if b is not None:
            out[o] += b[o]
    return out
''',
    ),
    dict(
        cell="conv2d_answer",
        fails=["conv2d_tests"],
        why="uses only the first input channel instead of summing over all channels",
        source='''
def conv2d(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None = None, stride: int = 1,
           padding: int = 0) -> torch.Tensor:
    """Multi-channel 2-D cross-correlation of x (C, H, W) with kernels w (C_out, C, h, w), plus bias b."""
    c_out, c_in, kh, kw = w.shape
    xp = F.pad(x, (padding, padding, padding, padding))
    h_out = (xp.shape[1] - kh) // stride + 1
    w_out = (xp.shape[2] - kw) // stride + 1
    out = x.new_zeros(c_out, h_out, w_out)
    for o in range(c_out):
        for i in range(h_out):
            for j in range(w_out):
                out[o, i, j] = (xp[0, i * stride: i * stride + kh, j * stride: j * stride + kw] * w[o, 0]).sum()
        if b is not None:
            out[o] += b[o]
    return out
''',
    ),
    dict(
        cell="max_pool_answer",
        fails=["max_pool_tests"],
        why="uses stride 1 when no stride is given (overlapping windows) instead of stride = kernel_size",
        source='''
def max_pool2d(x: torch.Tensor, kernel_size: int, stride: int | None = None) -> torch.Tensor:
    """Maximum over each kernel_size x kernel_size window of every channel of x (C, H, W)."""
    s = 1 if stride is None else stride
    c, h, w = x.shape
    h_out = (h - kernel_size) // s + 1
    w_out = (w - kernel_size) // s + 1
    out = x.new_empty(c, h_out, w_out)
    for i in range(h_out):
        for j in range(w_out):
            out[:, i, j] = x[:, i * s: i * s + kernel_size, j * s: j * s + kernel_size].reshape(c, -1).max(dim=1).values
    return out
''',
    ),
    dict(
        cell="max_pool_answer",
        fails=["max_pool_tests"],
        why="starts the running maximum at 0, which is wrong for windows of negative values",
        source='''
def max_pool2d(x: torch.Tensor, kernel_size: int, stride: int | None = None) -> torch.Tensor:
    """Maximum over each kernel_size x kernel_size window of every channel of x (C, H, W)."""
    s = kernel_size if stride is None else stride
    c, h, w = x.shape
    h_out = (h - kernel_size) // s + 1
    w_out = (w - kernel_size) // s + 1
    out = x.new_zeros(c, h_out, w_out)
    for i in range(h_out):
        for j in range(w_out):
            for n in range(kernel_size):
                for m in range(kernel_size):
                    out[:, i, j] = torch.maximum(out[:, i, j], x[:, i * s + n, j * s + m])
    return out
''',
    ),
    dict(
        cell="param_counts_answer",
        fails=["param_counts_tests"],
        why="conv_params forgets that each kernel spans all input channels",
        source='''
def dense_params(n_in: int, n_out: int, bias: bool = True) -> int:
    """Number of parameters of a dense layer from n_in to n_out units."""
    return n_in * n_out + (n_out if bias else 0)


def locally_connected_params(n_out: int, patch_size: int, bias: bool = True) -> int:
    """Number of parameters when each of n_out units has its own weights on a patch of patch_size inputs."""
    return n_out * patch_size + (n_out if bias else 0)


def conv_params(c_in: int, c_out: int, kernel_shape: tuple[int, ...], bias: bool = True) -> int:
    """Number of parameters of a convolutional layer with c_out kernels of shape (c_in, *kernel_shape)."""
    size = 1
    for k in kernel_shape:
        size *= k
    return c_out * size + (c_out if bias else 0)
''',
    ),
    dict(
        cell="param_counts_answer",
        fails=["param_counts_tests"],
        why="counts one bias per input unit of a dense layer (visible tests use bias=False; hidden ones catch it)",
        source='''
def dense_params(n_in: int, n_out: int, bias: bool = True) -> int:
    """Number of parameters of a dense layer from n_in to n_out units."""
    return n_in * n_out + (n_in if bias else 0)


def locally_connected_params(n_out: int, patch_size: int, bias: bool = True) -> int:
    """Number of parameters when each of n_out units has its own weights on a patch of patch_size inputs."""
    return n_out * patch_size + (n_out if bias else 0)


def conv_params(c_in: int, c_out: int, kernel_shape: tuple[int, ...], bias: bool = True) -> int:
    """Number of parameters of a convolutional layer with c_out kernels of shape (c_in, *kernel_shape)."""
    size = 1
    for k in kernel_shape:
        size *= k
    return c_out * c_in * size + (c_out if bias else 0)
''',
    ),
]
