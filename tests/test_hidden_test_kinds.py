"""The hidden tests' harder cases through real nbgrader: each kind of weakness they were made to close
(issue 14) as a student would hand it in, graded by ``nbgrader autograde``.

A kind is caught when exactly the named graded cells lose their points and the feedback names the
cause; a valid answer that the old checks marked down keeps full marks. One scratch course, one
autograde run per assignment, several students each, so that the whole test stays short.
"""

import functools

import pytest

from tools.nbgrader_course import (
    autograded_cell_text,
    cell_scores,
    completed_release,
    nbgrader,
    scratch_course,
    submit_every_notebook,
)

pytestmark = [pytest.mark.nbgrader]

MHA_INIT = """class MultiHeadAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        if d_out % num_heads != 0:
            raise ValueError("d_out must be divisible by num_heads")
        self.num_heads, self.head_dim = num_heads, d_out // num_heads
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        {mask}

    def forward(self, x):
        batch, tokens, _ = x.shape
        split = lambda t: t.view(batch, tokens, self.num_heads, self.head_dim).transpose(1, 2)
        queries, keys, values = split(self.W_query(x)), split(self.W_key(x)), split(self.W_value(x))
        scores = (queries @ keys.transpose(2, 3) / self.head_dim**0.5).masked_fill(self.mask[:tokens, :tokens], -torch.inf)
        {attend}
        return {output}
"""
BUFFER = 'self.register_buffer("mask", torch.triu(torch.ones(context_length, context_length), diagonal=1).bool())'
ATTEND = "context = (self.dropout(torch.softmax(scores, dim=-1)) @ values).transpose(1, 2).flatten(2)"
MERGE = "self.out_proj(context)"

# assignment -> student -> (the exercise cells they answer otherwise than the solution, {graded cell that must
# fail: words its feedback must show})
STUDENTS = {
    "06_multihead_attention": {
        "dropout_after_projection": (  # kind 1: dropout in the wrong place
            {
                "MultiHeadAttention": MHA_INIT.format(
                    mask=BUFFER,
                    attend=ATTEND.replace(
                        "self.dropout(torch.softmax(scores, dim=-1))", "torch.softmax(scores, dim=-1)"
                    ),
                    output="self.dropout(self.out_proj(context))",
                )
            },
            {  # the visible check runs dropout in train mode too (issue 27)
                "test_MultiHeadAttention": "applied dropout to the wrong tensors",
                "hidden_MultiHeadAttention": "applied dropout to the wrong tensors",
            },
        ),
        "mask_attribute": (  # kind 3: the mask is not a buffer
            {
                "MultiHeadAttention": MHA_INIT.format(
                    mask="self.mask = torch.triu(torch.ones(context_length, context_length), diagonal=1).bool()",
                    attend=ATTEND,
                    output=MERGE,
                )
            },
            # the visible check catches it too: run on another device (meta), the mask stays on the CPU
            {"test_MultiHeadAttention": "register_buffer", "hidden_MultiHeadAttention": "register_buffer"},
        ),
        "shared_head": (  # kind 5: one head object repeated, which used to be blamed on the names
            {
                "MultiHeadAttentionWrapper": "class MultiHeadAttentionWrapper(nn.Module):\n"
                "    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):\n"
                "        super().__init__()\n"
                "        head = CausalAttention(d_in, d_out, context_length, dropout, qkv_bias)\n"
                "        self.heads = nn.ModuleList([head] * num_heads)\n\n"
                "    def forward(self, x):\n"
                "        return torch.cat([head(x) for head in self.heads], dim=-1)\n"
            },
            {
                "test_MultiHeadAttentionWrapper": "the same module object",
                "hidden_MultiHeadAttentionWrapper": "the same module object",
            },
        ),
    },
    "07_gpt": {
        "class_index_dimension_loss": (  # kind 4: a correct loss that the AdamW comparison used to mark down
            {
                "batch_loss": "def batch_loss(model, input_ids, target_ids):\n"
                "    return nn.functional.cross_entropy(model(input_ids).transpose(1, 2), target_ids)\n"
            },
            {},
        ),
        "stops_at_first_eos_and_saves_objects": (
            {
                "generate": "def generate(model, token_ids, max_new_tokens, context_length, temperature=0.0, top_k=None,\n"
                "             eos_id=None, generator=None):\n"
                "    with torch.no_grad():\n"
                "        for _ in range(max_new_tokens):\n"
                "            logits = model(token_ids[:, -context_length:])[:, -1, :]\n"
                "            if top_k is not None:\n"
                "                logits[logits < torch.topk(logits, top_k).values[:, -1:]] = -torch.inf\n"
                "            if temperature > 0:\n"
                "                next_id = torch.multinomial(torch.softmax(logits / temperature, dim=-1), 1, generator=generator)\n"
                "            else:\n"
                "                next_id = logits.argmax(dim=-1, keepdim=True)\n"
                "            token_ids = torch.cat([token_ids, next_id], dim=1)\n"
                "            if eos_id is not None and bool((next_id == eos_id).any()):  # bug: one row is enough\n"
                "                break\n"
                "    return token_ids\n",
                "save_checkpoint": "def save_checkpoint(path, model, optimizer, step):\n"
                "    torch.save({'model': model, 'optimizer': optimizer, 'step': step}, path)  # bug: the objects\n",
            },
            {
                # kind 2: rows that pick eos_id at different steps (the visible check has such rows too, issue 27)
                "test_generate": "not when one row has",
                "hidden_generate": "not when one row has",
                # kind 5: torch's refusal was quoted whole, with colour codes and the advice to pass weights_only=False
                "test_save_checkpoint": "an object of type",
                "hidden_save_checkpoint": "an object of type",
            },
        ),
    },
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = scratch_course(tmp_path_factory.mktemp("course"), list(STUDENTS))
    for assignment, students in STUDENTS.items():
        for student, (cells, _) in students.items():
            submit_every_notebook(course, student, assignment, functools.partial(completed_release, replacements=cells))
        nbgrader(course, "autograde", assignment, "--force")
    return course


CASES = [(assignment, student) for assignment, students in STUDENTS.items() for student in students]


@pytest.mark.parametrize("assignment, student", CASES, ids=[student for _, student in CASES])
def test_exactly_the_expected_cells_fail_and_say_why(graded, assignment, student):
    _, failing = STUDENTS[assignment][student]
    scores = cell_scores(graded, assignment, student)
    assert {grade_id for grade_id, score in scores.items() if score == 0} == set(failing), scores
    for grade_id, words in failing.items():
        text = autograded_cell_text(graded, student, assignment, grade_id)
        assert words in text and "hint:" in text, text
        assert "\x1b[1m" not in text and "weights_only` set to `False" not in text  # torch's own message
