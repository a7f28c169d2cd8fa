"""Checks for assignment 02 (embeddings and data sampling). Visible checks use fixed examples;
``*_hidden`` checks compare with the reference on random inputs drawn from ``seed``."""

import itertools
import math
import random

import torch
from torch import nn

from autograder.checks.core import show
from autograder.checks.registry import exercise
from autograder.materials.data import load_dog_planet
from autograder.materials.data.dog_planet import ACTIONS, TRANSITIONS, WORDS, clauses, words_of
from autograder.reference import embeddings as ref

DOG_SENTENCES = [["我", "刚才", "跑步"], ["我", "现在", "吃饭", "睡觉"], ["我", "现在", "跑步", "我", "刚才", "睡觉"]]


def _random_sentences(rng: random.Random, vocab: list[str]) -> list[list[str]]:
    return [[rng.choice(vocab) for _ in range(rng.randint(0, 8))] for _ in range(rng.randint(1, 12))]


def _check_counts(check, count_bigrams, sentences, vocab):
    got = check.call(count_bigrams, [list(s) for s in sentences], list(vocab), description="count_bigrams(...)")
    check.tensor(
        got,
        ref.count_bigrams(sentences, vocab),
        f"bigram counts of {show(sentences)}",
        hint="counts[i, j] counts vocab[i] followed by vocab[j] (row = previous word), "
        "only inside a sentence, as int64",
    )


@exercise
def count_bigrams(check, count_bigrams):
    _check_counts(check, count_bigrams, DOG_SENTENCES, list(WORDS))


@count_bigrams.hidden
def count_bigrams_hidden(check, count_bigrams, seed):
    rng = random.Random(seed)
    for _ in range(10):
        vocab = rng.sample(["a", "b", "c", "d", "e", "f", "g", "我", "你"], rng.randint(1, 9))
        _check_counts(check, count_bigrams, _random_sentences(rng, vocab), vocab)


def _check_probabilities(check, bigram_probabilities, counts):
    got = check.call(bigram_probabilities, counts.clone(), description=f"bigram_probabilities({show(counts)})")
    expected = ref.bigram_probabilities(counts)
    hint = "divide each row by its sum, so each row (one previous word) sums to one"
    if type(got) is torch.Tensor and got.shape == expected.shape and bool(got.isnan().any()):
        hint = "a word that is never followed by anything has a zero row: give it the uniform distribution"
    check.tensor(got, expected, "probabilities", hint=hint)


@exercise
def bigram_probabilities(check, bigram_probabilities):
    _check_probabilities(check, bigram_probabilities, ref.count_bigrams(DOG_SENTENCES, list(WORDS)))


@bigram_probabilities.hidden
def bigram_probabilities_hidden(check, bigram_probabilities, seed):
    generator = torch.Generator().manual_seed(seed)
    for size in (1, 2, 5, 9):
        counts = torch.randint(0, 20, (size, size), generator=generator)
        counts[torch.randint(0, size, (1,), generator=generator)] = 0  # one word never followed
        _check_probabilities(check, bigram_probabilities, counts)


def _check_predict(check, predict_next, probabilities, vocab, word):
    got = check.call(predict_next, probabilities.clone(), list(vocab), word, description=f"predict_next(..., {word!r})")
    row = probabilities[vocab.index(word)]
    tied = int((row == row.max()).sum()) > 1
    check.equal(
        got,
        ref.predict_next(probabilities, vocab, word),
        f"prediction after {word!r}" + (" (equally probable words)" if tied else ""),
        hint="of equally probable words return the first, as torch.argmax does"
        if tied
        else "take the row of the previous word and return the word with the largest probability (torch.argmax)",
    )


@exercise
def predict_next(check, predict_next):
    probabilities = ref.bigram_probabilities(ref.count_bigrams(DOG_SENTENCES, list(WORDS)))
    for word in ("我", "现在"):
        _check_predict(check, predict_next, probabilities, list(WORDS), word)


