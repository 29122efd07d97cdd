"""Plausible wrong answers for 14_attention: each must lose exactly the points of the cells in `fails`."""

_ATTENTION_HEAD = '''
def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None,
              causal: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention over the last two dimensions; returns (output, weights)."""
'''

_ATTENTION = _ATTENTION_HEAD + '''    n_queries, n_keys, width = q.shape[-2], k.shape[-2], q.shape[-1]
    scores = (q @ k.transpose(-2, -1)) * width ** -0.5
    keep = torch.ones(n_queries, n_keys, dtype=torch.bool, device=q.device)
    if causal:
        keep = torch.tril(keep)
    if mask is not None:
        keep = keep & mask.to(torch.bool)
    keep = keep.expand_as(scores)
    has_key = keep.any(dim=-1, keepdim=True)
    scores = scores.masked_fill(~keep, float("-inf")).masked_fill(~has_key, 0.0)
    weights = torch.softmax(scores, dim=-1).masked_fill(~keep, 0.0)
    return weights @ v, weights
'''

_MHA_INIT = '''
class MultiHeadAttention(nn.Module):
    """Multi-head attention with separate query, key and value projections, as nn.MultiheadAttention computes it."""

    def __init__(self, embed_dim: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.out_proj = nn.Linear(embed_dim, embed_dim)

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                key_padding_mask: torch.Tensor | None = None,
                causal: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """(output (B, T_q, E), attention weights averaged over the heads (B, T_q, T_k))."""
        batch, n_queries, embed_dim = query.shape
        n_keys = key.shape[1]
        head_dim = embed_dim // self.num_heads
'''

_MHA = _MHA_INIT + '''
        def by_head(x: torch.Tensor) -> torch.Tensor:
            return x.unflatten(-1, (self.num_heads, head_dim)).permute(0, 2, 1, 3)

        q, k, v = by_head(self.q_proj(query)), by_head(self.k_proj(key)), by_head(self.v_proj(value))
        scores = torch.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(head_dim)
        blocked = torch.zeros(n_queries, n_keys, dtype=torch.bool, device=query.device)
        if causal:
            blocked = torch.ones_like(blocked).triu(diagonal=1)
        if key_padding_mask is not None:
            blocked = blocked | key_padding_mask[:, None, None, :].to(torch.bool)
        weights = torch.softmax(scores.masked_fill(blocked, float("-inf")), dim=-1)
        heads = torch.einsum("bhqk,bhkd->bhqd", weights, v)
        output = self.out_proj(heads.permute(0, 2, 1, 3).flatten(2))
        return output, weights.mean(dim=1)
'''

_POSITIONAL = '''
def sinusoidal_encoding(T: int, d: int, base: float = 10000.0) -> torch.Tensor:
    """The (T, d) sinusoidal encodings of positions 0..T-1: sin in even columns, cos in odd ones."""
    positions = torch.arange(T, dtype=torch.float64).unsqueeze(1)
    columns = torch.arange(d)
    omega = base ** (-2.0 * torch.div(columns, 2, rounding_mode="floor") / d)
    angles = positions * omega
    return torch.where(columns % 2 == 0, torch.sin(angles), torch.cos(angles)).float()


def shift_matrix(k: int, d: int, base: float = 10000.0) -> torch.Tensor:
    """The (d, d) matrix M_k with encoding[t + k] = encoding[t] @ M_k for every t (d even)."""
    blocks = []
    for i in range(d // 2):
        angle = k * base ** (-2.0 * i / d)
        c, s = math.cos(angle), math.sin(angle)
        blocks.append(torch.tensor([[c, -s], [s, c]]))
    return torch.block_diag(*blocks).float()
'''

