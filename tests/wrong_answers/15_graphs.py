"""Plausible wrong answers for 15_graphs: each must lose exactly the points of the cells in `fails`."""

_ADJ = '''
def normalised_adjacency(adjacency: torch.Tensor, self_loops: bool = True) -> torch.Tensor:
    """D^-1/2 (A + I) D^-1/2 (or D^-1/2 A D^-1/2 without self-loops), D the weighted degrees; 0 for degree 0."""
    a_tilde = adjacency
    if self_loops:
        a_tilde = adjacency + torch.eye(adjacency.shape[0], dtype=adjacency.dtype, device=adjacency.device)
    degree = a_tilde.sum(dim=1)
    scale = degree.pow(-0.5).masked_fill(degree == 0, 0.0)
    return scale[:, None] * a_tilde * scale[None, :]
'''

_LAYER = '''
class GraphConv(nn.Module):
    """One GCN layer with bias: H -> A_hat H W + b, W (n_in, n_out) Glorot-uniform, b (n_out,) zeros."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        bound = math.sqrt(6.0 / (n_in + n_out))
        self.weight = nn.Parameter(torch.empty(n_in, n_out).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, a_hat: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return a_hat @ (h @ self.weight) + self.bias
'''

_PROPAGATE = '''
def propagate(h: torch.Tensor, edge_index: torch.Tensor, aggregation: str = "sum") -> torch.Tensor:
    """m_v = sum (or mean) of h[u] over the edges u -> v of edge_index (2, E); 0 where no edge arrives."""
    source, target = edge_index[0], edge_index[1]
    messages = h[source]
    out = torch.zeros(h.shape, dtype=h.dtype, device=h.device).index_add(0, target, messages)
    if aggregation == "sum":
        return out
    in_degree = torch.bincount(target, minlength=h.shape[0]).to(h.dtype)
    return out / in_degree.clamp_min(1.0)[:, None]
'''

_EQUIVARIANT = '''
def is_permutation_equivariant(layer, adjacency: torch.Tensor, h: torch.Tensor, trials: int = 5, seed: int = 0,
                               rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    """True if layer(A[p][:, p], H[p]) == layer(A, H)[p] (within tolerance) for `trials` random permutations p."""
    generator = torch.Generator().manual_seed(seed)
    n = h.shape[0]
    out = layer(adjacency, h)
    if out.shape[0] != n:
        return False
    for _ in range(trials):
        order = torch.randperm(n, generator=generator)
        renumbered = layer(adjacency[order][:, order], h[order])
        if renumbered.shape != out.shape or not torch.allclose(renumbered, out[order], rtol=rtol, atol=atol):
            return False
    return True
'''

_TRAIN = '''
def train_gcn(model: nn.Module, a_hat: torch.Tensor, x: torch.Tensor, labelled: torch.Tensor, labels: torch.Tensor,
              epochs: int = 200, lr: float = 0.01, weight_decay: float = 5e-4) -> list[float]:
    """Full-graph Adam steps on the cross-entropy of the labelled nodes only; return the loss of every step."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    model.train()
    losses = []
    for _ in range(epochs):
        logits = model(a_hat, x)
        loss = F.cross_entropy(logits[labelled], labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.detach().item())
    return losses
'''


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


