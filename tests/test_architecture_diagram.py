"""The course map's picture of the whole GPT (autograder/materials/architecture.py): it draws without a warning,
names every box in both languages, and the shapes on its arrows are the ones a GPT computes."""

import re
import subprocess
import sys

import matplotlib.pyplot as plt
import pytest
import torch

from autograder.materials import architecture, fonts
from autograder.reference.gpt import GPTModel

CJK = re.compile(r"[\u3400-\u9fff]")
# GPT-2 small as 07 writes it; test_gpt2_small_from_transformers checks these numbers against transformers' own.
GPT2_SMALL = {"vocab_size": 50257, "context_length": 1024, "emb_dim": 768, "n_heads": 12, "n_layers": 12}

DRAW = """
import warnings
import matplotlib
matplotlib.use("Agg")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from autograder.materials.architecture import ASSIGNMENTS, draw_architecture
    config = {"vocab_size": 50257, "context_length": 1024, "emb_dim": 768, "n_heads": 12, "n_layers": 12}
    for highlight in (None, *ASSIGNMENTS):
        for figure in (draw_architecture(highlight=highlight), draw_architecture(config, highlight=highlight)):
            figure.canvas.draw()  # glyphs are looked up when the text is laid out
            matplotlib.pyplot.close(figure)
print("warnings:", [str(warning.message) for warning in caught])
"""


def texts(figure) -> list[str]:
    return [text.get_text() for text in figure.axes[0].texts]


@pytest.fixture
def draw():
    figures = []

    def draw(*args, **kwargs):
        figures.append(architecture.draw_architecture(*args, **kwargs))
        return figures[-1]

    yield draw
    for figure in figures:
        plt.close(figure)


def test_it_draws_without_a_warning_or_a_missing_glyph():
    result = subprocess.run([sys.executable, "-c", DRAW], capture_output=True, text=True, check=True, timeout=300)
    assert result.stdout == "warnings: []\n"
    assert result.stderr == "", "matplotlib logs missing glyphs and fonts to stderr"


def test_every_box_is_named_in_english_and_chinese(draw):
    assert fonts.CJK_FONT is not None
    drawn = texts(draw())
    for box in architecture.BOXES:
        assert any(box.english in text for text in drawn), box.english
        assert any(box.chinese in text for text in drawn), box.chinese
    for english, chinese, _ in architecture.ASSIGNMENTS.values():
        assert any(english in text and chinese in text for text in drawn), english


def test_every_box_names_the_assignments_that_build_it():
    built = {number for box in architecture.BOXES for number in box.built_in}
    assert built == set(architecture.ASSIGNMENTS)
    assert architecture.TOKEN_IDS.built_in == ("01",)
    assert architecture.ATTENTION.built_in == ("03", "04", "05", "06")
    assert architecture.UNEMBEDDING.built_in == ("07",)


def test_the_shapes_are_what_a_gpt_computes():
    """Run the reference GPT on a small config and compare each recorded shape with the label of its arrow."""
    config = {"vocab_size": 97, "context_length": 16, "emb_dim": 24, "n_heads": 3, "n_layers": 2}
    model = GPTModel({**config, "drop_rate": 0.0, "qkv_bias": False}).eval()
    seen = {}

    def record(name):
        def hook(module, inputs, output):
            seen[name] = tuple(output.shape)  # returns None: the output is kept

        return hook

    model.trf_blocks.register_forward_hook(record("vectors"))
    model.trf_blocks[0].ff.layers[0].register_forward_hook(record("hidden"))
    model.out_head.register_forward_hook(record("logits"))
    batch, tokens = 2, 5
    with torch.no_grad():
        model(torch.randint(0, config["vocab_size"], (batch, tokens)))

    def named(shape):  # an activation's batch and token dimensions by their symbols, a weight's in full
        sizes = [f"{n:,}" for n in shape]
        return " × ".join(["B", "T", *sizes[2:]] if len(shape) == 3 else sizes)

    shapes = architecture.shapes(config)
    assert shapes["vectors"] == named(seen["vectors"]) == "B × T × 24"
    assert shapes["logits"] == named(seen["logits"]) == "B × T × 97"
    assert shapes["last logits"].startswith("B × 97")
    assert shapes["token table"] == named(tuple(model.tok_emb.weight.shape)) == "97 × 24"
    assert shapes["position table"] == named(tuple(model.pos_emb.weight.shape)) == "16 × 24"
    assert shapes["unembedding"].startswith(f"{model.out_head.in_features} × {model.out_head.out_features}")
    assert shapes["mlp"].startswith(f"24 → {seen['hidden'][-1]} → 24")
    assert shapes["heads"].startswith("3 heads × 8")
    assert shapes["blocks"] == f"× {len(model.trf_blocks)}"
    assert shapes["token ids"].startswith("B × T") and "16" in shapes["token ids"]


def test_gpt2_small_from_transformers():
    import transformers  # a test-only dependency; a config only, nothing is downloaded

    gpt2 = transformers.GPT2Config()  # its defaults are GPT-2 small
    assert {
        "vocab_size": gpt2.vocab_size,
        "context_length": gpt2.n_positions,
        "emb_dim": gpt2.n_embd,
        "n_heads": gpt2.n_head,
        "n_layers": gpt2.n_layer,
    } == GPT2_SMALL


def test_given_gpt2_smalls_config_the_arrows_carry_its_numbers(draw):
    drawn = texts(draw({**GPT2_SMALL, "drop_rate": 0.1, "qkv_bias": True}))  # 07's dict, as it is written
    for shape in (
        "B × T × 768",
        "B × T × 50,257",
        "50,257 × 768",
        "1,024 × 768",
        "768 × 50,257",
        "768 → 3,072 → 768",
        "12 heads × 64",
        "× 12",
        "T ≤ 1,024",
    ):
        assert any(shape in text for text in drawn), shape
    symbols = [text for text in drawn if re.search(r"\bd_model\b|× V\b|× N\b", text)]
    assert len(symbols) == 1 and symbols[0].startswith("B batch"), "only the key to the symbols names them"


def test_a_highlight_greys_out_what_another_assignment_builds(draw):
    figure = draw(highlight="04")
    colours = {text.get_text(): text.get_color() for text in figure.axes[0].texts}
    for box in (architecture.TOKEN_IDS, architecture.ATTENTION, architecture.UNEMBEDDING):
        active = "04" in box.built_in
        assert (colours[architecture.label(box)] == "black") == active, box.english
    assert any("assignment 04" in text for text in colours)


def test_an_unknown_highlight_is_refused():
    with pytest.raises(ValueError, match="01, 02, 03, 04, 05, 06, 07"):
        architecture.draw_architecture(highlight="7")


def test_without_a_chinese_font_the_labels_are_english(draw, monkeypatch):
    monkeypatch.setattr(fonts, "CJK_FONT", None)
    drawn = texts(draw(GPT2_SMALL, highlight="07"))
    assert [text for text in drawn if CJK.search(text)] == []
    assert all(any(box.english in text for text in drawn) for box in architecture.BOXES)
