"""Assignment 06's checks accept valid alternatives and reject the classic bugs, visible and hidden."""

from autograder.checks import multihead as checks

__all__ = ["BUGGY", "COMMON", "VALID", "checks"]  # what tests/test_check_catalogue.py reads

COMMON = """
import torch
from torch import nn
from autograder.reference.causal import CausalAttention
"""

MHA = """
class MultiHeadAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        if d_out % num_heads:
            raise ValueError("d_out % num_heads")
        self.h, self.hd = num_heads, d_out // num_heads
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", torch.triu(torch.ones(context_length, context_length), 1).bool())
    def forward(self, x):
        b, t, _ = x.shape
        {split}
        {attend}
        return self.out_proj({merge})
"""
SPLIT = (
    "q, k, v = (layer(x).view(b, t, self.h, self.hd).transpose(1, 2) "
    "for layer in (self.W_query, self.W_key, self.W_value))"
)
ATTEND = (
    "s = (q @ k.transpose(-2, -1) / self.hd ** 0.5).masked_fill(self.mask[:t, :t], -torch.inf)\n"
    "        c = self.dropout(s.softmax(-1)) @ v"
)
MERGE = "c.transpose(1, 2).reshape(b, t, -1)"
SDPA = """
class MultiHeadAttentionSDPA(MultiHeadAttention):
    def forward(self, x):
        b, t, _ = x.shape
        q, k, v = (l(x).view(b, t, self.h, self.hd).transpose(1, 2) for l in (self.W_query, self.W_key, self.W_value))
        c = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=self.dropout.p if self.training else 0.0)
        return self.out_proj(c.transpose(1, 2).reshape(b, t, -1))
"""
WRAPPER = """
class MultiHeadAttentionWrapper(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        self.heads = nn.ModuleList([CausalAttention(d_in, d_out, context_length, dropout, qkv_bias) for _ in range(num_heads)])
    def forward(self, x):
        {body}
"""
LOAD = """
def load_heads_into_mha(wrapper, mha):
    with torch.no_grad():
        for name in ("W_query", "W_key", "W_value"):
            {copy}
        mha.out_proj.weight.copy_(torch.eye(mha.out_proj.weight.shape[0]))
        mha.out_proj.bias.zero_()
"""
LOAD_COPY = (
    "for h, head in enumerate(wrapper.heads):\n"
    "                n = head.W_query.weight.shape[0]\n"
    "                getattr(mha, name).weight[h * n:(h + 1) * n] = getattr(head, name).weight\n"
    "                if getattr(mha, name).bias is not None: getattr(mha, name).bias[h * n:(h + 1) * n] = getattr(head, name).bias"
)

VALID = [
    (
        "MultiHeadAttentionWrapper",
        WRAPPER.format(
            body="outs = []\n        for head in self.heads: outs.append(head(x))\n"
            "        return torch.cat(outs, dim=2)"
        ),
    ),
    (  # the identity rolled one column left: row 0 looks for the last position, which the mask hides anyway
        "previous_token_query",
        "def previous_token_query(n):\n    return 50.0 * n ** 0.5 * torch.eye(n).roll(-1, dims=1)",
    ),
    (  # a loop, a constant strength large enough for every size, and a dislike of itself
        "previous_token_query",
        "def previous_token_query(n):\n    w = torch.zeros(n, n)\n    for i in range(1, n):\n"
        "        w[i, i - 1], w[i, i] = 100.0, -5.0\n    return w",
    ),
    ("MultiHeadAttention", MHA.format(split=SPLIT, attend=ATTEND, merge=MERGE)),
    (
        "MultiHeadAttention",
        MHA.format(
            split=SPLIT,
            attend="s = torch.einsum('bhqd,bhkd->bhqk', q, k) / self.hd ** 0.5 + torch.zeros(t, t, device=x.device).masked_fill(self.mask[:t, :t], -torch.inf)\n"
            "        c = torch.einsum('bhqk,bhkd->bhqd', self.dropout(s.softmax(-1)), v)",
            merge="torch.cat([c[:, i] for i in range(self.h)], dim=-1)",
        ),
    ),
    (  # one head at a time, each with its own dropout call
        "MultiHeadAttention",
        MHA.format(
            split=SPLIT,
            attend="s = (q @ k.transpose(-2, -1) / self.hd ** 0.5).masked_fill(self.mask[:t, :t], -torch.inf)\n"
            "        c = torch.stack([self.dropout(s[:, i].softmax(-1)) @ v[:, i] for i in range(self.h)], dim=1)",
            merge=MERGE,
        ),
    ),
    ("load_heads_into_mha", LOAD.format(copy=LOAD_COPY)),
    (  # .data replaced by fresh tensors: the same parameter objects, memory of their own
        "load_heads_into_mha",
        LOAD.format(
            copy="getattr(mha, name).weight.data = torch.cat([getattr(h, name).weight for h in wrapper.heads])\n"
            "            if getattr(mha, name).bias is not None:\n"
            "                getattr(mha, name).bias.data = torch.cat([getattr(h, name).bias for h in wrapper.heads])"
        ),
    ),
    ("MultiHeadAttentionSDPA", MHA.format(split=SPLIT, attend=ATTEND, merge=MERGE) + SDPA),
    (  # an explicit boolean mask of what may be seen instead of is_causal
        "MultiHeadAttentionSDPA",
        MHA.format(split=SPLIT, attend=ATTEND, merge=MERGE)
        + SDPA.replace("is_causal=True", "attn_mask=~self.mask[:t, :t]"),
    ),
    (
        "mha_parameter_count",
        MHA.format(split=SPLIT, attend=ATTEND, merge=MERGE) + "def mha_parameter_count(d_in, d_out, qkv_bias=False):\n"
        "    return sum(p.numel() for p in MultiHeadAttention(d_in, d_out, 1, 0.0, 1, qkv_bias).parameters())",
    ),
]

