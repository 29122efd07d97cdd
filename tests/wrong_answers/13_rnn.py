"""Plausible wrong answers for 13_rnn: each must lose exactly the points of the cells in `fails`."""

_FORWARD = '''
def rnn_forward(x: torch.Tensor, h0: torch.Tensor, W_xh: torch.Tensor, W_hh: torch.Tensor,
                b: torch.Tensor) -> torch.Tensor:
    """The states h_1..h_T, shape (B, T, H), of h_t = tanh(W_xh x_t + W_hh h_{t-1} + b) for x of shape (B, T, n_in)."""
    drive = x @ W_xh.T + b
    h = h0
    outputs = []
    for t in range(drive.shape[1]):
        h = torch.tanh(drive[:, t] + h @ W_hh.T)
        outputs.append(h)
    return torch.stack(outputs, dim=1)
'''

_BPTT_HEAD = '''
def rnn_backward(x: torch.Tensor, h0: torch.Tensor, W_hh: torch.Tensor, states: torch.Tensor,
                 grad_states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(dL/dW_xh, dL/dW_hh, dL/db, dL/dh0) by back-propagation through time, given the direct gradients dl/dh_t."""
'''

_BPTT = _BPTT_HEAD + '''    n_steps = states.shape[1]
    dW_xh = x.new_zeros(W_hh.shape[0], x.shape[2])
    dW_hh = torch.zeros_like(W_hh)
    db = torch.zeros_like(W_hh[0])
    from_later = torch.zeros_like(h0)
    for t in reversed(range(n_steps)):
        delta = (1 - states[:, t] ** 2) * (grad_states[:, t] + from_later)
        before = states[:, t - 1] if t > 0 else h0
        dW_xh += delta.T @ x[:, t]
        dW_hh += delta.T @ before
        db += delta.sum(dim=0)
        from_later = delta @ W_hh
    return dW_xh, dW_hh, db, from_later
'''

_CLIP_HEAD = '''
def clip_grad_norm(parameters, max_norm: float) -> torch.Tensor:
    """Scale the parameters' gradients in place to a global norm of at most max_norm; return the norm before."""
'''

_CLIP = _CLIP_HEAD + '''    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    norm = torch.sqrt(sum(g.detach().pow(2).sum() for g in grads))
    factor = max_norm / (norm + 1e-6)
    if factor < 1:
        for g in grads:
            g.detach().mul_(factor)
    return norm
'''

_LSTM = '''
def lstm_cell(x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None, W_ih: torch.Tensor,
              W_hh: torch.Tensor, b_ih: torch.Tensor, b_hh: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One LSTM step in PyTorch's layout (blocks i, f, g, o); state (h, c), or None for zeros; returns (h, c)."""
    if state is None:
        zeros = x.new_zeros(x.shape[0], W_hh.shape[1])
        state = (zeros, zeros)
    h_prev, c_prev = state
    pre = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    pre_i, pre_f, pre_g, pre_o = pre.chunk(4, dim=1)
    c_new = torch.sigmoid(pre_f) * c_prev + torch.sigmoid(pre_i) * torch.tanh(pre_g)
    return torch.sigmoid(pre_o) * torch.tanh(c_new), c_new


def lstm_layer(x: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor, b_ih: torch.Tensor, b_hh: torch.Tensor,
               state: tuple[torch.Tensor, torch.Tensor] | None = None):
    """lstm_cell over x of shape (B, T, n_in): (outputs h_1..h_T of shape (B, T, H), (h_T, c_T))."""
    hidden = []
    for step in range(x.shape[1]):
        state = lstm_cell(x[:, step], state, W_ih, W_hh, b_ih, b_hh)
        hidden.append(state[0])
    return torch.stack(hidden, dim=1), state
'''

