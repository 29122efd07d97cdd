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

# Shortcuts: correct answers that call what the assignment forbids (PyTorch's convolution and pooling, sliding
# windows, layers built to count their parameters, the course library's own versions, a reference the old test
# cells left in the namespace). Each must lose exactly its part's points.
WRONG_ANSWERS += [
    dict(
        cell="output_size_answer",
        fails=["output_size_tests"],
        why="shortcut: runs F.conv1d on zeros and reads the size of its output",
        source='''
def conv_output_size(n: int, k: int, stride: int = 1, padding: int = 0) -> int:
    """Number of positions of a size-k kernel along an axis of length n with the given stride and padding."""
    if stride < 1 or k > n + 2 * padding:
        raise ValueError("the kernel does not fit or the stride is not positive")
    return F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=stride, padding=padding).shape[-1]
''',
    ),
    dict(
        cell="output_size_answer",
        fails=["output_size_tests"],
        why="shortcut: the course library's output_size (course.experiments.u07)",
        source='''
from course.experiments.u07 import output_size


def conv_output_size(n: int, k: int, stride: int = 1, padding: int = 0) -> int:
    """Number of positions of a size-k kernel along an axis of length n with the given stride and padding."""
    if stride < 1:
        raise ValueError("the stride must be positive")
    return output_size(n, k, stride, padding)
''',
    ),
    dict(
        cell="conv1d_answer",
        fails=["conv1d_tests"],
        why="shortcut: F.conv1d on the signal viewed as a batch of one",
        source='''
def conv1d(x: torch.Tensor, w: torch.Tensor, stride: int = 1, padding: int = 0) -> torch.Tensor:
    """1-D cross-correlation out[i] = sum_b xpad[i * stride + b] * w[b] of a signal x with a kernel w."""
    return F.conv1d(x.view(1, 1, -1), w.view(1, 1, -1), stride=stride, padding=padding).view(-1)
''',
    ),
    dict(
        cell="conv1d_answer",
        fails=["conv1d_tests"],
        why="shortcut: the tensor method .unfold() cuts the windows, one matrix product sums them",
        source='''
def conv1d(x: torch.Tensor, w: torch.Tensor, stride: int = 1, padding: int = 0) -> torch.Tensor:
    """1-D cross-correlation out[i] = sum_b xpad[i * stride + b] * w[b] of a signal x with a kernel w."""
    xp = torch.cat([x.new_zeros(padding), x, x.new_zeros(padding)])
    return xp.unfold(0, w.shape[0], stride) @ w.to(x.dtype)
''',
    ),
    dict(
        cell="conv1d_answer",
        fails=["conv1d_tests"],
        why="shortcut: the course library's conv_matrix (course.experiments.u07), captured as a default argument",
        source='''
from course.experiments.u07 import conv_matrix


def conv1d(x: torch.Tensor, w: torch.Tensor, stride: int = 1, padding: int = 0, _matrix=conv_matrix) -> torch.Tensor:
    """1-D cross-correlation out[i] = sum_b xpad[i * stride + b] * w[b] of a signal x with a kernel w."""
    return (_matrix(w, x.shape[0], padding)[::stride] @ x.double()).to(x.dtype)
''',
    ),
    dict(
        cell="conv2d_answer",
        fails=["conv2d_tests"],
        why="shortcut: F.conv2d on the image viewed as a batch of one",
        source='''
def conv2d(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None = None, stride: int = 1,
           padding: int = 0) -> torch.Tensor:
    """Multi-channel 2-D cross-correlation of x (C, H, W) with kernels w (C_out, C, h, w), plus bias b."""
    return F.conv2d(x[None], w, b, stride=stride, padding=padding)[0]
''',
    ),
    dict(
        cell="conv2d_answer",
        fails=["conv2d_tests"],
        why="shortcut: torch_conv1d, the reference the old conv1d test cell left in the namespace, does each row",
        source='''
def conv2d(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None = None, stride: int = 1,
           padding: int = 0) -> torch.Tensor:
    """Multi-channel 2-D cross-correlation of x (C, H, W) with kernels w (C_out, C, h, w), plus bias b."""
    c_out, c_in, kh, kw = w.shape
    xp = F.pad(x, (padding, padding, padding, padding))
    h_out = (xp.shape[1] - kh) // stride + 1
    maps = []
    for o in range(c_out):
        rows = [sum(torch_conv1d(xp[c, i * stride + n], w[o, c, n], stride) for c in range(c_in) for n in range(kh))
                for i in range(h_out)]
        maps.append(torch.stack(rows) + (0.0 if b is None else b[o]))
    return torch.stack(maps)
''',
    ),
    dict(
        cell="max_pool_answer",
        fails=["max_pool_tests"],
        why="shortcut: F.max_pool2d on the image viewed as a batch of one",
        source='''
def max_pool2d(x: torch.Tensor, kernel_size: int, stride: int | None = None) -> torch.Tensor:
    """Maximum over each kernel_size x kernel_size window of every channel of x (C, H, W)."""
    return F.max_pool2d(x[None], kernel_size, stride)[0]
''',
    ),
    dict(
        cell="max_pool_answer",
        fails=["max_pool_tests"],
        why="shortcut: the tensor method .unfold() cuts the windows along both axes, amax takes their maxima",
        source='''
def max_pool2d(x: torch.Tensor, kernel_size: int, stride: int | None = None) -> torch.Tensor:
    """Maximum over each kernel_size x kernel_size window of every channel of x (C, H, W)."""
    s = kernel_size if stride is None else stride
    return x.unfold(1, kernel_size, s).unfold(2, kernel_size, s).amax(dim=(-2, -1))
''',
    ),
    dict(
        cell="param_counts_answer",
        fails=["param_counts_tests"],
        why="shortcut: conv_params builds nn.Conv1d/2d/3d and counts their parameters",
        source='''
def dense_params(n_in: int, n_out: int, bias: bool = True) -> int:
    """Number of parameters of a dense layer from n_in to n_out units."""
    return n_in * n_out + (n_out if bias else 0)


def locally_connected_params(n_out: int, patch_size: int, bias: bool = True) -> int:
    """Number of parameters when each of n_out units has its own weights on a patch of patch_size inputs."""
    return n_out * patch_size + (n_out if bias else 0)


def conv_params(c_in: int, c_out: int, kernel_shape: tuple[int, ...], bias: bool = True) -> int:
    """Number of parameters of a convolutional layer with c_out kernels of shape (c_in, *kernel_shape)."""
    layer = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[len(kernel_shape) - 1](c_in, c_out, kernel_shape, bias=bias)
    return sum(p.numel() for p in layer.parameters())
''',
    ),
    dict(
        cell="param_counts_answer",
        fails=["param_counts_tests"],
        why="shortcut: the course library's weight_counts (course.experiments.u07) for dense and local layers",
        source='''
from course.experiments.u07 import weight_counts


def dense_params(n_in: int, n_out: int, bias: bool = True) -> int:
    """Number of parameters of a dense layer from n_in to n_out units."""
    return weight_counts(n_in, 1, hidden=n_out)["dense"] + (n_out if bias else 0)


def locally_connected_params(n_out: int, patch_size: int, bias: bool = True) -> int:
    """Number of parameters when each of n_out units has its own weights on a patch of patch_size inputs."""
    return weight_counts(1, 1, channels=patch_size, hidden=n_out, patch=1)["local"] + (n_out if bias else 0)


def conv_params(c_in: int, c_out: int, kernel_shape: tuple[int, ...], bias: bool = True) -> int:
    """Number of parameters of a convolutional layer with c_out kernels of shape (c_in, *kernel_shape)."""
    size = 1
    for k in kernel_shape:
        size *= k
    return c_out * c_in * size + (c_out if bias else 0)
''',
    ),
]