_MODEL = '''
class TinyTransformer(nn.Module):
    """Symbol and learnt position embeddings, one pre-norm transformer block, a final layer norm and a read-out."""

    def __init__(self, vocab: int, length: int, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.tok = nn.Embedding(vocab, width)
        self.pos = nn.Embedding(length, width)
        self.ln1 = nn.LayerNorm(width)
        self.q_proj = nn.Linear(width, width)
        self.k_proj = nn.Linear(width, width)
        self.v_proj = nn.Linear(width, width)
        self.out_proj = nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width)
        self.ff1 = nn.Linear(width, 4 * width)
        self.ff2 = nn.Linear(4 * width, width)
        self.ln_f = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """Logits (B, T, vocab) for symbols idx (B, T)."""
        n_seq, n_pos = idx.shape
        x = self.tok(idx) + self.pos(torch.arange(n_pos, device=idx.device))
        h = self.ln1(x)
        head_dim = h.shape[-1] // self.heads
        q, k, v = (proj(h).unflatten(-1, (self.heads, head_dim)).permute(0, 2, 1, 3)
                   for proj in (self.q_proj, self.k_proj, self.v_proj))
        weights = torch.softmax(torch.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(head_dim), dim=-1)
        mixed = torch.einsum("bhqk,bhkd->bhqd", weights, v).permute(0, 2, 1, 3).flatten(2)
        x = x + self.out_proj(mixed)
        x = x + self.ff2(torch.relu(self.ff1(self.ln2(x))))
        return self.head(self.ln_f(x))
'''

_LOOP = '''

def train_reverser(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int = 3, batch_size: int = 32,
                   lr: float = 3e-3, seed: int = 0) -> list[float]:
    """Train model on sequences x with targets y (Adam, shuffled mini-batches); return the mean loss of each epoch."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    epoch_losses = []
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for start in range(0, len(x), batch_size):
            batch = order[start: start + batch_size]
            logits = model(x[batch])
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[batch].reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        epoch_losses.append(total / len(x))
    return epoch_losses
'''

_REVERSER = _MODEL + _LOOP
_BOTH = ["reverser_model_tests", "trained_reverser_tests"]


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