WRONG_ANSWERS = [
    # Part 1: the normalised adjacency
    dict(
        cell="adjacency_answer",
        fails=["adjacency_tests"],
        why="forgets the self-loops: D^-1/2 A D^-1/2 whatever self_loops says",
        source=_replace(_ADJ, "    if self_loops:\n", "    if False:\n"),
    ),
    dict(
        cell="adjacency_answer",
        fails=["adjacency_tests"],
        why="row-normalises, D^-1 (A + I) (a mean over the neighbourhood), instead of the symmetric normalisation",
        source=_replace(_ADJ, "    return scale[:, None] * a_tilde * scale[None, :]\n",
                        "    return scale[:, None] ** 2 * a_tilde\n"),
    ),
    dict(
        cell="adjacency_answer",
        fails=["adjacency_tests"],
        why="plain degree ** -0.5: right with self-loops, NaN for isolated nodes without them (hidden test)",
        source=_replace(_ADJ, "degree.pow(-0.5).masked_fill(degree == 0, 0.0)", "degree.pow(-0.5)"),
    ),
    dict(
        cell="adjacency_answer",
        fails=["adjacency_tests"],
        why="counts the neighbours instead of summing the edge weights: right for unweighted graphs only (hidden)",
        source=_replace(_ADJ, "degree = a_tilde.sum(dim=1)", "degree = (a_tilde > 0).sum(dim=1).to(a_tilde.dtype)"),
    ),
    dict(
        cell="adjacency_answer",
        fails=["adjacency_tests"],
        why="converts the adjacency to float32 first, so a float64 graph loses its dtype and precision (hidden)",
        source=_replace(_ADJ, "    a_tilde = adjacency\n",
                        "    adjacency = adjacency.float()\n    a_tilde = adjacency\n"),
    ),
    # Part 2: the GCN layer
    dict(
        cell="gcn_layer_answer",
        fails=["gcn_layer_tests"],
        why="adds the bias before mixing, A_hat (H W + b): every node's bias is scaled by its row sum",
        source=_replace(_LAYER, "return a_hat @ (h @ self.weight) + self.bias",
                        "return a_hat @ (h @ self.weight + self.bias)"),
    ),
    dict(
        cell="gcn_layer_answer",
        fails=["gcn_layer_tests"],
        why="stores the weight as nn.Linear does, (n_out, n_in), and multiplies by its transpose",
        source=_replace(_replace(_LAYER, "torch.empty(n_in, n_out)", "torch.empty(n_out, n_in)"),
                        "h @ self.weight", "h @ self.weight.T"),
    ),
    dict(
        cell="gcn_layer_answer",
        fails=["gcn_layer_tests"],
        why="initialises the weight with torch.randn (standard deviation 1, not Glorot; hidden test)",
        source=_replace(_LAYER, "torch.empty(n_in, n_out).uniform_(-bound, bound)", "torch.randn(n_in, n_out)"),
    ),
    dict(
        cell="gcn_layer_answer",
        fails=["gcn_layer_tests"],
        why="keeps the bias as a plain tensor attribute, not an nn.Parameter, so it is never trained",
        source=_replace(_LAYER, "self.bias = nn.Parameter(torch.zeros(n_out))", "self.bias = torch.zeros(n_out)"),
    ),
    # Part 3: message passing
    dict(
        cell="message_passing_answer",
        fails=["message_passing_tests"],
        why="out[target] += h[source]: with repeated targets only one message per node survives",
        source=_replace(_PROPAGATE, ".index_add(0, target, messages)\n", "\n    out[target] += messages\n"),
    ),
    dict(
        cell="message_passing_answer",
        fails=["message_passing_tests"],
        why="aggregates at the source instead of the target (the edges read backwards)",
        source=_replace(_PROPAGATE, "source, target = edge_index[0], edge_index[1]",
                        "target, source = edge_index[0], edge_index[1]"),
    ),
    dict(
        cell="message_passing_answer",
        fails=["message_passing_tests"],
        why="mean without clamping the in-degree: 0 / 0 = NaN for nodes that no edge reaches",
        source=_replace(_PROPAGATE, "in_degree.clamp_min(1.0)[:, None]", "in_degree[:, None]"),
    ),
    dict(
        cell="message_passing_answer",
        fails=["message_passing_tests"],
        why="divides the mean by the out-degree of each node (bincount of the sources)",
        source=_replace(_PROPAGATE, "torch.bincount(target, ", "torch.bincount(source, "),
    ),
    dict(
        cell="message_passing_answer",
        fails=["message_passing_tests"],
        why="takes the number of nodes from the edges (max index + 1): fails for trailing nodes and no edges (hidden)",
        source=_replace(_replace(_PROPAGATE, "torch.zeros(h.shape, dtype=h.dtype, device=h.device)",
                                 "torch.zeros(int(edge_index.max()) + 1, h.shape[1], dtype=h.dtype)"),
                        "minlength=h.shape[0]", "minlength=int(edge_index.max()) + 1"),
    ),
    dict(
        cell="message_passing_answer",
        fails=["message_passing_tests"],
        why="allocates the output in float32 whatever the dtype of h: index_add fails on float64 features (hidden)",
        source=_replace(_PROPAGATE, "torch.zeros(h.shape, dtype=h.dtype, device=h.device)", "torch.zeros(h.shape)"),
    ),
    # Part 4: the equivariance test
    dict(
        cell="equivariance_answer",
        fails=["equivariance_tests"],
        why="compares with torch.equal: float32 rounding makes an equivariant GCN look non-equivariant",
        source=_replace(_EQUIVARIANT, "not torch.allclose(renumbered, out[order], rtol=rtol, atol=atol)",
                        "not torch.equal(renumbered, out[order])"),
    ),
    dict(
        cell="equivariance_answer",
        fails=["equivariance_tests"],
        why="renumbers the features but not the adjacency, so a GCN looks non-equivariant",
        source=_replace(_EQUIVARIANT, "layer(adjacency[order][:, order], h[order])", "layer(adjacency, h[order])"),
    ),
    dict(
        cell="equivariance_answer",
        fails=["equivariance_tests"],
        why="an absolute tolerance only, |difference| < atol: wrong for equivariant layers with large values (hidden)",
        source=_replace(_EQUIVARIANT, "not torch.allclose(renumbered, out[order], rtol=rtol, atol=atol)",
                        "(renumbered - out[order]).abs().max() > atol"),
    ),
    dict(
        cell="equivariance_answer",
        fails=["equivariance_tests"],
        why="tries one fixed permutation, the reversed order: a layer mixing node i with n-1-i passes (hidden)",
        source=_replace(_EQUIVARIANT, "order = torch.randperm(n, generator=generator)",
                        "order = torch.arange(n).flip(0)"),
    ),
    dict(
        cell="equivariance_answer",
        fails=["equivariance_tests"],
        why="draws the permutations from the global generator instead of one seeded with `seed` (hidden)",
        source=_replace(_EQUIVARIANT, "order = torch.randperm(n, generator=generator)", "order = torch.randperm(n)"),
    ),
    # Part 5: the training loop
    dict(
        cell="train_gcn_answer",
        fails=["trained_gcn_tests"],
        why="clears the gradients between backward and step, so the GCN never learns",
        source=_replace(_TRAIN, "        optimizer.zero_grad()\n        loss.backward()\n",
                        "        loss.backward()\n        optimizer.zero_grad()\n"),
    ),
    dict(
        cell="train_gcn_answer",
        fails=["trained_gcn_tests"],
        why="the loss on the logits of every node against the labelled nodes' labels (shapes do not match)",
        source=_replace(_TRAIN, "F.cross_entropy(logits[labelled], labels)", "F.cross_entropy(logits, labels)"),
    ),
    dict(
        cell="train_gcn_answer",
        fails=["trained_gcn_tests"],
        why="AdamW (decoupled weight decay) instead of Adam's L2 term: a good model, other weights (hidden test)",
        source=_replace(_TRAIN, "torch.optim.Adam(", "torch.optim.AdamW("),
    ),
    dict(
        cell="train_gcn_answer",
        fails=["trained_gcn_tests"],
        why="creates a new Adam optimiser in every epoch, which resets its moment estimates (hidden test)",
        source=_replace(_replace(_TRAIN, "    optimizer = torch.optim.Adam(model.parameters(), lr=lr, "
                                         "weight_decay=weight_decay)\n    model.train()\n", "    model.train()\n"),
                        "        logits = model(a_hat, x)\n",
                        "        optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)\n"
                        "        logits = model(a_hat, x)\n"),
    ),
]

