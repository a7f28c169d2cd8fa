"""The optional GPT-2 download: loads a checkpoint in either layout, and returns None offline."""

import torch

from autograder.materials import gpt2_download
from autograder.reference import gpt
from autograder.reference.gpt import hugging_face_state_dict, load_gpt2_weights

TINY = {
    "vocab_size": 13,
    "context_length": 6,
    "emb_dim": 8,
    "n_heads": 2,
    "n_layers": 2,
    "drop_rate": 0.0,
    "qkv_bias": True,
}


def original_layout(model):
    """The layout of OpenAI's checkpoint on Hugging Face: bare keys, mask buffers, no head."""
    state = {
        key.removeprefix("transformer."): value
        for key, value in hugging_face_state_dict(model).items()
        if key != "lm_head.weight"
    }
    for i in range(TINY["n_layers"]):
        state[f"h.{i}.attn.bias"] = torch.tril(torch.ones(1, 1, 6, 6))
    return state


def test_a_downloaded_checkpoint_loads_into_the_course_model(tmp_path):
    torch.manual_seed(0)
    source = gpt.GPTModel(TINY).eval()
    with torch.no_grad():
        source.out_head.weight.copy_(source.tok_emb.weight)
    served = tmp_path / "server" / "pytorch_model.bin"
    served.parent.mkdir()
    torch.save(original_layout(source), served)

    state = gpt2_download.load_state_dict(tmp_path / "checkpoints", url=served.as_uri())
    assert (tmp_path / "checkpoints" / gpt2_download.FILE_NAME).is_file()
    assert "lm_head.weight" in state and "transformer.h.0.attn.bias" not in state
    model = load_gpt2_weights(gpt.GPTModel(TINY).eval(), state)
    ids = torch.randint(0, TINY["vocab_size"], (2, 6))
    torch.testing.assert_close(model(ids), source(ids))


def test_the_lm_head_layout_is_kept_as_it_is():
    state = hugging_face_state_dict(gpt.GPTModel(TINY))
    assert gpt2_download.as_lm_head_layout(state).keys() == state.keys()


def test_offline_gives_none_and_leaves_no_file(tmp_path, capsys):
    assert gpt2_download.load_state_dict(tmp_path, url="http://127.0.0.1:9/gpt2.bin", timeout=2) is None
    assert "could not download" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []
