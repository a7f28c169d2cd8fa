"""Assignment 07's checks accept valid alternatives and reject the classic bugs, visible and hidden."""

from autograder.checks import gpt as checks

__all__ = ["BUGGY", "COMMON", "VALID", "checks"]  # what tests/test_check_catalogue.py reads

COMMON = """
import math
import torch
from torch import nn
from autograder.reference.multihead import MultiHeadAttention
from autograder.reference.gpt import LayerNorm, GELU, FeedForward, TransformerBlock
from autograder.reference.gpt import batch_loss
from autograder.reference.embeddings import nearest_neighbours
from autograder.materials.data.dog_planet import ACTIONS
"""

LAYER_NORM = """
class LayerNorm(nn.Module):
    def __init__(self, emb_dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.scale = nn.Parameter(torch.ones(emb_dim))
        self.shift = nn.Parameter(torch.zeros(emb_dim))
    def forward(self, x):
        {body}
"""
GELU_CLASS = """
class GELU(nn.Module):
    def forward(self, x):
        return {body}
"""
FEED_FORWARD = """
class FeedForward(nn.Module):
    def __init__(self, config):
        super().__init__()
        d = config["emb_dim"]
        self.layers = nn.Sequential(nn.Linear(d, 4 * d), {activation}, nn.Linear(4 * d, d))
    def forward(self, x):
        return self.layers(x)
"""
BLOCK = """
class TransformerBlock(nn.Module):
    def __init__(self, config):
        super().__init__()
        d = config["emb_dim"]
        self.att = MultiHeadAttention(d, d, config["context_length"], config["drop_rate"], config["n_heads"], config["qkv_bias"])
        self.ff = FeedForward(config)
        self.norm1, self.norm2 = LayerNorm(d), LayerNorm(d)
        self.drop_shortcut = nn.Dropout(config["drop_rate"])
    def forward(self, x):
        {body}
"""
PRE_NORM = (
    "shortcut = x\n        x = self.drop_shortcut(self.att(self.norm1(x))) + shortcut\n"
    "        shortcut = x\n        return self.drop_shortcut(self.ff(self.norm2(x))) + shortcut"
)
MODEL = """
class GPTModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"])
        self.pos_emb = nn.Embedding(cfg["context_length"], cfg["emb_dim"])
        self.drop_emb = nn.Dropout(cfg["drop_rate"])
        self.trf_blocks = nn.Sequential(*[TransformerBlock(cfg) for _ in range(cfg["n_layers"])])
        self.final_norm = LayerNorm(cfg["emb_dim"])
        self.out_head = nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False)
    def forward(self, ids):
        {body}
"""
GENERATE = """
@torch.no_grad()
def generate(model, token_ids, max_new_tokens, context_length, temperature=0.0, top_k=None, eos_id=None, generator=None):
    for _ in range(max_new_tokens):
        logits = model(token_ids{crop})[:, -1, :]
        if top_k is not None:
            values, _ = torch.sort(logits, dim=-1, descending=True)
            logits = torch.where(logits < values[:, top_k - 1:top_k], torch.tensor(-math.inf), logits)
        if temperature > 0:
            {sample}
            next_id = torch.multinomial(p, num_samples=1, generator=generator)
        else:
            next_id = torch.argmax(logits, dim=-1, keepdim=True)
        token_ids = torch.cat((token_ids, next_id), dim=-1)
        if eos_id is not None and (next_id == eos_id).all():
            break
    return token_ids
"""
TRAINING_STEP = """
def training_step(model, optimizer, input_ids, target_ids):
    {clear}
    loss = batch_loss(model, input_ids, target_ids)
    loss.backward()
    optimizer.step()
    return float(loss)
"""
CLASS_DIMENSION_LOSS = """
def batch_loss(model, input_ids, target_ids):
    return nn.functional.cross_entropy(model(input_ids).transpose(1, 2), target_ids)
"""
LOGSUMEXP_LOSS = """
def batch_loss(model, input_ids, target_ids):
    logits = model(input_ids)
    keep = target_ids != -100
    picked = logits.gather(-1, target_ids.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return ((torch.logsumexp(logits, dim=-1) - picked) * keep).sum() / keep.sum()
"""
SAVE = "def save_checkpoint(path, model, optimizer, step):\n    torch.save({content}, path)\n"
LOAD = """
def load_checkpoint(path, model, optimizer):
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state["model"])
    {optimizer}
    return state["step"]
"""
GPT2 = """
def load_gpt2_weights(model, state_dict):
    sd = {{k.replace("transformer.", ""): v for k, v in state_dict.items()}}
    t = lambda w: w.T
    pairs = [(model.tok_emb.weight, sd["wte.weight"]), (model.pos_emb.weight, sd["wpe.weight"]),
             (model.final_norm.scale, sd["ln_f.weight"]), (model.final_norm.shift, sd["ln_f.bias"]),
             (model.out_head.weight, sd["lm_head.weight"])]
    for i, b in enumerate(model.trf_blocks):
        g = lambda name: sd[f"h.{{i}}.{{name}}"]
        ws, bs = torch.split(g("attn.c_attn.weight"), g("attn.c_attn.weight").shape[1] // 3, dim=1), g("attn.c_attn.bias").chunk(3)
        for layer, w, bias in zip((b.att.W_query, b.att.W_key, b.att.W_value), ws, bs):
            pairs += [(layer.weight, {transpose}), (layer.bias, bias)]
        pairs += [(b.att.out_proj.weight, t(g("attn.c_proj.weight"))), (b.att.out_proj.bias, g("attn.c_proj.bias")),
                  (b.ff.layers[0].weight, t(g("mlp.c_fc.weight"))), (b.ff.layers[0].bias, g("mlp.c_fc.bias")),
                  (b.ff.layers[2].weight, t(g("mlp.c_proj.weight"))), (b.ff.layers[2].bias, g("mlp.c_proj.bias")),
                  (b.norm1.scale, g("ln_1.weight")), (b.norm1.shift, g("ln_1.bias")),
                  (b.norm2.scale, g("ln_2.weight")), (b.norm2.shift, g("ln_2.bias"))]
    with torch.no_grad():
        for parameter, value in pairs:
            parameter.copy_(value)
"""
PREPARE = """
def prepare_for_classification(model, num_classes):
    {first}
    {second}
    for module in (model.trf_blocks[-1], model.final_norm):
        for p in module.parameters():
            p.requires_grad = True
    return model
"""
FREEZE = "for p in model.parameters():\n        p.requires_grad = False"
NEW_HEAD = "model.out_head = nn.Linear(model.tok_emb.weight.shape[1], num_classes)"
COLLATE = """
def instruction_collate(batch, pad_id, ignore_index=-100, max_length=None, mask_prompt=False):
    width = max(len(ids) for ids, _ in batch)
    inputs, targets = [], []
    for ids, prompt_length in batch:
        row = ids + [pad_id] * (width + 1 - len(ids))
        x, y = row[:-1], row[1:]
        y = [{target} for i, t in enumerate(y)]
        if mask_prompt:
            y = [ignore_index if i < prompt_length - 1 else t for i, t in enumerate(y)]
        inputs.append(x[:max_length])
        targets.append(y[:max_length])
    return torch.tensor(inputs), torch.tensor(targets)
"""
KEEP_FIRST_END = "ignore_index if i >= len(ids) else t"
TIE = "def tie_weights(model):\n    {body}\n    return model\n"
BREAKDOWN = """
def parameter_breakdown(config, tied=False):
    d, vocab, layers = config["emb_dim"], config["vocab_size"], config["n_layers"]
    linear = lambda d_in, d_out, bias=True: d_in * d_out + (d_out if bias else 0)
    return {{
        "embeddings": {embeddings},
        "attention": layers * (3 * linear(d, d, {qkv_bias}) + linear(d, d)),
        "feed_forward": layers * (linear(d, 4 * d{ff_bias}) + linear(4 * d, d{ff_bias})),
        "layer_norms": {layer_norms},
        "unembedding": {unembedding},
    }}
"""
BREAKDOWN_RIGHT = {
    "embeddings": 'vocab * d + config["context_length"] * d',
    "qkv_bias": 'config["qkv_bias"]',
    "ff_bias": "",
    "layer_norms": "(2 * layers + 1) * 2 * d",
    "unembedding": "0 if tied else linear(d, vocab, bias=False)",
}
CACHED = """
@torch.no_grad()
def generate_cached(model, token_ids, max_new_tokens):
    caches = [dict() for _ in model.trf_blocks]
    fed = 0  # tokens whose keys and values are cached
    for _ in range(max_new_tokens):
        new_ids = token_ids[:, fed:]
        x = model.tok_emb(new_ids) + model.pos_emb({positions})
        for block, cache in zip(model.trf_blocks, caches):
            att, h = block.att, block.norm1(x)
            b, n, _ = h.shape
            split = lambda t: t.view(b, n, att.num_heads, -1).transpose(1, 2)
            q, k, v = split(att.W_query(h)), split(att.W_key(h)), split(att.W_value(h))
            if cache:
                k, v = torch.cat((cache["k"], k), {dim}), torch.cat((cache["v"], v), {dim})
            {store}
            total = k.shape[2]
            {attend}
            x = x + att.out_proj(out.transpose(1, 2).reshape(b, n, -1))
            x = x + block.ff(block.norm2(x))
        fed = token_ids.shape[1]
        next_id = model.out_head(model.final_norm(x))[:, -1].argmax(-1, keepdim=True)
        token_ids = torch.cat((token_ids, next_id), 1)
    return token_ids
"""
CACHED_RIGHT = {
    "positions": "torch.arange(fed, token_ids.shape[1], device=token_ids.device)",
    "dim": "dim=2",
    "store": 'cache["k"], cache["v"] = k, v',
    "attend": "keep = torch.ones(n, total, dtype=torch.bool, device=q.device).tril(diagonal=total - n)\n"
    "            out = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=keep)",
}
TAUGHT_SCORES = (
    "scores = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).masked_fill({mask}, -math.inf)\n"
    "            out = torch.softmax(scores, dim=-1) @ v"
)
BREAKDOWN_ON_META = """
def parameter_breakdown(config, tied=False):
    with torch.device("meta"):  # counts the parameters of a built model without allocating them
        model = GPTModel(config)
    count = lambda module: sum(p.numel() for p in module.parameters())
    blocks = model.trf_blocks
    return {
        "embeddings": count(model.tok_emb) + count(model.pos_emb),
        "attention": sum(count(block.att) for block in blocks),
        "feed_forward": sum(count(block.ff) for block in blocks),
        "layer_norms": sum(count(block.norm1) + count(block.norm2) for block in blocks) + count(model.final_norm),
        "unembedding": 0 if tied else count(model.out_head),
    }
"""