WRONG_ANSWERS = [
    # Part 1: attention
    dict(
        cell="attention_answer",
        fails=["attention_tests"],
        why="forgets the 1/sqrt(d) scaling of the scores",
        source=_replace(_ATTENTION, "(q @ k.transpose(-2, -1)) * width ** -0.5", "q @ k.transpose(-2, -1)"),
    ),
    dict(
        cell="attention_answer",
        fails=["attention_tests"],
        why="divides the scores by d instead of sqrt(d)",
        source=_replace(_ATTENTION, "* width ** -0.5", "/ width"),
    ),
    dict(
        cell="attention_answer",
        fails=["attention_tests"],
        why="the softmax over the queries (dim=-2) instead of over the keys",
        source=_replace(_ATTENTION, "torch.softmax(scores, dim=-1)", "torch.softmax(scores, dim=-2)"),
    ),
    dict(
        cell="attention_answer",
        fails=["attention_tests"],
        why="the causal mask the wrong way round: keeps the future (triu) instead of the past",
        source=_replace(_ATTENTION, "keep = torch.tril(keep)", "keep = torch.triu(keep)"),
    ),
    dict(
        cell="attention_answer",
        fails=["attention_tests"],
        why="reads the boolean mask with nn.MultiheadAttention's convention (True = blocked)",
        source=_replace(_ATTENTION, "keep = keep & mask.to(torch.bool)", "keep = keep & ~mask.to(torch.bool)"),
    ),
    dict(
        cell="attention_answer",
        fails=["attention_tests"],
        why="masks with -1e9 instead of -inf and no special case: a query that sees no key gets uniform weights",
        source=_ATTENTION_HEAD + '''    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if causal:
        scores = scores.masked_fill(~torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril(), -1e9)
    if mask is not None:
        scores = scores.masked_fill(~mask, -1e9)
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights
''',
    ),
    dict(
        cell="attention_answer",
        fails=["attention_tests"],
        why="masks after the softmax and renormalises: a query that sees no key divides 0 by 0 (NaN)",
        source=_ATTENTION_HEAD + '''    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    keep = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool)
    if causal:
        keep = keep.tril()
    if mask is not None:
        keep = keep & mask
    weights = torch.softmax(scores, dim=-1) * keep
    weights = weights / weights.sum(dim=-1, keepdim=True)
    return weights @ v, weights
''',
    ),
    dict(
        cell="attention_answer",
        fails=["attention_tests"],
        why="aligns the causal mask at the bottom right when T_q != T_k (hidden: 7 queries on 9 keys)",
        source=_replace(_ATTENTION, "keep = torch.tril(keep)", "keep = torch.tril(keep, diagonal=n_keys - n_queries)"),
    ),
    # Part 2: multi-head attention
    dict(
        cell="mha_answer",
        fails=["mha_tests"],
        why="splits the heads with a view to (B, heads, T, E / heads), without the transpose: mixes positions",
        source=_replace(_MHA, "return x.unflatten(-1, (self.num_heads, head_dim)).permute(0, 2, 1, 3)",
                        "return x.reshape(batch, self.num_heads, -1, head_dim)"),
    ),
    dict(
        cell="mha_answer",
        fails=["mha_tests"],
        why="scales by sqrt(embed_dim) instead of sqrt(head_dim)",
        source=_replace(_MHA, "/ math.sqrt(head_dim)", "/ math.sqrt(embed_dim)"),
    ),
    dict(
        cell="mha_answer",
        fails=["mha_tests"],
        why="returns the weights summed over the heads instead of averaged",
        source=_replace(_MHA, "weights.mean(dim=1)", "weights.sum(dim=1)"),
    ),
    dict(
        cell="mha_answer",
        fails=["mha_tests"],
        why="forgets the output projection W_O",
        source=_replace(_MHA, "output = self.out_proj(heads.permute(0, 2, 1, 3).flatten(2))",
                        "output = heads.permute(0, 2, 1, 3).flatten(2)"),
    ),
    dict(
        cell="mha_answer",
        fails=["mha_tests"],
        why="projects the keys with q_proj (fine only if the two had the same weights)",
        source=_replace(_MHA, "by_head(self.k_proj(key))", "by_head(self.q_proj(key))"),
    ),
    dict(
        cell="mha_answer",
        fails=["mha_tests"],
        why="reads key_padding_mask as True = keep (hidden: the padding tests)",
        source=_replace(_MHA, "blocked | key_padding_mask[:, None, None, :].to(torch.bool)",
                        "blocked | ~key_padding_mask[:, None, None, :].to(torch.bool)"),
    ),
    dict(
        cell="mha_answer",
        fails=["mha_tests"],
        why="blocks the past instead of the future for causal=True (hidden)",
        source=_replace(_MHA, "torch.ones_like(blocked).triu(diagonal=1)",
                        "torch.ones_like(blocked).tril(diagonal=-1)"),
    ),
    # Part 3: positional encoding
    dict(
        cell="positional_answer",
        fails=["positional_tests"],
        why="one frequency per column (base^(-j/d)) instead of one per sine-cosine pair",
        source=_replace(_POSITIONAL, 'base ** (-2.0 * torch.div(columns, 2, rounding_mode="floor") / d)',
                        "base ** (-columns / d)"),
    ),
    dict(
        cell="positional_answer",
        fails=["positional_tests"],
        why="cosines in the even columns and sines in the odd ones",
        source=_replace(_POSITIONAL, "torch.sin(angles), torch.cos(angles)", "torch.cos(angles), torch.sin(angles)"),
    ),
    dict(
        cell="positional_answer",
        fails=["positional_tests"],
        why="the lecture's even-width recipe: the sine and cosine slices do not fit an odd width",
        source=_replace(_POSITIONAL, '''    positions = torch.arange(T, dtype=torch.float64).unsqueeze(1)
    columns = torch.arange(d)
    omega = base ** (-2.0 * torch.div(columns, 2, rounding_mode="floor") / d)
    angles = positions * omega
    return torch.where(columns % 2 == 0, torch.sin(angles), torch.cos(angles)).float()
''', '''    position = torch.arange(T).float()[:, None]
    freq = base ** (-torch.arange(0, d, 2).float() / d)
    pe = torch.zeros(T, d)
    pe[:, 0::2] = torch.sin(position * freq)
    pe[:, 1::2] = torch.cos(position * freq)
    return pe
'''),
    ),
    dict(
        cell="positional_answer",
        fails=["positional_tests"],
        why="the shift matrix transposed (it shifts by -k)",
        source=_replace(_POSITIONAL, "[[c, -s], [s, c]]", "[[c, s], [-s, c]]"),
    ),
    dict(
        cell="positional_answer",
        fails=["positional_tests"],
        why="rotates every pair by the angle k, forgetting the pair's frequency",
        source=_replace(_POSITIONAL, "angle = k * base ** (-2.0 * i / d)", "angle = k"),
    ),
    # Part 4: the reverser's forward pass (both cells) and its loop (the trained model only)
    dict(
        cell="reverser_answer",
        fails=_BOTH,
        why="forgets the 1/sqrt(head_dim) scaling in the model's attention",
        source=_replace(_REVERSER, '/ math.sqrt(head_dim), dim=-1)', ', dim=-1)'),
    ),
    dict(
        cell="reverser_answer",
        fails=_BOTH,
        why="post-norm instead of pre-norm: x = ln1(x + attention(x)), x = ln2(x + ff(x))",
        source=_replace(_replace(_replace(_REVERSER, "h = self.ln1(x)", "h = x"),
                                 "x = x + self.out_proj(mixed)", "x = self.ln1(x + self.out_proj(mixed))"),
                        "x = x + self.ff2(torch.relu(self.ff1(self.ln2(x))))",
                        "x = self.ln2(x + self.ff2(torch.relu(self.ff1(x))))"),
    ),
    dict(
        cell="reverser_answer",
        fails=_BOTH,
        why="forgets to add the position embeddings: no position can find its mirror",
        source=_replace(_REVERSER, "x = self.tok(idx) + self.pos(torch.arange(n_pos, device=idx.device))",
                        "x = self.tok(idx)"),
    ),
    dict(
        cell="reverser_answer",
        fails=_BOTH,
        why="the softmax over the queries (dim=-2) in the model's attention",
        source=_replace(_REVERSER, "/ math.sqrt(head_dim), dim=-1)", "/ math.sqrt(head_dim), dim=-2)"),
    ),
    dict(
        cell="reverser_answer",
        fails=["trained_reverser_tests"],
        why="clears the gradients between backward and step, so the model never learns",
        source=_replace(_REVERSER, "            optimizer.zero_grad()\n            loss.backward()\n",
                        "            loss.backward()\n            optimizer.zero_grad()\n"),
    ),
    dict(
        cell="reverser_answer",
        fails=["trained_reverser_tests"],
        why="trains on the inputs as targets (ignores y): learns to copy, not to reverse",
        source=_replace(_REVERSER, "y[batch].reshape(-1)", "x[batch].reshape(-1)"),
    ),
    dict(
        cell="reverser_answer",
        fails=["trained_reverser_tests"],
        why="cross-entropy on (B, T, vocab) logits directly: PyTorch wants the classes in dimension 1 (an error)",
        source=_replace(_REVERSER, "F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[batch].reshape(-1))",
                        "F.cross_entropy(logits, y[batch])"),
    ),
    dict(
        cell="reverser_answer",
        fails=["trained_reverser_tests"],
        why="returns the sum of the batch losses instead of the per-epoch mean (the model is fine; hidden test)",
        source=_replace(_replace(_REVERSER, "total += loss.item() * len(batch)", "total += loss.item()"),
                        "epoch_losses.append(total / len(x))", "epoch_losses.append(total)"),
    ),
]

