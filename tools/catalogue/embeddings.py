"""Assignment 02's checks accept valid alternatives and reject the classic bugs, visible and hidden."""

from autograder.checks import embeddings as checks

__all__ = ["BUGGY", "COMMON", "VALID", "checks"]  # what tests/test_check_catalogue.py reads

COMMON = """
import torch
from torch import nn
from torch.utils.data import Dataset, DataLoader

class SlidingWindowDataset(Dataset):
    def __init__(self, ids, max_length, stride):
        starts = range(0, len(ids) - max_length, stride)
        if not starts:
            raise ValueError("too short")
        self.pairs = [(torch.tensor(ids[s:s + max_length]), torch.tensor(ids[s + 1:s + max_length + 1])) for s in starts]
    def __len__(self):
        return len(self.pairs)
    def __getitem__(self, i):
        return self.pairs[i]
"""

TRAIN_BIGRAM = (  # a correct loop, for the bugs below to break
    "def train_bigram(pairs, vocab_size, steps, lr):\n"
    "    model = nn.Embedding(vocab_size, vocab_size)\n    opt = torch.optim.SGD(model.parameters(), lr=lr)\n"
    "    losses = []\n    for _ in range(steps):\n        opt.zero_grad()\n"
    "        loss = nn.functional.cross_entropy(model(pairs[:, 0]), pairs[:, 1])\n"
    "        loss.backward()\n        opt.step()\n        losses.append(loss.item())\n    return model, losses"
)

COUNT_CONTEXT = (  # a correct count of the dog-planet rule, for the bugs below to break
    "def count_now_after_just_now(sentences, actions):\n"
    "    counts = torch.zeros(len(actions), len(actions), dtype=torch.int64)\n"
    "    for s in sentences:\n"
    "        starts = [i for i, w in enumerate(s) if w == '我']\n"
    "        clauses = [s[a:b] for a, b in zip(starts, starts[1:] + [len(s)])]\n"
    "        for before, now in zip(clauses, clauses[1:]):\n"
    "            if before[1] == '刚才' and now[1] == '现在':\n"
    "                counts[actions.index(before[-1]), actions.index(now[2])] += 1\n"
    "    return counts"
)

