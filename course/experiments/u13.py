"""Unit 13: the experiments behind the lecture on graph neural networks.

Zachary's karate club as tensors; the normalised adjacency of Kipf and Welling; a two-layer graph
convolutional network (GCN) and a multi-layer perceptron (MLP) that sees the node features alone, both
trained on two labelled nodes per club; and the mean cosine similarity of the node representations as
the normalised adjacency is applied again and again (over-smoothing). The lecture writes each of these
out in its own cells and checks that they agree with these functions; `tests/test_claims_u13.py`
asserts the claims with them.
"""

from __future__ import annotations

import networkx as nx
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course._validate import check_positive_int

CLUBS = ("Mr. Hi", "Officer")  # the values of the node attribute `club`: class 0 and class 1
EPOCHS, LR, WEIGHT_DECAY, HIDDEN = 200, 0.01, 5e-4, 16


def karate() -> tuple[Tensor, Tensor]:
    """The karate club as (adjacency, labels): a symmetric 34 x 34 float tensor of 0s and 1s, and the clubs."""
    graph = nx.karate_club_graph()
    n = graph.number_of_nodes()
    adjacency = torch.zeros(n, n)
    for u, v in graph.edges():
        adjacency[u, v] = adjacency[v, u] = 1.0
    labels = torch.tensor([CLUBS.index(graph.nodes[i]["club"]) for i in range(n)])
    return adjacency, labels


def normalised_adjacency(adjacency: Tensor) -> Tensor:
    """D^-1/2 (A + I) D^-1/2, with D the degrees of A + I (Kipf and Welling, 2017)."""
    a_tilde = adjacency + torch.eye(adjacency.shape[0], dtype=adjacency.dtype)
    d = a_tilde.sum(dim=1)
    return a_tilde / torch.sqrt(d[:, None] * d[None, :])


class GCNLayer(nn.Module):
    """H -> Â H W (no bias, no activation)."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out, bias=False)

    def forward(self, a_hat: Tensor, h: Tensor) -> Tensor:
        return a_hat @ self.linear(h)


class GCN(nn.Module):
    """Two GCN layers with a ReLU between them: Â ReLU(Â X W1) W2, the logits of every node."""

    def __init__(self, n_in: int, n_hidden: int, n_out: int):
        super().__init__()
        self.layer1 = GCNLayer(n_in, n_hidden)
        self.layer2 = GCNLayer(n_hidden, n_out)

    def forward(self, a_hat: Tensor, x: Tensor) -> Tensor:
        return self.layer2(a_hat, torch.relu(self.layer1(a_hat, x)))


class DeepGCN(nn.Module):
    """`depth` GCN layers (n_in -> n_hidden -> ... -> n_hidden -> n_out) with a ReLU after all but the last."""

    def __init__(self, n_in: int, n_hidden: int, n_out: int, depth: int):
        super().__init__()
        check_positive_int(depth, "depth")
        sizes = [n_in] + [n_hidden] * (depth - 1) + [n_out]
        self.layers = nn.ModuleList(GCNLayer(a, b) for a, b in zip(sizes, sizes[1:]))

    def forward(self, a_hat: Tensor, x: Tensor) -> Tensor:
        h = x
        for i, layer in enumerate(self.layers):
            h = layer(a_hat, h)
            if i < len(self.layers) - 1:
                h = torch.relu(h)
        return h


class NodeMLP(nn.Module):
    """The same sizes without the graph: ReLU(X W1 + b1) W2 + b2. It takes Â only to be called like the GCN."""

    def __init__(self, n_in: int, n_hidden: int, n_out: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU(), nn.Linear(n_hidden, n_out))

    def forward(self, a_hat: Tensor, x: Tensor) -> Tensor:
        return self.net(x)


def labelled_nodes(labels: Tensor, per_class: int, seed: int) -> Tensor:
    """`per_class` nodes of each class drawn at random (torch generator seeded with `seed`), class 0 first."""
    check_positive_int(per_class, "per_class")
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for c in range(int(labels.max()) + 1):
        members = torch.nonzero(labels == c).flatten()
        chosen.append(members[torch.randperm(len(members), generator=generator)[:per_class]])
    return torch.cat(chosen)


def train_and_test(kind: str, seed: int, per_class: int = 2, epochs: int = EPOCHS, depth: int = 2) -> float:
    """Train a GCN (`kind="gcn"`, `depth` layers) or an MLP (`"mlp"`) on `per_class` labelled nodes per club,
    one-hot node features, Adam; return the accuracy on all the other nodes."""
    adjacency, labels = karate()
    n = len(labels)
    a_hat, x = normalised_adjacency(adjacency), torch.eye(n)
    train = labelled_nodes(labels, per_class, seed)
    test = torch.ones(n, dtype=torch.bool)
    test[train] = False
    torch.manual_seed(seed)
    if kind == "gcn" and depth != 2:
        model: nn.Module = DeepGCN(n, HIDDEN, 2, depth)
    else:
        model = {"gcn": GCN, "mlp": NodeMLP}[kind](n, HIDDEN, 2)
    optimiser = torch.optim.Adam(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    model.train()
    for _ in range(epochs):
        optimiser.zero_grad()
        loss = F.cross_entropy(model(a_hat, x)[train], labels[train])
        loss.backward()
        optimiser.step()
    model.eval()
    with torch.no_grad():
        predicted = model(a_hat, x).argmax(dim=1)
    return float((predicted[test] == labels[test]).float().mean())


def mean_cosine(h: Tensor) -> float:
    """Mean cosine similarity over all pairs of distinct rows of `h` (rows of length 0 count as 0)."""
    n = h.shape[0]
    unit = h / h.norm(dim=1, keepdim=True).clamp_min(1e-12)
    similarity = unit @ unit.T
    return float((similarity.sum() - similarity.diagonal().sum()) / (n * (n - 1)))


def smoothing_curve(a_hat: Tensor, x: Tensor, depth: int = 32) -> list[float]:
    """mean_cosine(Â^k X) for k = 1 .. depth: the representations after k propagation steps."""
    check_positive_int(depth, "depth")
    h, curve = x, []
    for _ in range(depth):
        h = a_hat @ h
        curve.append(mean_cosine(h))
    return curve