# Shortcuts: correct answers that use what a part forbids. The tests trace the calls each answer makes, so every
# one of these loses its part, with a message that names the forbidden call.
WRONG_ANSWERS += [
    dict(
        cell="attention_answer",
        fails=["attention_tests"],
        why="shortcut: F.scaled_dot_product_attention, with the weights as its output for V = the identity",
        source=_ATTENTION_HEAD + '''    keep = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool)
    if causal:
        keep = keep.tril()
    if mask is not None:
        keep = keep & mask
    identity = torch.eye(k.shape[-2]).expand(*k.shape[:-1], k.shape[-2])
    weights = F.scaled_dot_product_attention(q, k, identity, attn_mask=keep)
    return weights @ v, weights
''',
    ),
    dict(
        cell="attention_answer",
        fails=["attention_tests"],
        why="shortcut: the lecture's course.experiments.u12.causal_attention for the causal case",
        source="from course.experiments import u12\n" + _replace(
            _ATTENTION, '''    n_queries, n_keys, width''', '''    if causal and mask is None:
        return u12.causal_attention(q, k, v)
    n_queries, n_keys, width'''),
    ),
    dict(
        cell="mha_answer",
        fails=["mha_tests"],
        why="shortcut: F.scaled_dot_product_attention for the heads' outputs",
        source=_replace(_MHA, "heads = torch.einsum(\"bhqk,bhkd->bhqd\", weights, v)",
                        "heads = F.scaled_dot_product_attention(q, k, v, attn_mask=~blocked)"),
    ),
    dict(
        cell="mha_answer",
        fails=["mha_tests"],
        why="shortcut: an nn.MultiheadAttention built in forward from the module's own weights",
        source=_MHA_INIT + '''        layer = nn.MultiheadAttention(embed_dim, self.num_heads, batch_first=True)
        with torch.no_grad():
            layer.in_proj_weight.copy_(torch.cat([self.q_proj.weight, self.k_proj.weight, self.v_proj.weight]))
            layer.in_proj_bias.copy_(torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]))
            layer.out_proj.weight.copy_(self.out_proj.weight)
            layer.out_proj.bias.copy_(self.out_proj.bias)
        blocked = torch.ones(n_queries, n_keys, dtype=torch.bool).triu(diagonal=1) if causal else None
        return layer(query, key, value, key_padding_mask=key_padding_mask, attn_mask=blocked)
''',
    ),
    dict(
        cell="positional_answer",
        fails=["positional_tests"],
        why="shortcut: the lecture's course.experiments.u12.sinusoidal for even widths",
        source="from course.experiments.u12 import sinusoidal as _lecture_sinusoidal\n" + _replace(
            _POSITIONAL, '''    positions = torch.arange(T, dtype=torch.float64).unsqueeze(1)
''', '''    if d % 2 == 0 and base == 10000.0:
        return _lecture_sinusoidal(T, d)
    positions = torch.arange(T, dtype=torch.float64).unsqueeze(1)
'''),
    ),
    dict(
        cell="reverser_answer",
        fails=_BOTH,
        why="shortcut: F.scaled_dot_product_attention in the model's forward pass",
        source=_replace(_replace(_REVERSER, "weights = torch.softmax(torch.einsum(\"bhqd,bhkd->bhqk\", q, k) / "
                                 "math.sqrt(head_dim), dim=-1)\n", ""),
                        'mixed = torch.einsum("bhqk,bhkd->bhqd", weights, v)',
                        "mixed = F.scaled_dot_product_attention(q, k, v)"),
    ),
    dict(
        cell="reverser_answer",
        fails=["trained_reverser_tests"],
        why="shortcut: course.fit as the training loop",
        source=_MODEL + '''

def train_reverser(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int = 3, batch_size: int = 32,
                   lr: float = 3e-3, seed: int = 0) -> list[float]:
    """The library's training loop, with the cross-entropy over every position."""
    history = course.fit(model, (x, y), epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, metrics=(),
                         loss_fn=lambda out, target: F.cross_entropy(out.flatten(0, 1), target.flatten()),
                         progress=False)
    return history["train_loss"]
''',
    ),
]
