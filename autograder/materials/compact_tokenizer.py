"""GPT-2's BPE with a vocabulary cut down to the tokens some texts use, for models small enough for a CPU.

GPT-2's 50,257-token output layer would dominate a small model's compute. The course's texts
use under a thousand of those tokens; renumbering them 0, 1, 2, … keeps GPT-2's tokenization
(and exact decoding) with an output layer fifty times smaller.
"""

import tiktoken

import autograder  # noqa: F401  (puts GPT-2's tokenizer files into tiktoken's offline cache)

END_OF_TEXT = "<|endoftext|>"


class CompactTokenizer:
    """Encode and decode like GPT-2, with ids 0 … vocab_size-1 for the tokens found in ``texts``."""

    def __init__(self, texts: list[str]):
        self.gpt2 = tiktoken.get_encoding("gpt2")
        used = {self.gpt2.eot_token}
        for text in texts:
            used.update(self.gpt2.encode(text, allowed_special={END_OF_TEXT}))
        self.gpt2_ids = sorted(used)
        self.compact_ids = {gpt2_id: i for i, gpt2_id in enumerate(self.gpt2_ids)}
        self.eos_id = self.compact_ids[self.gpt2.eot_token]

    @property
    def vocab_size(self) -> int:
        return len(self.gpt2_ids)

    def encode(self, text: str) -> list[int]:
        gpt2_ids = self.gpt2.encode(text, allowed_special={END_OF_TEXT})
        unknown = sorted({self.gpt2.decode([i]) for i in gpt2_ids if i not in self.compact_ids})
        if unknown:
            raise ValueError(f"tokens outside this tokenizer's vocabulary: {unknown[:10]}")
        return [self.compact_ids[i] for i in gpt2_ids]

    def decode(self, ids: list[int]) -> str:
        return self.gpt2.decode([self.gpt2_ids[i] for i in ids])