NEIGHBOURS = "def neighbours_in_group(vectors, group, k=5):\n    {body}\n"
NEIGHBOURS_RIGHT = "return [sum(n in group for n in nearest_neighbours(vectors, i, k)) for i in group]"
NEIGHBOURS_BY_MATRIX = """
    unit = vectors / vectors.norm(dim=-1, keepdim=True)
    similarity = unit[group] @ unit.T  # (group, rows)
    similarity[range(len(group)), group] = -math.inf
    nearest = similarity.topk(k, dim=-1).indices
    return [int(torch.isin(row, torch.tensor(group)).sum()) for row in nearest]
"""
NEIGHBOURS_OWN = """
    counts = []
    for i in group:
        similarity = {similarity}
        {exclude}
        counts.append(sum(int(n) in group for n in similarity.topk({k}).indices){scale})
    return counts
"""
NEIGHBOURS_OWN_RIGHT = {
    "similarity": "nn.functional.cosine_similarity(vectors, vectors[i][None], dim=-1)",
    "exclude": "similarity[i] = -2.0  # below every cosine",
    "k": "k",
    "scale": "",
}
CONTEXT = """
def now_after_just_now(model, encode):
    {mode}
    rows = []
    with torch.no_grad():
        for then in ACTIONS:
            ids = torch.tensor([encode(f"{prompt}")])
            probabilities = {probabilities}
            rows.append(probabilities[[encode(action)[0] for action in ACTIONS]])
    return {result}
"""
CONTEXT_RIGHT = {
    "mode": "model.eval()",
    "prompt": "\\n我 刚才 {then}，我 现在",
    "probabilities": "torch.softmax(model(ids)[0, -1], dim=-1)",
    "result": "torch.stack(rows)",
}
CONTEXT_BATCHED = """
@torch.inference_mode()
def now_after_just_now(model, encode):
    was_training = model.training
    model.eval()
    prompts = torch.tensor([encode("\\n我 刚才 " + then + "，我 现在") for then in ACTIONS])
    action_ids = torch.tensor([encode(action) for action in ACTIONS]).squeeze(1)
    logits = model(prompts)[:, -1, action_ids]  # only the three actions: their softmax is the rows, renormalized
    model.train(was_training)
    return torch.softmax(logits, dim=-1)
"""