@predict_next.hidden
def predict_next_hidden(check, predict_next, seed):
    generator = torch.Generator().manual_seed(seed)
    vocab = [f"w{i}" for i in range(7)]
    for _ in range(10):
        probabilities = torch.rand(7, 7, generator=generator).softmax(dim=1)
        _check_predict(
            check, predict_next, probabilities, vocab, vocab[int(torch.randint(0, 7, (1,), generator=generator))]
        )
    # ties, as bigram counts give them: the first of the most probable words, in the vocabulary's order
    counts = torch.tensor([[0, 2, 1, 2, 2], [3, 0, 3, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [0, 1, 0, 0, 1]])
    vocab = ["a", "cat", "dog", "ran", "the"]
    for word in vocab:
        _check_predict(check, predict_next, ref.bigram_probabilities(counts), vocab, word)


# Training must find the distribution, whatever the optimiser: the model's cross-entropy on the pairs within
# KL_TOLERANCE nats of the conditional entropy of their counts (the least any table of logits can reach), and
# every learned probability within PROBABILITY_TOLERANCE of the counted one.
KL_TOLERANCE, PROBABILITY_TOLERANCE = 0.05, 0.2


def _sampled_pairs(generator, probabilities, n):
    """(word, next word) id pairs: each word at least once as the previous word, the next drawn from its row."""
    vocab_size = probabilities.shape[0]
    previous = torch.cat(
        [torch.arange(vocab_size), torch.randint(0, vocab_size, (n - vocab_size,), generator=generator)]
    )
    following = torch.multinomial(probabilities[previous], 1, generator=generator).squeeze(1)
    return torch.stack([previous, following], dim=1)


def _training_hint(weight, pairs, losses):
    """Name the likely cause: a loss that climbed back up, or losses that are not the model's cross-entropy on
    (word, next word) but that of a classic mistake: a softmax too many, each word as its own target, the
    word before as the target."""
    if losses[-1] > min(losses) + 0.05:
        return (
            f"the loss went down to {min(losses):.3f}, then up to {losses[-1]:.3f}: call optimizer.zero_grad() "
            "every step; backward() adds to .grad, so without it each step also repeats all earlier gradients"
        )
    words, following = pairs[:, 0], pairs[:, 1]
    mistakes = {
        "your losses are those of softmax(scores): cross_entropy applies log-softmax itself, so pass it the raw "
        "scores (logits) model(inputs), not their softmax": (weight[words].softmax(dim=1), following),
        "the model learned to predict each word itself: the inputs are pairs[:, 0] (the word), the targets "
        "pairs[:, 1] (the word after it)": (weight[words], words),
        "the model learned which word comes *before* a word: inputs and targets are swapped; the inputs are "
        "pairs[:, 0], the targets pairs[:, 1]": (weight[following], words),
    }
    forward = abs(losses[-1] - float(nn.functional.cross_entropy(weight[words], following)))
    distance = {hint: abs(losses[-1] - float(nn.functional.cross_entropy(*case))) for hint, case in mistakes.items()}
    closest = min(distance, key=distance.get)
    if distance[closest] < forward / 4:  # the reported losses are far closer to this mistake's than to the right one
        return closest
    return (
        "train for all `steps` steps with learning rate `lr`: zero_grad, the loss of model(pairs[:, 0]) against "
        "pairs[:, 1] with cross_entropy, backward, step"
    )


def _check_training(check, train_bigram, pairs, vocab_size, steps, lr):
    described = f"train_bigram({len(pairs)} pairs, vocab_size={vocab_size}, steps={steps}, lr={lr})"
    result = check.call(train_bigram, pairs.clone(), vocab_size, steps, lr, description=described, draws=True)
    if type(result) is not tuple or len(result) != 2:
        check.fail(f"{described} must return a pair (model, losses)", got=show(result), hint="return model, losses")
    model, losses = result
    if not isinstance(model, nn.Embedding) or tuple(model.weight.shape) != (vocab_size, vocab_size):
        check.fail(
            f"the model of {described}",
            expected=f"an nn.Embedding with a weight of shape ({vocab_size}, {vocab_size})",
            got=show(model.weight if isinstance(model, nn.Embedding) else model),
            hint="model = nn.Embedding(vocab_size, vocab_size): row i holds the next-word scores (logits) after word i",
        )
    if type(losses) is not list or len(losses) != steps:
        check.fail(
            f"the losses of {described}",
            expected=f"a list of {steps} losses, one per step",
            got=show(losses) if type(losses) is not list else f"a list of {len(losses)}",
            hint="append one loss per step, before or after optimizer.step(), and return the list",
        )
    if not all(type(loss) is float and math.isfinite(loss) for loss in losses):
        bad = next(loss for loss in losses if type(loss) is not float or not math.isfinite(loss))
        check.fail(
            f"the losses of {described} must be finite Python floats",
            got=show(bad),
            hint="append loss.item(), a Python float (a tensor would keep every step's graph alive)"
            if type(bad) is not float
            else "the loss overflowed: call optimizer.zero_grad() every step, and use the learning rate lr",
        )
    if steps > 1 and not losses[-1] < losses[0]:
        check.fail(
            f"the loss of {described} did not go down",
            expected=f"a last loss below the first, {losses[0]:.4f}",
            got=f"{losses[-1]:.4f}",
            hint=_training_hint(model.weight.detach().double(), pairs, losses),
        )
    if steps < 50:  # too short to converge: the shapes alone
        return
    weight = model.weight.detach().double()
    counts = _pair_counts(pairs, vocab_size)
    counted = counts / counts.sum(dim=1, keepdim=True)
    entropy = float(-torch.special.xlogy(counts, counted).sum() / counts.sum())
    loss = float(nn.functional.cross_entropy(weight[pairs[:, 0]], pairs[:, 1]))
    difference = float((weight.softmax(dim=1) - counted).abs().max())
    if loss - entropy > KL_TOLERANCE or difference > PROBABILITY_TOLERANCE:
        check.fail(
            f"after {described}, softmax(model.weight) is not the next-word distribution of the pairs",
            expected=f"a loss within {KL_TOLERANCE} of the conditional entropy {entropy:.4f} of the counts, and "
            f"probabilities within {PROBABILITY_TOLERANCE} of the counted ones",
            got=f"loss {loss:.4f}, largest difference of a probability {difference:.4f}",
            hint=_training_hint(weight, pairs, losses),
        )
    if abs(losses[-1] - loss) > 0.25:
        check.fail(
            f"the last loss of {described} is not the loss of the trained model",
            expected=f"about {loss:.4f}, the cross-entropy of model(pairs[:, 0]) against pairs[:, 1]",
            got=f"{losses[-1]:.4f}",
            hint="append loss.item() of the cross-entropy you call backward() on, every step",
        )


def _pair_counts(pairs, vocab_size):
    """counts[i, j]: how often the pairs have word i followed by word j (float64)."""
    flat = pairs[:, 0] * vocab_size + pairs[:, 1]
    return torch.bincount(flat, minlength=vocab_size * vocab_size).reshape(vocab_size, vocab_size).double()


@exercise
def train_bigram(check, train_bigram):
    # the dog planet's own probabilities, zeros included
    true = torch.tensor([[TRANSITIONS[a].get(b, 0.0) for b in WORDS] for a in WORDS])
    generator = torch.Generator().manual_seed(0)
    _check_training(check, train_bigram, _sampled_pairs(generator, true, 600), len(WORDS), 100, 12.0)


@train_bigram.hidden
def train_bigram_hidden(check, train_bigram, seed):
    generator = torch.Generator().manual_seed(seed)
    one_step = torch.tensor([[0, 1], [1, 0], [0, 0], [2, 1]] * 3)
    _check_training(check, train_bigram, one_step, 3, 1, 1.0)  # one step: one loss, the model's shape
    for vocab_size in (3, 5, 8):
        probabilities = torch.softmax(torch.randn(vocab_size, vocab_size, generator=generator) * 1.5, dim=1)
        pairs = _sampled_pairs(generator, probabilities, 1500)
        _check_training(check, train_bigram, pairs, vocab_size, 100, 1.5 * vocab_size)


# The dog planet's second-order rule: which action a 现在 clause starts with after a 刚才 clause.
CLAUSE_SENTENCES = [
    ["我", "刚才", "跑步", "我", "现在", "吃饭"],
    ["我", "刚才", "吃饭", "睡觉", "我", "现在", "睡觉", "跑步"],
    ["我", "现在", "跑步", "我", "现在", "吃饭"],
    ["我", "刚才", "睡觉"],
    ["我", "现在", "吃饭"],
    ["我", "现在", "吃饭", "我", "刚才", "跑步", "我", "现在", "跑步"],
]


def _clause_pairs_counted(sentences, actions, pick):
    """counts[i, j] of the (action then, action now) pairs that ``pick`` takes from each two neighbouring clauses."""
    index = {action: i for i, action in enumerate(actions)}
    counts = torch.zeros(len(actions), len(actions), dtype=torch.int64)
    for sentence in sentences:
        for before, now in itertools.pairwise(clauses(sentence)):
            for then, action in pick(before, now):
                counts[index[then], index[action]] += 1
    return counts


def _context_mistakes(sentences, actions):
    """(hint, the counts this classic mistake gives) for the usual ways of conditioning on the wrong words."""
    one_sentence = [[word for sentence in sentences for word in sentence]]

    def rule(before, now):
        return [(before[-1], now[2])] if before[1] == "刚才" and now[1] == "现在" else []

    return [
        (
            "you counted the first action of the 刚才 clause; the row is its *last* action, the one right "
            "before 我 现在 (three words back)",
            _clause_pairs_counted(
                sentences, actions, lambda b, n: [(b[2], n[2])] if b[1] == "刚才" and n[1] == "现在" else []
            ),
        ),
        (
            "you counted 现在 clauses after any clause; count only those whose clause just before says 刚才",
            _clause_pairs_counted(sentences, actions, lambda b, n: [(b[-1], n[2])] if n[1] == "现在" else []),
        ),
        (
            "the time words are swapped: count a 现在 clause (its first action: the column) that follows a "
            "刚才 clause (its last action: the row)",
            _clause_pairs_counted(
                sentences, actions, lambda b, n: [(b[-1], n[2])] if b[1] == "现在" and n[1] == "刚才" else []
            ),
        ),
        (
            "you counted every action of the 现在 clause; count only its first, the word right after 现在",
            _clause_pairs_counted(
                sentences,
                actions,
                lambda b, n: [(b[-1], a) for a in n[2:]] if b[1] == "刚才" and n[1] == "现在" else [],
            ),
        ),
        (
            "you paired the last clause of one sentence with the first of the next: count inside each sentence",
            _clause_pairs_counted(one_sentence, actions, rule),
        ),
        (
            "rows and columns are swapped: row i is the action just now (刚才), column j the action now (现在)",
            _clause_pairs_counted(sentences, actions, rule).T,
        ),
    ]


def _check_context_counts(check, count_now_after_just_now, sentences, actions, described=None):
    described = described or f"count_now_after_just_now({show(sentences)}, {show(actions)})"
    got = check.call(count_now_after_just_now, [list(s) for s in sentences], list(actions), description=described)
    expected = ref.count_now_after_just_now(sentences, actions)
    hint = (
        "split each sentence into clauses at 我; for every 现在 clause right after a 刚才 clause, add one to "
        "counts[index of the 刚才 clause's last action, index of the 现在 clause's first action]; int64"
    )
    if type(got) is torch.Tensor and got.shape == expected.shape and got.is_floating_point():
        hint = "return the counts as int64; bigram_probabilities turns them into probabilities afterwards"
    elif type(got) is torch.Tensor and got.shape == expected.shape and not torch.equal(got, expected):
        hint = next((why for why, counts in _context_mistakes(sentences, actions) if torch.equal(got, counts)), hint)
    check.tensor(got, expected, f"the counts of {described}", hint=hint)


@exercise
def count_now_after_just_now(check, count_now_after_just_now):
    _check_context_counts(check, count_now_after_just_now, CLAUSE_SENTENCES, list(ACTIONS))


def _random_clause_sentences(rng, actions):
    """Sentences of 1-4 clauses, each 我, a time word and 1-3 actions."""
    return [
        [
            word
            for _ in range(rng.randint(1, 4))
            for word in ["我", rng.choice(("刚才", "现在")), *rng.choices(actions, k=rng.choice((1, 1, 1, 2, 2, 3)))]
        ]
        for _ in range(rng.randint(1, 15))
    ]


@count_now_after_just_now.hidden
def count_now_after_just_now_hidden(check, count_now_after_just_now, seed):
    rng = random.Random(seed)
    for _ in range(10):
        actions = rng.sample(["吃饭", "睡觉", "跑步", "eat", "sleep", "run", "dig"], rng.randint(1, 7))
        _check_context_counts(check, count_now_after_just_now, _random_clause_sentences(rng, actions), actions)
    _check_context_counts(check, count_now_after_just_now, [["我", "现在", "吃饭"]], list(ACTIONS))  # nothing to count
    corpus = [words_of(line) for line in load_dog_planet().splitlines()]
    _check_context_counts(
        check,
        count_now_after_just_now,
        corpus,
        list(ACTIONS),
        "count_now_after_just_now(the dog-planet corpus, ACTIONS)",
    )


def _check_windows(check, dataset_class, token_ids, max_length, stride):
    described = f"SlidingWindowDataset({len(token_ids)} ids, max_length={max_length}, stride={stride})"
    dataset = check.call(dataset_class, list(token_ids), max_length, stride, description=described)
    expected = ref.SlidingWindowDataset(token_ids, max_length, stride)
    length = check.call(len, dataset, description=f"len({described})")
    check.equal(
        length,
        len(expected),
        f"number of windows of {described}",
        hint="a window starts at 0, stride, 2*stride, ... as long as its target (shifted by one) still fits",
    )
    for index in range(len(expected)):
        pair = check.call(dataset.__getitem__, index, description=f"dataset[{index}]")
        if type(pair) is not tuple or len(pair) != 2:
            check.fail(f"dataset[{index}] must be a pair (input_ids, target_ids)", got=show(pair))
        check.tensor(
            pair[0],
            expected[index][0],
            f"{described}[{index}] inputs",
            hint="inputs are token_ids[start : start + max_length] as an int64 tensor",
        )
        check.tensor(
            pair[1],
            expected[index][1],
            f"{described}[{index}] targets",
            hint="targets are the inputs shifted by one: token_ids[start + 1 : start + max_length + 1]",
        )


@exercise
def SlidingWindowDataset(check, dataset_class):
    _check_windows(check, dataset_class, list(range(10, 30)), 4, 4)
    _check_windows(check, dataset_class, list(range(10, 30)), 5, 2)
    with check.expect_error(
        ValueError,
        "SlidingWindowDataset(4 ids, max_length=4, stride=1)",
        hint="with fewer than max_length + 1 ids there is no window: raise ValueError",
    ):
        dataset_class([1, 2, 3, 4], 4, 1)


@SlidingWindowDataset.hidden
def SlidingWindowDataset_hidden(check, dataset_class, seed):
    rng = random.Random(seed)
    for max_length, stride, n in [(3, 1, 4), (3, 7, 30), (6, 1, 20), (2, 2, 3)] + [
        (rng.randint(1, 8), rng.randint(1, 10), rng.randint(9, 60)) for _ in range(6)
    ]:
        _check_windows(check, dataset_class, [rng.randrange(50257) for _ in range(n)], max_length, stride)
    with check.expect_error(
        ValueError,
        "SlidingWindowDataset([], max_length=1, stride=1)",
        hint="an empty text has no window: raise ValueError",
    ):
        dataset_class([], 1, 1)


def _batches(check, loader, description):
    batches = check.call(list, loader, description=f"iterating over {description}")
    for batch in batches:
        if type(batch) not in (list, tuple) or len(batch) != 2:
            check.fail(f"{description}: each batch must be (inputs, targets)", got=show(batch))
    return batches


def _check_loader(check, create_dataloader, token_ids, batch_size, max_length, stride, drop_last):
    arguments = {
        "batch_size": batch_size,
        "max_length": max_length,
        "stride": stride,
        "shuffle": False,
        "drop_last": drop_last,
    }
    description = f"create_dataloader({len(token_ids)} ids, {', '.join(f'{k}={v}' for k, v in arguments.items())})"
    got = _batches(
        check, check.call(create_dataloader, list(token_ids), **arguments, description=description), description
    )
    expected = list(ref.create_dataloader(token_ids, **arguments))
    check.equal(
        len(got),
        len(expected),
        f"number of batches of {description}",
        hint="drop_last=True drops a last, smaller batch; pass batch_size and drop_last to DataLoader",
    )
    for index, ((inputs, targets), (expected_inputs, expected_targets)) in enumerate(zip(got, expected)):
        check.tensor(
            inputs,
            expected_inputs,
            f"batch {index} inputs of {description}",
            hint="with shuffle=False, batches hold consecutive windows of shape (batch_size, max_length)",
        )
        check.tensor(targets, expected_targets, f"batch {index} targets of {description}")


def _check_shuffle(check, create_dataloader, token_ids):
    def windows(seed):
        description = f"create_dataloader(..., shuffle=True, seed={seed})"
        loader = check.call(
            create_dataloader,
            list(token_ids),
            batch_size=2,
            max_length=3,
            stride=3,
            shuffle=True,
            drop_last=False,
            seed=seed,
            description=description,
        )
        return [tuple(row.tolist()) for inputs, _ in _batches(check, loader, description) for row in inputs]

    expected = sorted(tuple(row.tolist()) for row, _ in ref.SlidingWindowDataset(token_ids, 3, 3))
    reference_order = [
        tuple(row.tolist())
        for inputs, _ in ref.create_dataloader(list(token_ids), 2, 3, 3, shuffle=True, drop_last=False, seed=1)
        for row in inputs
    ]
    first, again, other = windows(1), windows(1), windows(2)
    check.equal(
        sorted(first),
        expected,
        "the windows of a shuffled loader",
        hint="shuffling changes the order of the windows, never which windows there are",
    )
    check.equal(
        again,
        first,
        "two loaders with the same seed",
        hint="pass generator=torch.Generator().manual_seed(seed) to the DataLoader",
    )
    if other == first:
        check.fail("loaders with seeds 1 and 2 gave the same order", hint="the seed must decide the shuffling order")
    check.equal(
        first,
        reference_order,
        "the order of a shuffled loader with seed=1",
        hint="shuffle with the DataLoader's own generator, DataLoader(..., shuffle=True, "
        "generator=torch.Generator().manual_seed(seed)), not the global one: the same seed then gives the same "
        "batches on every machine, whatever ran before",
    )


@exercise
def create_dataloader(check, create_dataloader):
    _check_loader(check, create_dataloader, list(range(100, 140)), 4, 4, 4, True)
    _check_loader(check, create_dataloader, list(range(100, 140)), 4, 4, 4, False)
    _check_shuffle(check, create_dataloader, list(range(100, 160)))


@create_dataloader.hidden
def create_dataloader_hidden(check, create_dataloader, seed):
    rng = random.Random(seed)
    for _ in range(6):
        token_ids = [rng.randrange(1000) for _ in range(rng.randint(12, 80))]
        _check_loader(
            check,
            create_dataloader,
            token_ids,
            rng.randint(1, 5),
            rng.randint(1, 6),
            rng.randint(1, 8),
            rng.random() < 0.5,
        )
    _check_shuffle(check, create_dataloader, [rng.randrange(1000) for _ in range(90)])


def _check_one_hot(check, one_hot_embedding, token_ids, weight):
    got = check.call(
        one_hot_embedding,
        token_ids.clone(),
        weight,
        description=f"one_hot_embedding(ids {show(token_ids)}, weight of dtype {weight.dtype})",
        hint="one_hot gives int64: convert it to the weight's dtype, .to(weight.dtype), before multiplying",
    )
    embedding = nn.Embedding.from_pretrained(weight)
    check.tensor(
        got,
        embedding(token_ids),
        "one-hot vectors times the weight matrix",
        hint="one_hot(ids, num_classes=vocab_size) has a 1 in the column of each id; "
        "convert it to the weight's dtype, then multiply: (..., vocab) @ (vocab, dim)",
    )


@exercise
def one_hot_embedding(check, one_hot_embedding):
    generator = torch.Generator().manual_seed(0)
    _check_one_hot(check, one_hot_embedding, torch.tensor([2, 3, 1]), torch.randn(6, 3, generator=generator))


@one_hot_embedding.hidden
def one_hot_embedding_hidden(check, one_hot_embedding, seed):
    generator = torch.Generator().manual_seed(seed)
    for shape, vocab_size, dim in [((1,), 1, 1), ((7,), 50, 4), ((3, 5), 11, 8), ((2, 3, 4), 9, 2)]:
        ids = torch.randint(0, vocab_size, shape, generator=generator)
        _check_one_hot(check, one_hot_embedding, ids, torch.randn(vocab_size, dim, generator=generator))
    # the result follows the weight's dtype, as the exercise says
    ids = torch.randint(0, 6, (2, 3), generator=generator)
    _check_one_hot(check, one_hot_embedding, ids, torch.randn(6, 4, generator=generator, dtype=torch.float64))


def _check_input_embedding(check, module_class, vocab_size, context_length, dim, token_ids):
    described = f"InputEmbedding({vocab_size}, {context_length}, {dim})"
    module = check.call(module_class, vocab_size, context_length, dim, description=described)
    expected = ref.InputEmbedding(vocab_size, context_length, dim)
    names = sorted(name for name, _ in module.named_parameters()) if isinstance(module, nn.Module) else None
    check.equal(
        names,
        ["position_embedding.weight", "token_embedding.weight"],
        f"parameters of {described}",
        hint="an nn.Module with two nn.Embedding layers named token_embedding and position_embedding",
    )
    check.call(module.load_state_dict, expected.state_dict(), description="load_state_dict(reference weights)")
    got = check.call(module, token_ids.clone(), description=f"{described}(ids of shape {tuple(token_ids.shape)})")
    check.tensor(
        got,
        expected(token_ids),
        f"{described} on ids of shape {tuple(token_ids.shape)}",
        hint="add the token embeddings (batch, tokens, dim) and the embeddings of positions "
        "0..tokens-1 (tokens, dim); broadcasting adds them to every row of the batch",
    )


@exercise
def InputEmbedding(check, module_class):
    _check_input_embedding(check, module_class, 10, 4, 3, torch.tensor([[1, 2, 3, 4], [5, 6, 7, 8]]))


@InputEmbedding.hidden
def InputEmbedding_hidden(check, module_class, seed):
    generator = torch.Generator().manual_seed(seed)
    for vocab_size, context_length, dim, batch, tokens in [(5, 8, 2, 1, 1), (50, 12, 6, 3, 7), (30, 6, 4, 2, 6)]:
        ids = torch.randint(0, vocab_size, (batch, tokens), generator=generator)
        _check_input_embedding(check, module_class, vocab_size, context_length, dim, ids)


def _check_cosine(check, cosine_similarity, a, b):
    got = check.call(cosine_similarity, a.clone(), b.clone(), description=f"cosine_similarity({show(a)}, {show(b)})")
    check.tensor(
        got,
        ref.cosine_similarity(a, b),
        f"cosine similarity of {show(a)} and {show(b)}",
        hint="dot product along the last dimension divided by the product of the two norms",
    )


@exercise
def cosine_similarity(check, cosine_similarity):
    _check_cosine(check, cosine_similarity, torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0]))
    _check_cosine(check, cosine_similarity, torch.tensor([3.0, 4.0]), torch.tensor([6.0, 8.0]))
    _check_cosine(check, cosine_similarity, torch.tensor([[1.0, 1.0], [2.0, -1.0]]), torch.tensor([1.0, 0.0]))