_LOOP = '''
def train_loop(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
               epochs: int = 12, batch_size: int = 64, clip: float = 1.0, seed: int = 0) -> list[float]:
    """Shuffled mini-batches, MSE loss, gradients clipped to a global norm of `clip`; mean training loss per epoch."""
    generator = torch.Generator().manual_seed(seed)
    model.train()
    epoch_losses = []
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for start in range(0, len(x), batch_size):
            idx = order[start: start + batch_size]
            loss = F.mse_loss(model(x[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            total += loss.item() * len(idx)
        epoch_losses.append(total / len(x))
    return epoch_losses
'''

_CLIP_CALL = "            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)\n"


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


WRONG_ANSWERS = [
    # Part 1: the forward pass.
    dict(
        cell="rnn_forward_answer",
        fails=["rnn_forward_tests"],
        why="ignores the given initial state and starts every sequence from zeros",
        source=_replace(_FORWARD, "    h = h0\n", "    h = torch.zeros_like(h0)\n"),
    ),
    dict(
        cell="rnn_forward_answer",
        fails=["rnn_forward_tests"],
        why="off by one in time: stores the state before each step, so it returns h_0 .. h_{T-1}",
        source=_replace(_FORWARD, "        h = torch.tanh(drive[:, t] + h @ W_hh.T)\n        outputs.append(h)\n",
                        "        outputs.append(h)\n        h = torch.tanh(drive[:, t] + h @ W_hh.T)\n"),
    ),
    dict(
        cell="rnn_forward_answer",
        fails=["rnn_forward_tests"],
        why="multiplies by W_hh instead of its transpose (right only for a symmetric W_hh, and for one unit)",
        source=_replace(_FORWARD, "h @ W_hh.T", "h @ W_hh"),
    ),
    # Part 2: BPTT.
    dict(
        cell="bptt_answer",
        fails=["bptt_tests"],
        why="forgets what flows back from the later steps (W_hh^T delta_{t+1}): each step sees only its direct "
            "gradient",
        source=_replace(_BPTT, "(grad_states[:, t] + from_later)", "grad_states[:, t]"),
    ),
    dict(
        cell="bptt_answer",
        fails=["bptt_tests"],
        why="off by one in time: dW_hh pairs delta_t with h_t instead of the state before the step, h_{t-1}",
        source=_replace(_BPTT, "dW_hh += delta.T @ before", "dW_hh += delta.T @ states[:, t]"),
    ),
    dict(
        cell="bptt_answer",
        fails=["bptt_tests"],
        why="takes the tanh derivative at the previous state, 1 - h_{t-1}^2, instead of at the step's own output",
        source=_replace(_BPTT, "        delta = (1 - states[:, t] ** 2) * (grad_states[:, t] + from_later)\n"
                               "        before = states[:, t - 1] if t > 0 else h0\n",
                        "        before = states[:, t - 1] if t > 0 else h0\n"
                        "        delta = (1 - before ** 2) * (grad_states[:, t] + from_later)\n"),
    ),
    dict(
        cell="bptt_answer",
        fails=["bptt_tests"],
        why="averages the weight gradients over the batch instead of summing them (right only for one sequence)",
        source=_replace(_BPTT, "    return dW_xh, dW_hh, db, from_later\n",
                        "    n = x.shape[0]\n    return dW_xh / n, dW_hh / n, db / n, from_later\n"),
    ),
    dict(
        cell="bptt_answer",
        fails=["bptt_tests"],
        why="returns the gradient at h_1 (direct term plus later steps) as dL/dh0, one step short",
        source=_replace(_replace(_BPTT, "    from_later = torch.zeros_like(h0)\n",
                                 "    from_later = torch.zeros_like(h0)\n    at_first = from_later\n"),
                        "        from_later = delta @ W_hh\n    return dW_xh, dW_hh, db, from_later\n",
                        "        at_first = grad_states[:, t] + from_later\n        from_later = delta @ W_hh\n"
                        "    return dW_xh, dW_hh, db, at_first\n"),
    ),
    dict(
        cell="bptt_answer",
        fails=["bptt_tests"],
        why="the lecture's case only: starts from the last step's gradient and ignores the direct gradients of the "
            "earlier steps",
        source=_replace(_BPTT, "(grad_states[:, t] + from_later)",
                        "((grad_states[:, t] if t == n_steps - 1 else 0) + from_later)"),
    ),
    # Part 3: clipping.
    dict(
        cell="clip_answer",
        fails=["clip_tests"],
        why="clips each gradient to max_norm on its own instead of by the global norm",
        source=_CLIP_HEAD + '''    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    norm = torch.sqrt(sum(g.detach().pow(2).sum() for g in grads))
    for g in grads:
        factor = max_norm / (g.norm() + 1e-6)
        if factor < 1:
            g.mul_(factor)
    return norm
''',
    ),
    dict(
        cell="clip_answer",
        fails=["clip_tests"],
        why="returns the norm after clipping instead of the norm before",
        source=_replace(_CLIP, "            g.detach().mul_(factor)\n    return norm\n",
                        "            g.detach().mul_(factor)\n        return norm * factor\n    return norm\n"),
    ),
    dict(
        cell="clip_answer",
        fails=["clip_tests"],
        why="always rescales to max_norm, so small gradients are made longer",
        source=_replace(_CLIP, "    if factor < 1:\n        for g in grads:\n            g.detach().mul_(factor)\n",
                        "    for g in grads:\n        g.detach().mul_(factor)\n"),
    ),
    dict(
        cell="clip_answer",
        fails=["clip_tests"],
        why="goes through the parameters twice: with model.parameters(), a generator, the second pass scales nothing",
        source=_CLIP_HEAD + '''    norm = torch.sqrt(sum(p.grad.pow(2).sum() for p in parameters if p.grad is not None))
    factor = max_norm / (norm + 1e-6)
    if factor < 1:
        for p in parameters:
            if p.grad is not None:
                p.grad.detach().mul_(factor)
    return norm
''',
    ),
    dict(
        cell="clip_answer",
        fails=["clip_tests"],
        why="replaces each .grad by a new tensor instead of scaling it in place",
        source=_CLIP_HEAD + '''    params = [p for p in parameters if p.grad is not None]
    if not params:
        return torch.tensor(0.0)
    norm = torch.sqrt(sum(p.grad.detach().pow(2).sum() for p in params))
    factor = max_norm / (norm + 1e-6)
    if factor < 1:
        for p in params:
            p.grad = p.grad * factor
    return norm
''',
    ),
    dict(
        cell="clip_answer",
        fails=["clip_tests"],
        why="scales the parameters themselves instead of their gradients",
        source=_replace(_CLIP, "    if factor < 1:\n        for g in grads:\n            g.detach().mul_(factor)\n",
                        "    if factor < 1:\n        for p in params:\n            p.data.mul_(factor)\n")
        .replace("    grads = [p.grad for p in parameters if p.grad is not None]\n",
                 "    params = [p for p in parameters if p.grad is not None]\n    grads = [p.grad for p in params]\n"),
    ),
    dict(
        cell="clip_answer",
        fails=["clip_tests"],
        why="does not skip parameters without a gradient (fails on .grad None; hidden test)",
        source=_replace(_CLIP, "[p.grad for p in parameters if p.grad is not None]", "[p.grad for p in parameters]"),
    ),
    # Part 4: the LSTM.
    dict(
        cell="lstm_answer",
        fails=["lstm_tests"],
        why="gate order i, f, o, g (as in some texts) instead of PyTorch's i, f, g, o",
        source=_replace(_LSTM, "pre_i, pre_f, pre_g, pre_o = pre.chunk(4, dim=1)",
                        "pre_i, pre_f, pre_o, pre_g = pre.chunk(4, dim=1)"),
    ),
    dict(
        cell="lstm_answer",
        fails=["lstm_tests"],
        why="shows the cell without squashing it: h = o * c instead of o * tanh(c)",
        source=_replace(_LSTM, "torch.sigmoid(pre_o) * torch.tanh(c_new), c_new",
                        "torch.sigmoid(pre_o) * c_new, c_new"),
    ),
    dict(
        cell="lstm_answer",
        fails=["lstm_tests"],
        why="adds only one of the two biases (b_hh forgotten)",
        source=_replace(_LSTM, "pre = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh",
                        "pre = x @ W_ih.T + b_ih + h_prev @ W_hh.T"),
    ),
    dict(
        cell="lstm_answer",
        fails=["lstm_tests"],
        why="the layer carries h from step to step but restarts the memory cell at zero every step",
        source=_replace(_LSTM, "        state = lstm_cell(x[:, step], state, W_ih, W_hh, b_ih, b_hh)\n",
                        "        c_start = torch.zeros(x.shape[0], W_hh.shape[1]) if state is None else state[1] * 0\n"
                        "        state = lstm_cell(x[:, step], None if state is None else (state[0], c_start), W_ih, "
                        "W_hh, b_ih, b_hh)\n"),
    ),
    # Part 5: the training loop.
    dict(
        cell="train_answer",
        fails=["trained_model_tests"],
        why="clears the gradients between backward and step, so the model never learns",
        source=_replace(_LOOP, "            optimizer.zero_grad()\n            loss.backward()\n",
                        "            loss.backward()\n            optimizer.zero_grad()\n"),
    ),
    dict(
        cell="train_answer",
        fails=["trained_model_tests"],
        why="never clips: Adam still trains the LSTM, but the hidden SGD run shows the unclipped steps",
        source=_LOOP.replace(_CLIP_CALL, ""),
    ),
    dict(
        cell="train_answer",
        fails=["trained_model_tests"],
        why="clips before backward, while the gradients are still zero: no clipping at all (hidden test)",
        source=_replace(_replace(_LOOP, _CLIP_CALL, ""), "            optimizer.zero_grad()\n",
                        "            optimizer.zero_grad()\n" + _CLIP_CALL),
    ),
    dict(
        cell="train_answer",
        fails=["trained_model_tests"],
        why="never shuffles: goes through the examples in the same order every epoch (hidden test)",
        source=_replace(_LOOP, "order = torch.randperm(len(x), generator=generator)", "order = torch.arange(len(x))"),
    ),
]