VALID = [
    (
        "LayerNorm",
        LAYER_NORM.format(
            body="var, mean = torch.var_mean(x, dim=-1, keepdim=True, unbiased=False)\n"
            "        return (x - mean) * torch.rsqrt(var + self.eps) * self.scale + self.shift"
        ),
    ),
    (
        "LayerNorm",
        LAYER_NORM.format(
            body="return nn.functional.layer_norm(x, self.scale.shape, self.scale, self.shift, self.eps)"
        ),
    ),
    ("GELU", GELU_CLASS.format(body="nn.functional.gelu(x, approximate='tanh')")),
    (
        "GELU",
        GELU_CLASS.format(body="x * torch.sigmoid(2 * math.sqrt(2 / math.pi) * (x + 0.044715 * torch.pow(x, 3)))"),
    ),
    ("FeedForward", FEED_FORWARD.format(activation="nn.GELU(approximate='tanh')")),
    ("TransformerBlock", BLOCK.format(body=PRE_NORM)),
    (  # functional dropout that follows the module's mode
        "TransformerBlock",
        BLOCK.format(
            body="drop = lambda y: nn.functional.dropout(y, self.drop_shortcut.p, self.training)\n"
            "        x = x + drop(self.att(self.norm1(x)))\n        return x + drop(self.ff(self.norm2(x)))"
        ),
    ),
    (
        "GPTModel",
        MODEL.format(
            body="x = self.tok_emb(ids) + self.pos_emb.weight[:ids.shape[-1]]\n"
            "        return self.out_head(self.final_norm(self.trf_blocks(self.drop_emb(x))))"
        ),
    ),
    (
        "gpt_parameter_count",
        MODEL.format(body="pass") + "def gpt_parameter_count(config, tied=False):\n"
        "    model = GPTModel({**config, 'vocab_size': 1, 'context_length': 1})\n"
        "    d = config['emb_dim']\n"
        "    body = sum(p.numel() for p in model.parameters()) - 3 * d\n"
        "    return body + (1 if tied else 2) * config['vocab_size'] * d + config['context_length'] * d\n",
    ),
    (
        "generate",
        GENERATE.format(
            crop="[:, -context_length:]",
            sample="p = torch.exp(logits / temperature - (logits / temperature).max(-1, keepdim=True).values)\n"
            "            p = p / p.sum(-1, keepdim=True)",
        ),
    ),
    (
        "batch_loss",
        "def batch_loss(model, input_ids, target_ids):\n"
        "    log_p = torch.log_softmax(model(input_ids), dim=-1)\n"
        "    keep = target_ids != -100\n"
        "    picked = log_p.gather(-1, target_ids.clamp(min=0).unsqueeze(-1)).squeeze(-1)\n"
        "    return -(picked * keep).sum() / keep.sum()\n",
    ),
    ("training_step", TRAINING_STEP.format(clear="for p in model.parameters(): p.grad = None")),
    (  # every row has picked eos_id by now, not necessarily at the same step
        "generate",
        GENERATE.format(crop="[:, -context_length:]", sample="p = torch.softmax(logits / temperature, dim=-1)")
        .replace(
            "    for _ in range(max_new_tokens):",
            "    done = torch.zeros(len(token_ids), dtype=torch.bool, device=token_ids.device)\n    for _ in range(max_new_tokens):",
        )
        .replace(
            "if eos_id is not None and (next_id == eos_id).all():",
            "done |= next_id[:, 0] == eos_id\n        if eos_id is not None and done.all():",
        ),
    ),
    ("batch_loss", CLASS_DIMENSION_LOSS),
    ("batch_loss", LOGSUMEXP_LOSS),
    # a correct step on top of a loss that equals the reference's but rounds differently
    ("training_step", CLASS_DIMENSION_LOSS + TRAINING_STEP.format(clear="optimizer.zero_grad()")),
    ("training_step", LOGSUMEXP_LOSS + TRAINING_STEP.format(clear="optimizer.zero_grad(set_to_none=False)")),
    (
        "save_checkpoint",
        SAVE.format(content="dict(model=model.state_dict(), optimizer=optimizer.state_dict(), step=step, note='v1')"),
    ),
    ("load_checkpoint", LOAD.format(optimizer="optimizer.load_state_dict(state['optimizer'])")),
    (  # torch.load's default, weights_only=True since PyTorch 2.6
        "load_checkpoint",
        LOAD.format(optimizer="optimizer.load_state_dict(state['optimizer'])").replace(
            ', map_location="cpu", weights_only=True', ""
        ),
    ),
    ("load_gpt2_weights", GPT2.format(transpose="t(w)")),
    (  # one converted state dict, loaded in place
        "load_gpt2_weights",
        GPT2.format(transpose="t(w)").replace(
            "    with torch.no_grad():\n        for parameter, value in pairs:\n            parameter.copy_(value)\n",
            "    names = {id(p): n for n, p in model.named_parameters()}\n"
            "    model.load_state_dict({names[id(p)]: v for p, v in pairs}, strict=False)\n",
        ),
    ),
    ("prepare_for_classification", PREPARE.format(first=FREEZE, second=NEW_HEAD)),
    ("instruction_collate", COLLATE.format(target=KEEP_FIRST_END)),
    ("tie_weights", TIE.format(body="model.tok_emb.weight = model.out_head.weight")),  # nanoGPT's direction
    ("tie_weights", TIE.format(body='model.out_head.register_parameter("weight", model.tok_emb.weight)')),
    ("parameter_breakdown", BREAKDOWN.format(**BREAKDOWN_RIGHT)),
    (
        "parameter_breakdown",
        MODEL.format(body="pass") + BREAKDOWN_ON_META,  # the model is built, never run
    ),
    ("generate_cached", CACHED.format(**CACHED_RIGHT)),
    (
        "generate_cached",
        CACHED.format(**{**CACHED_RIGHT, "attend": TAUGHT_SCORES.format(mask="att.mask[total - n : total, :total]")}),
    ),
    ("neighbours_in_group", NEIGHBOURS.format(body=NEIGHBOURS_RIGHT)),
    ("neighbours_in_group", NEIGHBOURS.format(body=NEIGHBOURS_BY_MATRIX.strip())),
    ("neighbours_in_group", NEIGHBOURS.format(body=NEIGHBOURS_OWN.format(**NEIGHBOURS_OWN_RIGHT).strip())),
    ("now_after_just_now", CONTEXT.format(**CONTEXT_RIGHT)),
    ("now_after_just_now", CONTEXT_BATCHED),
    ("now_after_just_now", CONTEXT.format(**{**CONTEXT_RIGHT, "result": "torch.stack(rows).double()"})),
]