@cosine_similarity.hidden
def cosine_similarity_hidden(check, cosine_similarity, seed):
    generator = torch.Generator().manual_seed(seed)
    for shape_a, shape_b in [((5,), (5,)), ((4, 3), (3,)), ((2, 4, 8), (2, 4, 8)), ((6, 16), (1, 16))]:
        a = torch.randn(shape_a, generator=generator) * 10
        _check_cosine(check, cosine_similarity, a, torch.randn(shape_b, generator=generator))


def _check_neighbours(check, nearest_neighbours, vectors, index, k):
    got = check.call(
        nearest_neighbours, vectors.clone(), index, k, description=f"nearest_neighbours(..., {index}, {k})"
    )
    check.equal(
        got,
        ref.nearest_neighbours(vectors, index, k),
        f"the {k} nearest neighbours of row {index}",
        hint="rank the other rows by cosine similarity, most similar first; a row is not its own neighbour; return a list of ints",
    )


@exercise
def nearest_neighbours(check, nearest_neighbours):
    vectors = torch.tensor([[1.0, 0.0], [0.9, 0.1], [-1.0, 0.2], [0.1, 1.0], [5.0, 1.0]])
    _check_neighbours(check, nearest_neighbours, vectors, 0, 2)
    _check_neighbours(check, nearest_neighbours, vectors, 3, 4)
    tied = torch.tensor([[2.0, 0.0], [0.9, 0.1], [-1.0, 0.2], [0.1, 1.0], [1.0, 0.0]])  # rows 0 and 4: one direction
    for index in (0, 4):  # a row is not always first among rows tied with it: "drop the first" can keep it
        _check_neighbours(check, nearest_neighbours, tied, index, 2)


@nearest_neighbours.hidden
def nearest_neighbours_hidden(check, nearest_neighbours, seed):
    generator = torch.Generator().manual_seed(seed)
    for rows, dim in [(2, 3), (10, 4), (40, 16)]:
        vectors = torch.randn(rows, dim, generator=generator) * torch.rand(rows, 1, generator=generator) * 10
        _check_neighbours(check, nearest_neighbours, vectors, rows - 1, rows - 1)
        _check_neighbours(check, nearest_neighbours, vectors, 0, 1)
    # Another row in the same direction ties with the row itself (cosine exactly 1): the row is not always the
    # first of a ranking that includes it, so "drop the first" may drop the other row and keep itself.
    vectors = torch.randn(6, 4, generator=generator)
    vectors[0], vectors[5] = torch.tensor([3.0, 0.0, 0.0, 0.0]), torch.tensor([1.0, 0.0, 0.0, 0.0])
    for index in (0, 5):
        _check_neighbours(check, nearest_neighbours, vectors, index, 3)
