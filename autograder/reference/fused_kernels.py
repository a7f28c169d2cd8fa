"""The course's GPT computed with PyTorch's fused kernels: the same parameters, names and numbers, faster.

Assignment 07 spells out attention, layer norm and GELU as taught. Spelled out, each is a chain of
small tensor operations, and each link reads and writes a whole activation tensor and keeps it for
the backward pass; a fused kernel does the chain in one pass. Assignment 06 showed that PyTorch's
``scaled_dot_product_attention`` computes the taught attention; ``nn.functional.layer_norm`` and
``nn.functional.gelu(approximate="tanh")`` compute the taught LayerNorm and GELU.

``use_fused_kernels(model)`` swaps them into a built GPTModel (the reference's or a student's with
the notebook's attribute names) in place. The new modules hold the model's own parameter objects
under the same names, and building them draws no random numbers, so initial weights, an optimizer
made before the swap, ``state_dict`` keys and checkpoints stay as they are: a checkpoint of the fused
model loads into the taught one and back.
"""

import torch
from torch import nn


class FusedAttention(nn.Module):
    """A MultiHeadAttention's own layers, with scaled_dot_product_attention doing the attention."""

    def __init__(self, attention: nn.Module):
        super().__init__()
        self.num_heads = attention.num_heads
        self.W_query, self.W_key, self.W_value = attention.W_query, attention.W_key, attention.W_value
        self.out_proj, self.dropout = attention.out_proj, attention.dropout
        self.register_buffer("mask", attention.mask)  # kept so that state_dict keys stay the taught module's

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, tokens, _ = x.shape
        if tokens > self.mask.shape[0]:
            raise ValueError(f"{tokens} tokens exceed the context length {self.mask.shape[0]}")
        # (batch, tokens, d_out) -> (batch, heads, tokens, head_dim)
        queries, keys, values = (
            layer(x).view(batch, tokens, self.num_heads, -1).transpose(1, 2)
            for layer in (self.W_query, self.W_key, self.W_value)
        )
        context = nn.functional.scaled_dot_product_attention(
            queries, keys, values, dropout_p=self.dropout.p if self.training else 0.0, is_causal=True
        )
        return self.out_proj(context.transpose(1, 2).reshape(batch, tokens, -1))


class FusedLayerNorm(nn.Module):
    """A LayerNorm's own ``scale`` and ``shift``, normalized by nn.functional.layer_norm."""

    def __init__(self, norm: nn.Module):
        super().__init__()
        self.eps, self.scale, self.shift = norm.eps, norm.scale, norm.shift

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.layer_norm(x, self.scale.shape, self.scale, self.shift, self.eps)


def use_fused_kernels(
    model: nn.Module, attention: bool = True, layer_norm: bool = True, gelu: bool = True
) -> nn.Module:
    """Give ``model`` fused attention, layer norms and GELUs (each can be left out), keeping its parameters.

    Returns ``model``, changed in place.
    """
    for block in model.trf_blocks:
        if attention:
            block.att = FusedAttention(block.att)
        if layer_norm:
            block.norm1, block.norm2 = FusedLayerNorm(block.norm1), FusedLayerNorm(block.norm2)
        if gelu:
            block.ff.layers[1] = nn.GELU(approximate="tanh")  # between the two linear layers
    if layer_norm:
        model.final_norm = FusedLayerNorm(model.final_norm)
    return model
