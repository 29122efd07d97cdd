"""Unit 12: the experiments behind the lecture on attention and transformers.

The shipped text (the King James Version's Genesis and Exodus), a count-based bigram baseline, a small
causal transformer for characters, its training loop, a copy task whose attention is measured, and the
size of the attention matrix. The lecture writes each of these out in its own cells;
`tests/test_claims_u12.py` asserts the claims with these functions.
"""

from __future__ import annotations

import math
from importlib import resources

import torch
import torch.nn.functional as F
from torch import Tensor, nn

TEXT_FILE = "kjv_genesis_exodus.txt"


def load_text() -> str:
    """The shipped text: Genesis and Exodus (KJV), one verse per line."""
    return (resources.files("course.data") / "text" / TEXT_FILE).read_text(encoding="ascii")


def split(text: str, held_out: float = 0.1) -> tuple[str, str]:
    """The first 90 % of the characters for training, the last 10 % held out."""
    cut = int(len(text) * (1 - held_out))
    return text[:cut], text[cut:]


def bigram_cross_entropy(train: Tensor, test: Tensor, vocab: int) -> float:
    """Held-out cross-entropy (nats per character) of a bigram model with add-one smoothing."""
    counts = torch.ones(vocab, vocab)
    counts.index_put_((train[:-1], train[1:]), torch.ones(len(train) - 1), accumulate=True)
    log_p = (counts / counts.sum(dim=1, keepdim=True)).log()
    return float(-log_p[test[:-1], test[1:]].mean())


def causal_attention(q: Tensor, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
    """Scaled dot-product attention with a causal mask; returns (output, weights)."""
    t = q.shape[-2]
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    mask = torch.ones(t, t, dtype=torch.bool, device=q.device).tril()
    weights = scores.masked_fill(~mask, float("-inf")).softmax(dim=-1)
    return weights @ v, weights


class Block(nn.Module):
    """Pre-norm transformer block: x + attention(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, width: int, heads: int, causal: bool = True):
        super().__init__()
        self.heads, self.causal = heads, causal
        self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))
        self.weights: Tensor | None = None

    def forward(self, x: Tensor) -> Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        if self.causal:
            out, w = causal_attention(q, k, v)
        else:
            w = (q @ k.transpose(-2, -1) / math.sqrt(d // self.heads)).softmax(dim=-1)
            out = w @ v
        self.weights = w.detach()
        x = x + self.proj(out.transpose(1, 2).reshape(b, t, d))
        return x + self.mlp(self.ln2(x))


def sinusoidal(t: int, d: int) -> Tensor:
    """The sinusoidal positional encoding of Vaswani et al. (2017), shape (t, d)."""
    position = torch.arange(t).float()[:, None]
    freq = torch.exp(-math.log(10000.0) * torch.arange(0, d, 2).float() / d)
    pe = torch.zeros(t, d)
    pe[:, 0::2] = torch.sin(position * freq)
    pe[:, 1::2] = torch.cos(position * freq)
    return pe


class CharTransformer(nn.Module):
    """Token embedding + sinusoidal positions, `depth` blocks, a final layer norm and a linear read-out."""

    pe: Tensor  # the positional encodings, a buffer (moves with the model, not trained)

    def __init__(
        self, vocab: int, width: int = 96, heads: int = 4, depth: int = 2, context: int = 64, causal: bool = True
    ):
        super().__init__()
        self.embed = nn.Embedding(vocab, width)
        self.register_buffer("pe", sinusoidal(context, width))
        self.blocks = nn.ModuleList(Block(width, heads, causal) for _ in range(depth))
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab)

    def forward(self, idx: Tensor) -> Tensor:
        x = self.embed(idx) + self.pe[: idx.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))


def batch(data: Tensor, context: int, size: int, g: torch.Generator) -> tuple[Tensor, Tensor]:
    """`size` random windows of `context` characters and the same windows shifted by one."""
    start = torch.randint(len(data) - context - 1, (size,), generator=g)
    offsets = torch.arange(context)
    return data[start[:, None] + offsets], data[start[:, None] + offsets + 1]


def evaluate(model: nn.Module, data: Tensor, context: int) -> float:
    """Mean cross-entropy (nats per character) over consecutive non-overlapping windows of `data`."""
    n = (len(data) - 1) // context
    x = data[: n * context].view(n, context)
    y = data[1 : n * context + 1].view(n, context)
    model.eval()
    with torch.no_grad():
        losses = [
            F.cross_entropy(model(xb).flatten(0, 1), yb.flatten(), reduction="sum")
            for xb, yb in zip(x.split(256), y.split(256))
        ]
    return float(sum(losses) / y.numel())


def train_lm(
    train: Tensor,
    vocab: int,
    steps: int = 600,
    seed: int = 0,
    context: int = 64,
    width: int = 96,
    heads: int = 4,
    depth: int = 2,
    batch_size: int = 32,
    lr: float = 3e-3,
) -> nn.Module:
    """Train a CharTransformer with AdamW for `steps` steps; returns the model in eval mode."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = CharTransformer(vocab, width, heads, depth, context)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=lr, total_steps=steps, pct_start=0.1)
    model.train()
    for _ in range(steps):
        x, y = batch(train, context, batch_size, g)
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
    return model.eval()


def copy_batch(size: int, length: int, symbols: int, g: torch.Generator) -> tuple[Tensor, Tensor]:
    """Copy task: input = random symbols s, a separator (token 0), then s again; target = the next token."""
    s = torch.randint(1, symbols, (size, length), generator=g)
    seq = torch.cat([s, torch.zeros(size, 1, dtype=torch.long), s], dim=1)
    return seq[:, :-1], seq[:, 1:]


def train_copy(
    steps: int = 400, seed: int = 0, length: int = 8, symbols: int = 11, width: int = 64
) -> tuple[nn.Module, float, float]:
    """Train a 1-layer, 1-head causal transformer on the copy task.

    Returns (model, accuracy on the copied half, mean attention mass on the correct source position).
    """
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = CharTransformer(symbols, width, heads=1, depth=1, context=2 * length)
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        x, y = copy_batch(64, length, symbols, g)
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    accuracy, mass = copy_attention_mass(model, length, symbols)
    return model, accuracy, mass


def copy_attention_mass(model: CharTransformer, length: int, symbols: int, seed: int = 123) -> tuple[float, float]:
    """Accuracy on the copied half, and the mean attention weight from each query that predicts s[j] on the
    source position that holds the token to copy.

    Input position length + j (the separator for j = 0, then s[j - 1]) predicts s[j], which sits at position j.
    """
    x, y = copy_batch(500, length, symbols, torch.Generator().manual_seed(seed))
    model.eval()
    with torch.no_grad():
        predicted = model(x).argmax(dim=-1)
    first = model.blocks[0]
    assert isinstance(first, Block) and first.weights is not None, "run the model before reading its attention"
    w = first.weights[:, 0]  # (batch, query, key), the one head
    queries = torch.arange(length, 2 * length)
    mass = w[:, queries, queries - length].mean()
    accuracy = (predicted[:, length - 1 :] == y[:, length - 1 :]).float().mean()
    return float(accuracy), float(mass)


def attention_matrix_elements(t: int, heads: int = 1, batch_size: int = 1) -> int:
    """Number of entries in the attention weights for a sequence of length t: batch x heads x t x t."""
    return batch_size * heads * t * t