VALID = [
    (
        "count_bigrams",
        "def count_bigrams(sentences, vocab):\n"
        "    c = torch.zeros(len(vocab), len(vocab), dtype=torch.long)\n"
        "    for s in sentences:\n        for i in range(len(s) - 1):\n"
        "            c[vocab.index(s[i]), vocab.index(s[i + 1])] += 1\n    return c",
    ),
    (
        "bigram_probabilities",
        "def bigram_probabilities(counts):\n"
        "    p = counts.float()\n    rows = p.sum(1, keepdim=True)\n"
        "    p = p / rows\n    p[rows.squeeze(1) == 0] = 1 / counts.shape[1]\n    return p",
    ),
    (
        "predict_next",
        "def predict_next(p, vocab, word):\n    row = p[vocab.index(word)].tolist()\n"
        "    return vocab[row.index(max(row))]",
    ),
    (
        "predict_next",
        "def predict_next(p, vocab, word):\n    row = p[vocab.index(word)]\n"
        "    return vocab[min(range(len(vocab)), key=lambda i: (-row[i].item(), i))]",
    ),
    (  # Adam, at a learning rate of its own
        "train_bigram",
        "def train_bigram(pairs, vocab_size, steps, lr):\n"
        "    model = nn.Embedding(vocab_size, vocab_size)\n    opt = torch.optim.Adam(model.parameters(), lr=0.3)\n"
        "    losses = []\n    for _ in range(steps):\n"
        "        loss = nn.functional.cross_entropy(model(pairs[:, 0]), pairs[:, 1])\n"
        "        opt.zero_grad()\n        loss.backward()\n        opt.step()\n        losses.append(loss.item())\n"
        "    return model, losses",
    ),
    (  # the update written out, under torch.no_grad()
        "train_bigram",
        "def train_bigram(pairs, vocab_size, steps, lr):\n"
        "    model = nn.Embedding(vocab_size, vocab_size)\n    x, y = pairs.unbind(1)\n    losses = []\n"
        "    for _ in range(steps):\n"
        "        loss = nn.functional.nll_loss(model(x).log_softmax(-1), y)\n"
        "        model.weight.grad = None\n        loss.backward()\n"
        "        with torch.no_grad():\n            model.weight -= lr * model.weight.grad\n"
        "        losses.append(loss.item())\n    return model, losses",
    ),
    (  # SGD with momentum and a smaller step
        "train_bigram",
        "def train_bigram(pairs, vocab_size, steps, lr):\n"
        "    model = nn.Embedding(vocab_size, vocab_size)\n"
        "    opt = torch.optim.SGD(model.parameters(), lr=lr / 2, momentum=0.9)\n    losses = []\n"
        "    for _ in range(steps):\n        opt.zero_grad()\n"
        "        loss = nn.functional.cross_entropy(model(pairs[:, 0]), pairs[:, 1])\n"
        "        loss.backward()\n        opt.step()\n        losses.append(loss.item())\n    return model, losses",
    ),
    (  # mini-batches: a quarter of the pairs, reshuffled every step
        "train_bigram",
        "def train_bigram(pairs, vocab_size, steps, lr):\n"
        "    model = nn.Embedding(vocab_size, vocab_size)\n    opt = torch.optim.SGD(model.parameters(), lr=lr)\n"
        "    losses = []\n    for _ in range(steps):\n"
        "        batch = pairs[torch.randperm(len(pairs))[: len(pairs) // 4]]\n        opt.zero_grad()\n"
        "        loss = nn.functional.cross_entropy(model(batch[:, 0]), batch[:, 1])\n"
        "        loss.backward()\n        opt.step()\n        losses.append(loss.item())\n    return model, losses",
    ),
    (  # word by word: the action three back, if its clause says 刚才
        "count_now_after_just_now",
        "def count_now_after_just_now(sentences, actions):\n"
        "    c = torch.zeros(len(actions), len(actions), dtype=torch.long)\n"
        "    for s in sentences:\n        for i, w in enumerate(s):\n"
        "            if w == '现在' and i >= 4:\n"
        "                k = max(j for j in range(i - 1) if s[j] == '我')\n"
        "                if s[k + 1] == '刚才':\n"
        "                    c[actions.index(s[i - 2]), actions.index(s[i + 1])] += 1\n    return c",
    ),
    (  # a regular expression over the sentence as text, then a Counter
        "count_now_after_just_now",
        "import re\nfrom collections import Counter\n"
        "def count_now_after_just_now(sentences, actions):\n"
        "    pairs = Counter()\n    for s in sentences:\n"
        "        for m in re.finditer(r'刚才 ((?:(?!我 )\\S+ )+)我 现在 (\\S+)', ' '.join(s)):\n"
        "            pairs[m[1].split()[-1], m[2]] += 1\n"
        "    return torch.tensor([[pairs[a, b] for b in actions] for a in actions], dtype=torch.int64)",
    ),
    ("SlidingWindowDataset", ""),
    (
        "create_dataloader",
        "def create_dataloader(ids, batch_size, max_length, stride, shuffle=True, drop_last=True, seed=0):\n"
        "    g = torch.Generator()\n    g.manual_seed(seed)\n"
        "    return DataLoader(SlidingWindowDataset(ids, max_length, stride), batch_size, shuffle=shuffle,"
        " drop_last=drop_last, generator=g)",
    ),
    (
        "one_hot_embedding",
        "def one_hot_embedding(ids, weight):\n"
        "    eye = torch.eye(weight.shape[0], dtype=weight.dtype)\n    return eye[ids] @ weight",
    ),
    (
        "one_hot_embedding",
        "def one_hot_embedding(ids, weight):\n"
        "    return torch.einsum('...v,vd->...d', nn.functional.one_hot(ids, weight.shape[0]).to(weight), weight)",
    ),
    (
        "InputEmbedding",
        "class InputEmbedding(nn.Module):\n    def __init__(self, vocab_size, context_length, dim):\n"
        "        super().__init__()\n        self.position_embedding = nn.Embedding(context_length, dim)\n"
        "        self.token_embedding = nn.Embedding(vocab_size, dim)\n    def forward(self, ids):\n"
        "        b, t = ids.shape\n        pos = self.position_embedding.weight[:t].unsqueeze(0).expand(b, t, -1)\n"
        "        return pos + self.token_embedding(ids)",
    ),
    (
        "cosine_similarity",
        "def cosine_similarity(a, b):\n    return nn.functional.cosine_similarity(a, b, dim=-1, eps=0)",
    ),
    (
        "nearest_neighbours",
        "def nearest_neighbours(vectors, index, k):\n"
        "    unit = vectors / vectors.norm(dim=1, keepdim=True)\n    sims = (unit @ unit[index]).tolist()\n"
        "    order = sorted((i for i in range(len(sims)) if i != index), key=lambda i: -sims[i])\n    return order[:k]",
    ),
]

