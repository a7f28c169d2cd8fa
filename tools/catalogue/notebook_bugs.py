"""One classic bug per assignment, as a student would hand it in: an exercise cell replaced by buggy code.

The tests that grade through real nbgrader (and `benchmarks/grade_class.py`) submit these and expect
exactly the named graded cells to fail."""

# assignment -> (exercise cell, a classic bug in it, the graded cells it must fail)
CLASSIC_BUGS = {
    "01_tokenization": (
        "train_bpe",
        "def train_bpe(text, vocab_size):\n"
        "    # bug: max() keeps the first of equally frequent pairs instead of the smallest\n"
        "    if vocab_size < 256:\n        raise ValueError(vocab_size)\n"
        "    ids, merges = list(text.encode('utf-8')), {}\n"
        "    for new_id in range(256, vocab_size):\n"
        "        counts = count_pairs(ids)\n        if not counts:\n            break\n"
        "        best = max(counts, key=counts.get)\n"
        "        ids = merge_pair(ids, best, new_id)\n        merges[best] = new_id\n"
        "    return merges\n",
        {"test_train_bpe", "hidden_train_bpe"},
    ),
    "02_embeddings": (
        "InputEmbedding",
        "class InputEmbedding(nn.Module):\n"
        "    def __init__(self, vocab_size, context_length, dim):\n"
        "        super().__init__()\n"
        "        self.token_embedding = nn.Embedding(vocab_size, dim)\n"
        "        self.position_embedding = nn.Embedding(context_length, dim)\n\n"
        "    def forward(self, token_ids):\n"
        "        return self.token_embedding(token_ids)  # bug: the positions are never added\n",
        {"test_InputEmbedding", "hidden_InputEmbedding"},
    ),
    "03_attention": (
        "softmax_naive",
        "def softmax_naive(x):\n"
        "    exponentials = torch.exp(x)\n"
        "    return exponentials / exponentials.sum()  # bug: sums over every element, not along the last dimension\n",
        {"test_softmax_naive", "hidden_softmax_naive"},
    ),
    "04_qkv_attention": (
        "copy_linear_to_params",
        "def copy_linear_to_params(source, target):\n"
        "    with torch.no_grad():  # bug: nn.Linear stores the transpose\n"
        "        target.W_query.copy_(source.W_query.weight)\n"
        "        target.W_key.copy_(source.W_key.weight)\n"
        "        target.W_value.copy_(source.W_value.weight)\n",
        {"test_copy_linear_to_params", "hidden_copy_linear_to_params"},
    ),
    "05_causal_attention": (
        "mask_and_renormalize",
        "def mask_and_renormalize(weights):\n"
        "    return weights * torch.tril(torch.ones_like(weights))  # bug: rows no longer sum to one\n",
        {"test_mask_and_renormalize", "hidden_mask_and_renormalize"},
    ),
    "06_multihead_attention": (
        "mha_parameter_count",
        "def mha_parameter_count(d_in, d_out, qkv_bias=False):\n"
        "    return 4 * d_in * d_out  # bug: forgets the biases\n",
        {"test_mha_parameter_count", "hidden_mha_parameter_count"},
    ),
    "07_gpt": (
        "generate",
        "def generate(model, token_ids, max_new_tokens, context_length, temperature=0.0, top_k=None, eos_id=None,\n"
        "             generator=None):\n"
        "    with torch.no_grad():\n"
        "        for _ in range(max_new_tokens):\n"
        "            logits = model(token_ids)[:, -1, :]  # bug: the input is never cropped to the context length\n"
        "            if top_k is not None:\n"
        "                logits[logits < torch.topk(logits, top_k).values[:, -1:]] = -torch.inf\n"
        "            if temperature > 0:\n"
        "                probabilities = torch.softmax(logits / temperature, dim=-1)\n"
        "                next_id = torch.multinomial(probabilities, num_samples=1, generator=generator)\n"
        "            else:\n"
        "                next_id = logits.argmax(dim=-1, keepdim=True)\n"
        "            token_ids = torch.cat([token_ids, next_id], dim=1)\n"
        "            if eos_id is not None and bool((next_id == eos_id).all()):\n"
        "                break\n"
        "    return token_ids\n",
        {"test_generate", "hidden_generate"},
    ),
}
