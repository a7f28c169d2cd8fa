"""The pretrained story model that 07c loads: shipped, small, hash-checked, and rebuilt the same by its command."""

import hashlib
import inspect
import math

import pytest
import torch

from autograder.instructor import build
from autograder.reference import story_model
from autograder.reference.embeddings import create_dataloader
from autograder.reference.gpt import GPTModel, batch_loss
from tools.checkout import TREE


def test_the_shipped_file_is_small_and_has_the_recorded_hash():
    data = story_model.SHIPPED.read_bytes()
    assert len(data) < 6e6, f"{len(data) / 1e6:.1f} MB: the package should grow by a few MB at most"
    assert hashlib.sha256(data).hexdigest() == story_model.SHA256


def test_the_shipped_model_has_learned_the_stories():
    model, tokenizer = story_model.load_story_model(), story_model.story_tokenizer()
    stories = story_model.story_texts()
    val_ids = tokenizer.encode("<|endoftext|>".join(stories[int(0.9 * len(stories)) :]))
    loader = create_dataloader(val_ids, batch_size=16, max_length=128, stride=128, shuffle=False)
    with torch.no_grad():
        losses = [batch_loss(model, inputs, targets).item() for inputs, targets in list(loader)[:3]]
    # 07b's run reaches about 1.0; uniform guessing over the vocabulary is ln(1,248) = 7.1
    assert sum(losses) / len(losses) < 1.2 < math.log(tokenizer.vocab_size)


def test_a_changed_file_is_refused_with_what_to_do(tmp_path, monkeypatch):
    changed = bytearray(story_model.SHIPPED.read_bytes())
    changed[-100] ^= 1
    (tmp_path / "story_model.pt").write_bytes(bytes(changed))
    monkeypatch.setattr(story_model, "SHIPPED", tmp_path / "story_model.pt")
    with pytest.raises(RuntimeError, match=r"SHA-256 differs.*python -m autograder\.reference\.story_model"):
        story_model.load_story_model()


def test_the_build_writes_the_same_bytes_each_time():
    """The command's recipe is deterministic: two short runs (the full one takes about two minutes) agree."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the command runs
    try:
        first, second = (story_model.weights_bytes(story_model.train_story_model(max_steps=3)) for _ in range(2))
    finally:
        torch.set_num_threads(threads)
    assert first == second
    assert first != story_model.SHIPPED.read_bytes()  # three steps are not the shipped model's 424


def test_the_recipe_initializes_the_model_as_07b_teaches():
    """07b's cell defines init_like_gpt2 word for word as the recipe does, and it does what GPT-2 does."""
    source = inspect.getsource(story_model.init_like_gpt2).rstrip("\n")
    assert any(cell.source.startswith(source) for cell in build.read(TREE.source_path("07b_pretraining")).cells)
    torch.manual_seed(0)
    model = story_model.init_like_gpt2(GPTModel({**story_model.story_config(1248), "n_layers": 8, "qkv_bias": True}))
    parameters = dict(model.named_parameters())
    assert abs(parameters["tok_emb.weight"].std().item() - 0.02) < 1e-3
    assert abs(parameters["trf_blocks.0.att.W_query.weight"].std().item() - 0.02) < 1e-3
    for name in ("trf_blocks.7.att.out_proj.weight", "trf_blocks.7.ff.layers.2.weight"):
        assert abs(parameters[name].std().item() - 0.02 / 4) < 3e-4, name  # sqrt(2 * 8 blocks) = 4
    assert all(parameter.eq(0).all() for name, parameter in parameters.items() if name.endswith(".bias"))
    assert parameters["trf_blocks.0.norm1.scale"].eq(1).all() and parameters["final_norm.shift"].eq(0).all()
