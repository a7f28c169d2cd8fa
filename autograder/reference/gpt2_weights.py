"""Load weights in Hugging Face's GPT-2 layout into the course's GPTModel.

Differences between the layouts: Hugging Face fuses the query, key and value projections into
one ``c_attn`` layer, and its ``Conv1D`` layers store weights as (in, out), the transpose of
``nn.Linear``'s (out, in); the output head is tied to the token embedding.
"""

import torch

from autograder.defences.reference_lock import reference
from autograder.reference.gpt import GPTModel


def _assign(parameter: torch.nn.Parameter, value: torch.Tensor) -> None:
    if parameter.shape != value.shape:
        raise ValueError(f"shape mismatch: model has {tuple(parameter.shape)}, checkpoint has {tuple(value.shape)}")
    parameter.copy_(value)


@reference
@torch.no_grad()
def load_gpt2_weights(model: GPTModel, state: dict[str, torch.Tensor]) -> GPTModel:
    """Copy a GPT-2 state dict (keys like ``transformer.h.0.attn.c_attn.weight``) into ``model``."""
    state = {key.removeprefix("transformer."): value for key, value in state.items()}
    _assign(model.tok_emb.weight, state["wte.weight"])
    _assign(model.pos_emb.weight, state["wpe.weight"][: model.pos_emb.weight.shape[0]])
    for i, block in enumerate(model.trf_blocks):
        prefix = f"h.{i}."
        query, key, value = state[prefix + "attn.c_attn.weight"].chunk(3, dim=1)
        q_bias, k_bias, v_bias = state[prefix + "attn.c_attn.bias"].chunk(3)
        for layer, weight, bias in (
            (block.att.W_query, query, q_bias),
            (block.att.W_key, key, k_bias),
            (block.att.W_value, value, v_bias),
        ):
            _assign(layer.weight, weight.T)
            _assign(layer.bias, bias)
        _assign(block.att.out_proj.weight, state[prefix + "attn.c_proj.weight"].T)
        _assign(block.att.out_proj.bias, state[prefix + "attn.c_proj.bias"])
        _assign(block.ff.layers[0].weight, state[prefix + "mlp.c_fc.weight"].T)
        _assign(block.ff.layers[0].bias, state[prefix + "mlp.c_fc.bias"])
        _assign(block.ff.layers[2].weight, state[prefix + "mlp.c_proj.weight"].T)
        _assign(block.ff.layers[2].bias, state[prefix + "mlp.c_proj.bias"])
        for norm, name in ((block.norm1, "ln_1"), (block.norm2, "ln_2")):
            _assign(norm.scale, state[prefix + name + ".weight"])
            _assign(norm.shift, state[prefix + name + ".bias"])
    _assign(model.final_norm.scale, state["ln_f.weight"])
    _assign(model.final_norm.shift, state["ln_f.bias"])
    _assign(model.out_head.weight, state.get("lm_head.weight", state["wte.weight"]))  # tied head
    return model