BUGGY = [
    (
        "LayerNorm",
        LAYER_NORM.format(
            body="return self.scale * (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, keepdim=True) + self.eps) + self.shift"
        ),
        "unbiased=False",
    ),
    (
        "LayerNorm",
        LAYER_NORM.format(
            body="return self.scale * (x - x.mean(-1, keepdim=True)) / x.std(-1, keepdim=True, unbiased=False) + self.shift"
        ),
        "eps inside the square root",
    ),
    ("GELU", GELU_CLASS.format(body="nn.functional.gelu(x)"), "tanh approximation"),
    (
        "GELU",
        GELU_CLASS.format(body="0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 2)))"),
        "tanh approximation",
    ),
    ("FeedForward", FEED_FORWARD.format(activation="nn.ReLU()"), "GELU()"),
    (
        "TransformerBlock",
        BLOCK.format(
            body="x = self.norm1(x + self.drop_shortcut(self.att(x)))\n"
            "        return self.norm2(x + self.drop_shortcut(self.ff(x)))"
        ),
        "pre-norm",
    ),
    (
        "TransformerBlock",
        BLOCK.format(
            body="x = x + self.drop_shortcut(self.att(self.norm1(x)))\n"
            "        return self.drop_shortcut(self.ff(self.norm2(x)))"
        ),
        "two shortcuts",
    ),
    (
        "GPTModel",
        MODEL.format(body="return self.out_head(self.final_norm(self.trf_blocks(self.drop_emb(self.tok_emb(ids)))))"),
        "pos_emb(arange(tokens))",
    ),
    (  # dropout on the sum after the shortcut, not on the branch
        "TransformerBlock",
        BLOCK.format(
            body="x = self.drop_shortcut(x + self.att(self.norm1(x)))\n"
            "        return self.drop_shortcut(x + self.ff(self.norm2(x)))"
        ),
        "drop_shortcut drops each branch",
    ),
    (  # only the attention branch dropped
        "TransformerBlock",
        BLOCK.format(
            body="x = x + self.drop_shortcut(self.att(self.norm1(x)))\n        return x + self.ff(self.norm2(x))"
        ),
        "wrong tensors",
    ),
    (  # dropout on the token embeddings only, before the positions are added
        "GPTModel",
        MODEL.format(
            body="x = self.drop_emb(self.tok_emb(ids)) + self.pos_emb(torch.arange(ids.shape[1], device=ids.device))\n"
            "        return self.out_head(self.final_norm(self.trf_blocks(x)))"
        ),
        "drop_emb drops the sum",
    ),
    (  # one block object repeated n_layers times
        "GPTModel",
        MODEL.format(body="pass").replace(
            'nn.Sequential(*[TransformerBlock(cfg) for _ in range(cfg["n_layers"])])',
            'nn.Sequential(*[TransformerBlock(cfg)] * cfg["n_layers"])',
        ),
        "the same module object",
    ),
    (  # the head with a bias
        "GPTModel",
        MODEL.format(body="pass").replace(', cfg["vocab_size"], bias=False)', ', cfg["vocab_size"])'),
        "unexpected out_head.bias",
    ),
    (  # drop_emb defined but never applied
        "GPTModel",
        MODEL.format(
            body="x = self.tok_emb(ids) + self.pos_emb(torch.arange(ids.shape[1], device=ids.device))\n"
            "        return self.out_head(self.final_norm(self.trf_blocks(x)))"
        ),
        "wrong tensors",
    ),
    (
        "gpt_parameter_count",
        "def gpt_parameter_count(config, tied=False):\n"
        "    d, v = config['emb_dim'], config['vocab_size']\n"
        "    block = 4 * d * d + d + 8 * d * d + 5 * d + 4 * d\n"  # forgets the Q, K, V biases
        "    return v * d + config['context_length'] * d + config['n_layers'] * block + 2 * d + (0 if tied else v * d)\n",
        "biases only with qkv_bias",
    ),
    (
        "gpt_parameter_count",
        "def gpt_parameter_count(config, tied=False):\n"  # counts the head even when tied
        "    d, v = config['emb_dim'], config['vocab_size']\n"
        "    block = 4 * d * d + (3 * d if config['qkv_bias'] else 0) + d + 8 * d * d + 5 * d + 4 * d\n"
        "    return 2 * v * d + config['context_length'] * d + config['n_layers'] * block + 2 * d\n",
        "not counted when tied",
    ),
    ("generate", GENERATE.format(crop="", sample="p = torch.softmax(logits / temperature, dim=-1)"), "crop the input"),
    (  # stops as soon as one row picked eos_id
        "generate",
        GENERATE.format(crop="[:, -context_length:]", sample="p = torch.softmax(logits / temperature, dim=-1)").replace(
            "(next_id == eos_id).all()", "(next_id == eos_id).any()"
        ),
        "not when one row has",
    ),
    (  # looks at the first row only
        "generate",
        GENERATE.format(crop="[:, -context_length:]", sample="p = torch.softmax(logits / temperature, dim=-1)").replace(
            "(next_id == eos_id).all()", "next_id[0, 0] == eos_id"
        ),
        "not when one row has",
    ),
    (  # the mean of each row's mean: rows with more ignored targets count more
        "batch_loss",
        "def batch_loss(model, input_ids, target_ids):\n"
        "    losses = nn.functional.cross_entropy(model(input_ids).transpose(1, 2), target_ids, reduction='none')\n"
        "    return (losses.sum(1) / (target_ids != -100).sum(1).clamp(min=1)).mean()\n",
        "the loss of the batch",
    ),
    (
        "generate",
        GENERATE.format(crop="[:, -context_length:]", sample="p = torch.softmax(logits, dim=-1) / temperature"),
        "softmax(logits / temperature)",
    ),
    (
        "batch_loss",
        "def batch_loss(model, input_ids, target_ids):\n"
        "    probabilities = torch.softmax(model(input_ids), dim=-1)\n"
        "    return nn.functional.cross_entropy(probabilities.flatten(0, 1), target_ids.flatten())\n",
        "raw logits (no softmax)",
    ),
    (
        "batch_loss",
        "def batch_loss(model, input_ids, target_ids):\n"
        "    return nn.functional.cross_entropy(model(input_ids).flatten(0, 1), target_ids.flatten()).item()\n",
        "no .item()",
    ),
    (
        "batch_loss",
        "def batch_loss(model, input_ids, target_ids):\n"  # shifts targets that are already shifted
        "    logits = model(input_ids)[:, :-1]\n"
        "    return nn.functional.cross_entropy(logits.flatten(0, 1), target_ids[:, 1:].flatten())\n",
        "the loss of the batch",
    ),
    ("training_step", TRAINING_STEP.format(clear="pass"), "without zero_grad"),
    ("save_checkpoint", SAVE.format(content="{'model': model.state_dict(), 'step': step}"), "optimizer.state_dict()"),
    (
        "save_checkpoint",
        SAVE.format(content="{'model': model, 'optimizer': optimizer, 'step': step}"),
        "an object of type autograder.reference.gpt.GPTModel",
    ),
    ("load_checkpoint", LOAD.format(optimizer="pass"), "optimizer's state"),
    (  # the advice of torch's error message, which runs code from the file
        "load_checkpoint",
        LOAD.format(optimizer="optimizer.load_state_dict(state['optimizer'])").replace(
            "weights_only=True", "weights_only=False"
        ),
        "never weights_only=False",
    ),
    (  # the prompt mask sliced without max(..., 0): an empty prompt masks everything but the last target
        "instruction_collate",
        COLLATE.format(target=KEEP_FIRST_END).replace(
            "y = [ignore_index if i < prompt_length - 1 else t for i, t in enumerate(y)]",
            "y[:prompt_length - 1] = [ignore_index] * len(y[:prompt_length - 1])",
        ),
        "targets from",
    ),
    ("load_gpt2_weights", GPT2.format(transpose="w"), "transpose"),
    (  # .data pointed at the checkpoint's tensors: model and checkpoint share memory
        "load_gpt2_weights",
        GPT2.format(transpose="t(w)").replace("parameter.copy_(value)", "parameter.data = value"),
        "shares its memory",
    ),
    (  # the head tied by assigning the embedding's parameter
        "load_gpt2_weights",
        GPT2.format(transpose="t(w)").replace(
            '(model.out_head.weight, sd["lm_head.weight"])]', "]\n    model.out_head.weight = model.tok_emb.weight"
        ),
        "was replaced by another object",
    ),
    ("prepare_for_classification", PREPARE.format(first=NEW_HEAD, second=FREEZE), "trainable parameters"),
    (
        "instruction_collate",
        COLLATE.format(target="ignore_index if i >= len(ids) - 1 else t"),
        "keep the first end token",
    ),
    (
        "instruction_collate",
        COLLATE.format(target=KEEP_FIRST_END).replace("x, y = row[:-1], row[1:]", "x, y = row[:-1], row[:-1]"),
        "targets = padded[1:]",
    ),
    (
        "tie_weights",
        TIE.format(body="with torch.no_grad():\n        model.out_head.weight.copy_(model.tok_emb.weight)"),
        "two Parameters with equal values",
    ),
    ("tie_weights", TIE.format(body="model.out_head.weight.data = model.tok_emb.weight.data"), "share memory"),
    ("tie_weights", TIE.format(body="model.out_head.weight = nn.Parameter(model.tok_emb.weight)"), "share memory"),
    ("tie_weights", TIE.format(body="model.out_head.weight = nn.Parameter(model.tok_emb.weight.T)"), "no transpose"),
    ("tie_weights", TIE.format(body="model.out_head = model.tok_emb"), "must stay an nn.Linear"),
    ("tie_weights", "def tie_weights(model):\n    model.out_head.weight = model.tok_emb.weight\n", "return it"),
    (  # the biases of the feed-forward layers forgotten
        "parameter_breakdown",
        BREAKDOWN.format(**{**BREAKDOWN_RIGHT, "ff_bias": ", bias=False"}),
        "both with biases",
    ),
    (  # the tied matrix counted twice
        "parameter_breakdown",
        BREAKDOWN.format(**{**BREAKDOWN_RIGHT, "unembedding": "linear(d, vocab, bias=False)"}),
        "0 when tied",
    ),
    (
        "parameter_breakdown",
        BREAKDOWN.format(**{**BREAKDOWN_RIGHT, "embeddings": "vocab * d"}),
        "position embedding",
    ),
    (  # biases on Q, K, V whatever qkv_bias says
        "parameter_breakdown",
        BREAKDOWN.format(**{**BREAKDOWN_RIGHT, "qkv_bias": "True"}),
        "biases only with qkv_bias",
    ),
    (  # the final norm forgotten
        "parameter_breakdown",
        BREAKDOWN.format(**{**BREAKDOWN_RIGHT, "layer_norms": "layers * 2 * 2 * d"}),
        "and the final one",
    ),
    (  # every new token at position 0
        "generate_cached",
        CACHED.format(**{**CACHED_RIGHT, "positions": "torch.arange(new_ids.shape[1], device=token_ids.device)"}),
        "at its own position",
    ),
    (  # no cache: the whole sequence again at every step
        "generate_cached",
        CACHED.format(**{**CACHED_RIGHT, "store": "pass"})
        .replace("new_ids = token_ids[:, fed:]", "new_ids = token_ids")
        .replace("torch.arange(fed, token_ids.shape[1]", "torch.arange(token_ids.shape[1]"),
        "token positions through layer 0",
    ),
    (  # keys and values appended along the heads
        "generate_cached",
        CACHED.format(**{**CACHED_RIGHT, "dim": "dim=1"}),
        "along dim 2",
    ),
    (  # the mask of the first rows, whichever tokens are new
        "generate_cached",
        CACHED.format(**{**CACHED_RIGHT, "attend": TAUGHT_SCORES.format(mask="att.mask[:n, :total]")}),
        "mask rows",
    ),
    (  # no causal mask while the prompt runs
        "generate_cached",
        CACHED.format(**{**CACHED_RIGHT, "attend": "out = nn.functional.scaled_dot_product_attention(q, k, v)"}),
        "mask rows",
    ),
    (  # counts itself among its neighbours
        "neighbours_in_group",
        NEIGHBOURS.format(body=NEIGHBOURS_OWN.format(**{**NEIGHBOURS_OWN_RIGHT, "exclude": "pass"}).strip()),
        "itself excluded",
    ),
    (  # a dot product: long rows are everybody's neighbours
        "neighbours_in_group",
        NEIGHBOURS.format(
            body=NEIGHBOURS_OWN.format(
                **{**NEIGHBOURS_OWN_RIGHT, "similarity": "vectors @ vectors[i]", "exclude": "similarity[i] = -math.inf"}
            ).strip()
        ),
        "cosine",
    ),
    (  # the closest by distance, which is not the same direction
        "neighbours_in_group",
        NEIGHBOURS.format(
            body=NEIGHBOURS_OWN.format(
                **{
                    **NEIGHBOURS_OWN_RIGHT,
                    "similarity": "-(vectors - vectors[i]).norm(dim=-1)",
                    "exclude": "similarity[i] = -math.inf",
                }
            ).strip()
        ),
        "cosine",
    ),
    (
        "neighbours_in_group",
        NEIGHBOURS.format(body=NEIGHBOURS_OWN.format(**{**NEIGHBOURS_OWN_RIGHT, "k": "k + 1"}).strip()),
        "k nearest",
    ),
    (  # a share, not a count
        "neighbours_in_group",
        NEIGHBOURS.format(body=NEIGHBOURS_OWN.format(**{**NEIGHBOURS_OWN_RIGHT, "scale": " / k"}).strip()),
        "count",
    ),
    (  # the bigram's view: only the last word
        "now_after_just_now",
        CONTEXT.format(**{**CONTEXT_RIGHT, "prompt": "现在"}),
        "the bigram's row",
    ),
    ("now_after_just_now", CONTEXT.format(**{**CONTEXT_RIGHT, "prompt": "我 刚才 {then}，我 现在"}), "\\n我 刚才"),
    ("now_after_just_now", CONTEXT.format(**{**CONTEXT_RIGHT, "prompt": "\\n我 刚才 {then} 我 现在"}), "，我 现在"),
    (
        "now_after_just_now",
        CONTEXT.format(**{**CONTEXT_RIGHT, "probabilities": "torch.softmax(model(ids)[0, 0], dim=-1)"}),
        "do not depend on the prompt",
    ),
    (  # softmax over the positions
        "now_after_just_now",
        CONTEXT.format(**{**CONTEXT_RIGHT, "probabilities": "torch.softmax(model(ids), dim=1)[0, -1]"}),
        "over the vocabulary",
    ),
    ("now_after_just_now", CONTEXT.format(**{**CONTEXT_RIGHT, "probabilities": "model(ids)[0, -1]"}), "softmax"),
    (  # rows in proportion, but not the probabilities
        "now_after_just_now",
        CONTEXT.format(**{**CONTEXT_RIGHT, "probabilities": "torch.softmax(model(ids)[0, -1], dim=-1) / 3"}),
        "softmax of the last position's logits over the vocabulary",
    ),
    ("now_after_just_now", CONTEXT.format(**{**CONTEXT_RIGHT, "mode": "pass"}), "model.eval()"),
    ("now_after_just_now", CONTEXT.format(**{**CONTEXT_RIGHT, "result": "torch.stack(rows).T"}), "swapped"),
    (  # the ids of the notebook's vocabulary, written in
        "now_after_just_now",
        CONTEXT.format(**CONTEXT_RIGHT).replace("[encode(action)[0] for action in ACTIONS]", "[6, 7, 8]"),
        "encode(action)[0]",
    ),
    (  # no torch.no_grad(): every step keeps a graph (issue 25: grad mode and graphs)
        "generate",
        GENERATE.format(crop="[:, -context_length:]", sample="p = torch.softmax(logits / temperature, dim=-1)").replace(
            "@torch.no_grad()\n", ""
        ),
        "built an autograd graph",
    ),
    (  # grad mode switched off for good, not for a block
        "generate",
        GENERATE.format(crop="[:, -context_length:]", sample="p = torch.softmax(logits / temperature, dim=-1)")
        .replace("@torch.no_grad()\n", "")
        .replace(
            "    for _ in range(max_new_tokens):",
            "    torch.set_grad_enabled(False)\n    for _ in range(max_new_tokens):",
            1,
        ),
        "grad mode was left off",
    ),
    (  # a generator of its own when none is given, instead of the global one (issue 25: randomness)
        "generate",
        GENERATE.format(crop="[:, -context_length:]", sample="p = torch.softmax(logits / temperature, dim=-1)").replace(
            "generator=generator)", "generator=generator or torch.Generator().manual_seed(0))"
        ),
        "(no generator)",
    ),
    (  # the generator it is given ignored: it draws from the global one
        "generate",
        GENERATE.format(crop="[:, -context_length:]", sample="p = torch.softmax(logits / temperature, dim=-1)").replace(
            "generator=generator)", ")"
        ),
        "changed the global random state",
    ),
    (  # positions made on the CPU, whatever the ids' device (issue 25: devices, found without a GPU)
        "GPTModel",
        MODEL.format(
            body="x = self.tok_emb(ids) + self.pos_emb(torch.arange(ids.shape[1]))\n"
            "        return self.out_head(self.final_norm(self.trf_blocks(self.drop_emb(x))))"
        ),
        "made on the CPU",
    ),
    (  # the caller's vectors normalized in place (the cosines do not change, the caller's embeddings do)
        "neighbours_in_group",
        NEIGHBOURS.format(
            body="vectors /= vectors.norm(dim=-1, keepdim=True)\n    "
            + NEIGHBOURS_OWN.format(**NEIGHBOURS_OWN_RIGHT).strip()
        ),
        "was changed in place",
    ),
    (  # the caller's token lists padded in place with +=
        "instruction_collate",
        COLLATE.format(target=KEEP_FIRST_END).replace(
            "        row = ids + [pad_id] * (width + 1 - len(ids))",
            "        row = ids\n        row += [pad_id] * (width + 1 - len(ids))",
        ),
        "was changed in place",
    ),
    (  # every layer made trainable again, the frozen ones too
        "training_step",
        TRAINING_STEP.format(clear="model.requires_grad_(True)\n    optimizer.zero_grad()"),
        "now has requires_grad=True",
    ),
]