# Shortcuts: correct answers that use what a part forbids. The tests trace the calls each answer makes, so every
# one of these loses its part, with a message that names the forbidden call.
WRONG_ANSWERS += [
    dict(
        cell="rnn_forward_answer",
        fails=["rnn_forward_tests"],
        why="shortcut: nn.RNN with the weights copied in",
        source='''
def rnn_forward(x: torch.Tensor, h0: torch.Tensor, W_xh: torch.Tensor, W_hh: torch.Tensor,
                b: torch.Tensor) -> torch.Tensor:
    """PyTorch's own RNN, holding these weights."""
    rnn = nn.RNN(W_xh.shape[1], W_hh.shape[0], batch_first=True)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(W_xh)
        rnn.weight_hh_l0.copy_(W_hh)
        rnn.bias_ih_l0.copy_(b)
        rnn.bias_hh_l0.zero_()
    return rnn(x, h0[None])[0]
''',
    ),
    dict(
        cell="rnn_forward_answer",
        fails=["rnn_forward_tests"],
        why="shortcut: torch.rnn_tanh_cell, PyTorch's fused RNN step, inside the loop",
        source=_replace(_FORWARD, "        h = torch.tanh(drive[:, t] + h @ W_hh.T)\n",
                        "        h = torch.rnn_tanh_cell(x[:, t], h, W_xh, W_hh, b, None)\n"),
    ),
    dict(
        cell="bptt_answer",
        fails=["bptt_tests"],
        why="shortcut: autograd for the local derivative of tanh at every step",
        source=_BPTT_HEAD + '''    n_steps = states.shape[1]
    dW_xh = x.new_zeros(W_hh.shape[0], x.shape[2])
    dW_hh = torch.zeros_like(W_hh)
    db = torch.zeros_like(W_hh[0])
    from_later = torch.zeros_like(h0)
    for t in reversed(range(n_steps)):
        a = torch.atanh(states[:, t].clamp(-1 + 1e-7, 1 - 1e-7)).requires_grad_(True)
        (delta,) = torch.autograd.grad(torch.tanh(a), a, grad_states[:, t] + from_later)
        before = states[:, t - 1] if t > 0 else h0
        dW_xh += delta.T @ x[:, t]
        dW_hh += delta.T @ before
        db += delta.sum(dim=0)
        from_later = delta @ W_hh
    return dW_xh, dW_hh, db, from_later
''',
    ),
    dict(
        cell="bptt_answer",
        fails=["bptt_tests"],
        why="shortcut: rebuilds the pre-activations from the states and lets .backward() do the work",
        source=_BPTT_HEAD + '''    W = W_hh.clone().requires_grad_(True)
    start = h0.clone().requires_grad_(True)
    previous = torch.cat([h0[:, None], states[:, :-1]], dim=1)
    drive = torch.atanh(states.clamp(-1 + 1e-7, 1 - 1e-7)) - previous @ W_hh.T   # W_xh x_t + b, recovered
    drive.requires_grad_(True)
    h, outputs = start, []
    for t in range(states.shape[1]):
        h = torch.tanh(drive[:, t] + h @ W.T)
        outputs.append(h)
    (torch.stack(outputs, dim=1) * grad_states).sum().backward()
    d_drive = drive.grad
    return (torch.einsum("bth,bti->hi", d_drive, x), W.grad, d_drive.sum(dim=(0, 1)), start.grad)
''',
    ),
    dict(
        cell="clip_answer",
        fails=["clip_tests"],
        why="shortcut: torch.nn.utils.clip_grad_norm_, through an alias captured when the cell runs",
        source="_torch_clip = torch.nn.utils.clip_grad_norm_\n" + _CLIP_HEAD
        + "    return _torch_clip(parameters, max_norm)\n",
    ),
    dict(
        cell="lstm_answer",
        fails=["lstm_tests"],
        why="shortcut: torch.lstm_cell, PyTorch's fused LSTM step",
        source=_LSTM.split("    pre = x @ W_ih.T")[0]
        + "    return tuple(torch.lstm_cell(x, [h_prev, c_prev], W_ih, W_hh, b_ih, b_hh))\n"
        + "\n\ndef lstm_layer" + _LSTM.split("\n\ndef lstm_layer")[1],
    ),
    dict(
        cell="lstm_answer",
        fails=["lstm_tests"],
        why="shortcut: nn.LSTMCell with the weights copied in",
        source=_replace(_LSTM, '''    if state is None:
        zeros = x.new_zeros(x.shape[0], W_hh.shape[1])
        state = (zeros, zeros)
    h_prev, c_prev = state
    pre = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    pre_i, pre_f, pre_g, pre_o = pre.chunk(4, dim=1)
    c_new = torch.sigmoid(pre_f) * c_prev + torch.sigmoid(pre_i) * torch.tanh(pre_g)
    return torch.sigmoid(pre_o) * torch.tanh(c_new), c_new
''', '''    cell = nn.LSTMCell(W_ih.shape[1], W_hh.shape[1])
    with torch.no_grad():
        cell.weight_ih.copy_(W_ih)
        cell.weight_hh.copy_(W_hh)
        cell.bias_ih.copy_(b_ih)
        cell.bias_hh.copy_(b_hh)
    return cell(x, state)
'''),
    ),
    dict(
        cell="train_answer",
        fails=["trained_model_tests"],
        why="shortcut: course.fit with the MSE loss and its clip_grad option",
        source='''
def train_loop(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
               epochs: int = 12, batch_size: int = 64, clip: float = 1.0, seed: int = 0) -> list[float]:
    """The library's training loop, with clipping."""
    history = course.fit(model, (x, y), epochs=epochs, batch_size=batch_size, optimizer=optimizer,
                         loss_fn=F.mse_loss, metrics=(), clip_grad=clip, seed=seed, progress=False)
    return history["train_loss"]
''',
    ),
]