PREVIOUS = "def previous_token_query(n):\n    return {strength} * torch.diag(torch.ones(n - 1), diagonal={diagonal})"

BUGGY = [
    (  # looks for the next token, which the causal mask hides
        "previous_token_query",
        PREVIOUS.format(strength="10 * n ** 0.5", diagonal=1),
        "looks for the next token",
    ),
    ("previous_token_query", "def previous_token_query(n):\n    return 10 * n ** 0.5 * torch.eye(n)", "itself"),
    (
        "previous_token_query",
        PREVIOUS.format(strength="10 * n ** 0.5", diagonal=-2).replace("n - 1", "n - 2"),
        "off by one",
    ),
    (  # strong enough for 7 tokens, not once the scores are divided by √16 and shared among 15
        "previous_token_query",
        PREVIOUS.format(strength="8.0", diagonal=-1),
        "√num_tokens",
    ),
    ("MultiHeadAttentionWrapper", WRAPPER.format(body="return sum(head(x) for head in self.heads)"), "concatenate"),
    (  # one head object repeated: every head has the same weights
        "MultiHeadAttentionWrapper",
        WRAPPER.format(body="return torch.cat([head(x) for head in self.heads], dim=-1)").replace(
            "nn.ModuleList([CausalAttention(d_in, d_out, context_length, dropout, qkv_bias) for _ in range(num_heads)])",
            "nn.ModuleList([CausalAttention(d_in, d_out, context_length, dropout, qkv_bias)] * num_heads)",
        ),
        "the same module object",
    ),
    (  # the output projection without its bias
        "MultiHeadAttention",
        MHA.format(split=SPLIT, attend=ATTEND, merge=MERGE).replace(
            "nn.Linear(d_out, d_out)", "nn.Linear(d_out, d_out, bias=False)"
        ),
        "missing out_proj.bias",
    ),
    (
        "MultiHeadAttention",
        MHA.format(
            split=SPLIT.replace(".view(b, t, self.h, self.hd).transpose(1, 2)", ".view(b, self.h, t, self.hd)"),
            attend=ATTEND,
            merge=MERGE,
        ),
        "view + transpose(1, 2)",
    ),
    ("MultiHeadAttention", MHA.format(split=SPLIT, attend=ATTEND, merge="c.reshape(b, t, -1)"), "tokens do not mix"),
    (
        "MultiHeadAttention",
        MHA.format(
            split=SPLIT, attend=ATTEND.replace(" / self.hd ** 0.5", " / (self.h * self.hd) ** 0.5"), merge=MERGE
        ),
        "√head_dim",
    ),
    (
        "MultiHeadAttention",
        MHA.format(split=SPLIT, attend=ATTEND.replace("self.mask[:t, :t]", "self.mask[:t, :t].T"), merge=MERGE),
        "must mask the keys j > i",
    ),
    (
        "load_heads_into_mha",
        LOAD.format(copy=LOAD_COPY.replace("getattr(head, name).weight\n", "getattr(head, name).weight.T\n")),
        "raised",
    ),
    (
        "load_heads_into_mha",
        LOAD.format(
            copy="getattr(mha, name).weight.copy_(torch.cat([getattr(h, name).weight for h in wrapper.heads]))"
        ).replace("        mha.out_proj.weight.copy_(torch.eye(mha.out_proj.weight.shape[0]))\n", ""),
        "identity weight",
    ),
    (
        "MultiHeadAttentionSDPA",
        MHA.format(split=SPLIT, attend=ATTEND, merge=MERGE)
        + "class MultiHeadAttentionSDPA(MultiHeadAttention):\n    pass",
        "never called",
    ),
    (
        "MultiHeadAttentionSDPA",
        MHA.format(split=SPLIT, attend=ATTEND, merge=MERGE) + SDPA.replace("is_causal=True", "is_causal=False"),
        "must mask the keys j > i",
    ),
    (  # the mask as a plain attribute
        "MultiHeadAttention",
        MHA.format(split=SPLIT, attend=ATTEND, merge=MERGE).replace(
            'self.register_buffer("mask", torch.triu(torch.ones(context_length, context_length), 1).bool())',
            "self.mask = torch.triu(torch.ones(context_length, context_length), 1).bool()",
        ),
        "register_buffer",
    ),
    (  # new parameter objects: an optimizer built before would train the old ones
        "load_heads_into_mha",
        "def load_heads_into_mha(wrapper, mha):\n"
        "    for name in ('W_query', 'W_key', 'W_value'):\n"
        "        layer = getattr(mha, name)\n"
        "        layer.weight = nn.Parameter(torch.cat([getattr(h, name).weight for h in wrapper.heads]).detach())\n"
        "        if layer.bias is not None:\n"
        "            layer.bias = nn.Parameter(torch.cat([getattr(h, name).bias for h in wrapper.heads]).detach())\n"
        "    with torch.no_grad():\n"
        "        mha.out_proj.weight.copy_(torch.eye(mha.out_proj.weight.shape[0]))\n"
        "        mha.out_proj.bias.zero_()\n",
        "was replaced by another object",
    ),
    (  # dropout after the output projection instead of on the attention weights
        "MultiHeadAttention",
        MHA.format(split=SPLIT, attend=ATTEND.replace("self.dropout(s.softmax(-1))", "s.softmax(-1)"), merge=MERGE)
        .replace("return self.out_proj(", "return self.dropout(self.out_proj(")
        .replace(MERGE + ")", MERGE + "))"),
        "wrong tensors",
    ),
    (  # dropout defined but never applied
        "MultiHeadAttention",
        MHA.format(split=SPLIT, attend=ATTEND.replace("self.dropout(s.softmax(-1))", "s.softmax(-1)"), merge=MERGE),
        "dropped nothing",
    ),
    (  # the heads built without the dropout probability
        "MultiHeadAttentionWrapper",
        WRAPPER.format(body="return torch.cat([head(x) for head in self.heads], dim=-1)").replace(
            "context_length, dropout, qkv_bias)", "context_length, 0.0, qkv_bias)"
        ),
        "dropped nothing",
    ),
    (  # the fused function without dropout_p
        "MultiHeadAttentionSDPA",
        MHA.format(split=SPLIT, attend=ATTEND, merge=MERGE)
        + SDPA.replace(", dropout_p=self.dropout.p if self.training else 0.0", ""),
        "dropout_p=self.dropout.p",
    ),
    (  # dropout_p also in eval mode
        "MultiHeadAttentionSDPA",
        MHA.format(split=SPLIT, attend=ATTEND, merge=MERGE)
        + SDPA.replace("dropout_p=self.dropout.p if self.training else 0.0", "dropout_p=self.dropout.p"),
        "in eval mode nothing is random",
    ),
    (
        "mha_parameter_count",
        "def mha_parameter_count(d_in, d_out, qkv_bias=False):\n    return 4 * d_in * d_out",
        "out_proj",
    ),
]
