"""Reference solutions for assignment 02: from token ids to input vectors."""

import itertools

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from autograder.materials.data.dog_planet import clauses
from autograder.reference.lock import reference


@reference
def count_bigrams(sentences: list[list[str]], vocab: list[str]) -> torch.Tensor:
    """counts[i, j] = how often vocab[j] directly follows vocab[i] inside a sentence (int64)."""
    index = {word: i for i, word in enumerate(vocab)}
    counts = torch.zeros(len(vocab), len(vocab), dtype=torch.int64)
    for sentence in sentences:
        for previous, following in itertools.pairwise(sentence):
            counts[index[previous], index[following]] += 1
    return counts


@reference
def bigram_probabilities(counts: torch.Tensor) -> torch.Tensor:
    """Each row of counts divided by its sum (float32); a row without counts becomes uniform."""
    counts = counts.to(torch.float32)
    totals = counts.sum(dim=1, keepdim=True)
    uniform = torch.full_like(counts, 1.0 / counts.shape[1])
    return torch.where(totals > 0, counts / totals.clamp(min=1), uniform)


@reference
def predict_next(probabilities: torch.Tensor, vocab: list[str], word: str) -> str:
    """The most probable next word after ``word`` (the first one on ties)."""
    return vocab[int(torch.argmax(probabilities[vocab.index(word)]))]


@reference
class SlidingWindowDataset(Dataset):
    """Input/target pairs of ``max_length`` ids; targets are the inputs shifted by one."""

    def __init__(self, token_ids: list[int], max_length: int, stride: int):
        if len(token_ids) < max_length + 1:
            raise ValueError(f"need at least max_length + 1 = {max_length + 1} token ids, got {len(token_ids)}")
        self.inputs, self.targets = [], []
        for start in range(0, len(token_ids) - max_length, stride):
            self.inputs.append(torch.tensor(token_ids[start : start + max_length]))
            self.targets.append(torch.tensor(token_ids[start + 1 : start + max_length + 1]))

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.inputs[index], self.targets[index]


@reference
def create_dataloader(
    token_ids: list[int],
    batch_size: int,
    max_length: int,
    stride: int,
    shuffle: bool = True,
    drop_last: bool = True,
    seed: int = 0,
) -> DataLoader:
    """Batches of sliding windows; ``seed`` fixes the shuffling order."""
    dataset = SlidingWindowDataset(token_ids, max_length, stride)
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, generator=generator)


@reference
def one_hot_embedding(token_ids: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """An embedding lookup written as one-hot vectors times the weight matrix."""
    one_hot = torch.nn.functional.one_hot(token_ids, num_classes=weight.shape[0]).to(weight.dtype)
    return one_hot @ weight


@reference
class InputEmbedding(nn.Module):
    """Token embedding plus learned absolute position embedding: (batch, tokens) -> (batch, tokens, dim)."""

    def __init__(self, vocab_size: int, context_length: int, dim: int):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab_size, dim)
        self.position_embedding = nn.Embedding(context_length, dim)

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(token_ids.shape[-1], device=token_ids.device)
        return self.token_embedding(token_ids) + self.position_embedding(positions)


@reference
def cosine_similarity(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Cosine of the angle between vectors along the last dimension."""
    return (a * b).sum(dim=-1) / (a.norm(dim=-1) * b.norm(dim=-1))


@reference
def nearest_neighbours(vectors: torch.Tensor, index: int, k: int) -> list[int]:
    """Indices of the k rows most cosine-similar to row ``index`` (itself excluded), most similar first."""
    similarity = cosine_similarity(vectors, vectors[index])
    similarity[index] = -float("inf")
    return similarity.topk(k).indices.tolist()


@reference
def train_bigram(pairs: torch.Tensor, vocab_size: int, steps: int, lr: float) -> tuple[nn.Embedding, list[float]]:
    """The bigram model learned instead of counted: a (vocab_size, vocab_size) table of next-word logits,
    trained by full-batch gradient descent on the cross-entropy of (word, next word) id pairs."""
    model = nn.Embedding(vocab_size, vocab_size)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(pairs[:, 0]), pairs[:, 1])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses


@reference
def count_now_after_just_now(sentences: list[list[str]], actions: list[str]) -> torch.Tensor:
    """counts[i, j] = how often a 现在 clause starts with actions[j] right after a 刚才 clause of the same
    sentence that ended with actions[i] (int64): the counts of the dog-planet rule a bigram cannot see."""
    index = {action: i for i, action in enumerate(actions)}
    counts = torch.zeros(len(actions), len(actions), dtype=torch.int64)
    for sentence in sentences:
        for before, now in itertools.pairwise(clauses(sentence)):
            if before[1] == "刚才" and now[1] == "现在":
                counts[index[before[-1]], index[now[2]]] += 1
    return counts