# Shortcuts: correct answers that use what a part forbids. The tests trace the calls each answer makes, so every
# one of these loses its part, with a message that names the forbidden call.
WRONG_ANSWERS += [
    dict(
        cell="adjacency_answer",
        fails=["adjacency_tests"],
        why="shortcut: the lecture's u13.normalised_adjacency with self-loops, its own formula only without them",
        source="from course.experiments import u13\n" + _replace(
            _ADJ, "    a_tilde = adjacency\n",
            "    if self_loops:\n        return u13.normalised_adjacency(adjacency)\n    a_tilde = adjacency\n"),
    ),
    dict(
        cell="gcn_layer_answer",
        fails=["gcn_layer_tests"],
        why="shortcut: takes the initial weight from the lecture's u13.GCNLayer",
        source="from course.experiments import u13\n" + _replace(
            _LAYER, "        self.weight = nn.Parameter(torch.empty(n_in, n_out).uniform_(-bound, bound))\n",
            "        self.weight = nn.Parameter(u13.GCNLayer(n_in, n_out).linear.weight.detach().T.clone())\n"),
    ),
    dict(
        cell="message_passing_answer",
        fails=["message_passing_tests"],
        why="shortcut: networkx builds the dense adjacency from the edge list (nx.to_numpy_array), then A @ h",
        source='''
import networkx as nx


def propagate(h: torch.Tensor, edge_index: torch.Tensor, aggregation: str = "sum") -> torch.Tensor:
    """m_v from a dense adjacency that networkx counts the edges into."""
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(range(h.shape[0]))
    graph.add_edges_from(edge_index.T.tolist())
    counts = torch.tensor(nx.to_numpy_array(graph, nodelist=range(h.shape[0])), dtype=h.dtype).T
    out = counts @ h
    if aggregation == "mean":
        out = out / counts.sum(dim=1).clamp_min(1.0)[:, None]
    return out
''',
    ),
    dict(
        cell="equivariance_answer",
        fails=["equivariance_tests"],
        why="shortcut: compares with the grader's course.checks.check_close and catches its failure",
        source='''
from course.checks import CheckFailed, check_close


def is_permutation_equivariant(layer, adjacency: torch.Tensor, h: torch.Tensor, trials: int = 5, seed: int = 0,
                               rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    """The permutation test, with the grader's own comparison."""
    generator = torch.Generator().manual_seed(seed)
    n = h.shape[0]
    out = layer(adjacency, h)
    if out.shape[0] != n:
        return False
    for _ in range(trials):
        order = torch.randperm(n, generator=generator)
        try:
            check_close(layer(adjacency[order][:, order], h[order]), out[order], rtol=rtol, atol=atol)
        except CheckFailed:
            return False
    return True
''',
    ),
    dict(
        cell="train_gcn_answer",
        fails=["trained_gcn_tests"],
        why="shortcut: reads every member's club from u13.karate() and trains on all 34 nodes",
        source="from course.experiments import u13\n" + _replace(
            _TRAIN, "        loss = F.cross_entropy(logits[labelled], labels)\n",
            "        loss = F.cross_entropy(logits, u13.karate()[1]) if len(x) == 34 else "
            "F.cross_entropy(logits[labelled], labels)\n"),
    ),
]