BUGGY = [
    (
        "count_bigrams",
        "def count_bigrams(sentences, vocab):\n"
        "    words = [w for s in sentences for w in s]\n    c = torch.zeros(len(vocab), len(vocab), dtype=torch.long)\n"
        "    for a, b in zip(words, words[1:]): c[vocab.index(a), vocab.index(b)] += 1\n    return c",
        "only inside a sentence",
    ),
    (
        "count_bigrams",
        "def count_bigrams(sentences, vocab):\n"
        "    c = torch.zeros(len(vocab), len(vocab), dtype=torch.long)\n"
        "    for s in sentences:\n        for a, b in zip(s, s[1:]): c[vocab.index(b), vocab.index(a)] += 1\n    return c",
        "row = previous word",
    ),
    (
        "bigram_probabilities",
        "def bigram_probabilities(counts):\n    return counts.float() / counts.float().sum(0, keepdim=True)",
        "values differ",
    ),
    (
        "bigram_probabilities",
        "def bigram_probabilities(counts):\n    return counts.float() / counts.float().sum(1, keepdim=True)",
        "uniform distribution",
    ),
    (
        "predict_next",
        "def predict_next(p, vocab, word):\n    return vocab[int(p[:, vocab.index(word)].argmax())]",
        "largest probability",
    ),
    (  # the largest (probability, word) pair: of equally probable words the last in sorted order
        "predict_next",
        "def predict_next(p, vocab, word):\n    return max(zip(p[vocab.index(word)].tolist(), vocab))[1]",
        "return the first",
    ),
    (  # no zero_grad: every step adds all earlier gradients again
        "train_bigram",
        TRAIN_BIGRAM.replace("        opt.zero_grad()\n", ""),
        "zero_grad",
    ),
    (
        "train_bigram",
        TRAIN_BIGRAM.replace("model(pairs[:, 0])", "model(pairs[:, 0]).softmax(dim=-1)"),
        "log-softmax itself",
    ),
    (  # each word as its own target
        "train_bigram",
        TRAIN_BIGRAM.replace("pairs[:, 1])", "pairs[:, 0])"),
        "predict each word itself",
    ),
    (  # inputs and targets swapped
        "train_bigram",
        TRAIN_BIGRAM.replace("model(pairs[:, 0]), pairs[:, 1]", "model(pairs[:, 1]), pairs[:, 0]"),
        "swapped",
    ),
    (  # the loss tensors themselves
        "train_bigram",
        TRAIN_BIGRAM.replace("losses.append(loss.item())", "losses.append(loss)"),
        "loss.item()",
    ),
    (  # the 刚才 clause's first action
        "count_now_after_just_now",
        COUNT_CONTEXT.replace("before[-1]", "before[2]"),
        "*last* action",
    ),
    (  # any clause before, 刚才 or not
        "count_now_after_just_now",
        COUNT_CONTEXT.replace("before[1] == '刚才' and ", ""),
        "after any clause",
    ),
    (  # the time words swapped
        "count_now_after_just_now",
        COUNT_CONTEXT.replace("'刚才' and now[1] == '现在'", "'现在' and now[1] == '刚才'"),
        "time words are swapped",
    ),
    (  # every action of the 现在 clause
        "count_now_after_just_now",
        COUNT_CONTEXT.replace(
            "                counts[actions.index(before[-1]), actions.index(now[2])] += 1\n",
            "                for a in now[2:]:\n                    counts[actions.index(before[-1]), actions.index(a)] += 1\n",
        ),
        "every action of the 现在 clause",
    ),
    (  # all sentences as one
        "count_now_after_just_now",
        COUNT_CONTEXT.replace("    for s in sentences:\n", "    for s in [[w for s in sentences for w in s]]:\n"),
        "inside each sentence",
    ),
    (  # row = the action now
        "count_now_after_just_now",
        COUNT_CONTEXT.replace(
            "counts[actions.index(before[-1]), actions.index(now[2])]",
            "counts[actions.index(now[2]), actions.index(before[-1])]",
        ),
        "rows and columns are swapped",
    ),
    (  # conditioned on the wrong word: three back counting from 现在, not from the action after it
        "count_now_after_just_now",
        "def count_now_after_just_now(sentences, actions):\n"
        "    c = torch.zeros(len(actions), len(actions), dtype=torch.long)\n"
        "    for s in sentences:\n        for i in range(3, len(s) - 1):\n"
        "            if s[i] == '现在' and s[i - 3] in actions:\n"
        "                c[actions.index(s[i - 3]), actions.index(s[i + 1])] += 1\n    return c",
        "split each sentence into clauses",
    ),
    (  # probabilities instead of counts
        "count_now_after_just_now",
        COUNT_CONTEXT.replace("    return counts", "    return counts / counts.sum(1, keepdim=True).clamp(min=1)"),
        "as int64",
    ),
    (
        "SlidingWindowDataset",
        "class SlidingWindowDataset(SlidingWindowDataset):\n    def __getitem__(self, i):\n"
        "        return self.pairs[i][0], self.pairs[i][0]",
        "shifted by one",
    ),
    (
        "SlidingWindowDataset",
        "class SlidingWindowDataset(Dataset):\n    def __init__(self, ids, max_length, stride):\n"
        "        self.ids, self.n, self.s = ids, max_length, stride\n"
        "    def __len__(self):\n        return len(range(0, len(self.ids) - self.n + 1, self.s))\n"
        "    def __getitem__(self, i):\n        s = i * self.s\n"
        "        return torch.tensor(self.ids[s:s + self.n]), torch.tensor(self.ids[s + 1:s + self.n + 1])",
        "number of windows",
    ),
    (
        "create_dataloader",
        "def create_dataloader(ids, batch_size, max_length, stride, shuffle=True, drop_last=True, seed=0):\n"
        "    return DataLoader(SlidingWindowDataset(ids, max_length, stride), batch_size, shuffle=shuffle)",
        "drop_last",
    ),
    (
        "create_dataloader",
        "def create_dataloader(ids, batch_size, max_length, stride, shuffle=True, drop_last=True, seed=0):\n"
        "    return DataLoader(SlidingWindowDataset(ids, max_length, stride), batch_size, shuffle=shuffle, drop_last=drop_last)",
        "same seed",
    ),
    (
        "one_hot_embedding",
        "def one_hot_embedding(ids, weight):\n"
        "    return nn.functional.one_hot(ids, weight.shape[0]).float() @ weight.T",
        "one_hot",
    ),
    (  # float32 whatever the weight's dtype
        "one_hot_embedding",
        "def one_hot_embedding(ids, weight):\n    return nn.functional.one_hot(ids, weight.shape[0]).float() @ weight",
        "weight's dtype",
    ),
    (
        "InputEmbedding",
        "class InputEmbedding(nn.Module):\n    def __init__(self, vocab_size, context_length, dim):\n"
        "        super().__init__()\n        self.token_embedding = nn.Embedding(vocab_size, dim)\n"
        "        self.position_embedding = nn.Embedding(context_length, dim)\n"
        "    def forward(self, ids):\n        return self.token_embedding(ids)",
        "embeddings of positions",
    ),
    (
        "InputEmbedding",
        "class InputEmbedding(nn.Module):\n    def __init__(self, vocab_size, context_length, dim):\n"
        "        super().__init__()\n        self.token_embedding = nn.Embedding(vocab_size, dim)\n"
        "        self.position_embedding = nn.Embedding(context_length, dim)\n"
        "    def forward(self, ids):\n        return self.token_embedding(ids) + self.position_embedding.weight",
        "positions 0..tokens-1",
    ),
    (
        "cosine_similarity",
        "def cosine_similarity(a, b):\n    return (a * b).sum(-1) / a.norm(dim=-1)",
        "product of the two norms",
    ),
    (
        "nearest_neighbours",
        "def nearest_neighbours(vectors, index, k):\n"
        "    sims = nn.functional.cosine_similarity(vectors, vectors[index], dim=-1)\n    return sims.topk(k).indices.tolist()",
        "not its own neighbour",
    ),
    (  # the global generator reseeded and shuffled, instead of the loader's own (issue 25: randomness)
        "create_dataloader",
        "def create_dataloader(ids, batch_size, max_length, stride, shuffle=True, drop_last=True, seed=0):\n"
        "    torch.manual_seed(seed)\n"
        "    return DataLoader(SlidingWindowDataset(ids, max_length, stride), batch_size, shuffle=shuffle,"
        " drop_last=drop_last)",
        "changed the global random state",
    ),
    (  # assumes the row itself ranks first and drops the first of k + 1
        "nearest_neighbours",
        "def nearest_neighbours(vectors, index, k):\n"
        "    similarity = nn.functional.cosine_similarity(vectors, vectors[index][None], dim=-1)\n"
        "    return similarity.topk(k + 1).indices.tolist()[1:]",
        "neighbours of row",
    ),
]
