"""The seeds of the hidden checks: the seed a hidden test cell names, mixed with a secret drawn for each grading run.

A hidden test cell names its seed (``check.softmax_naive_hidden(softmax_naive, seed=101)``) and the course is open
source: with nothing more, anyone could record the hidden inputs at home and hand in a table of answers. While
grading, the kernel's guard hands the checks the run's secret before every test cell
(`guard.restore`, beside this module), and each hidden check draws its inputs from the named seed and the
secret together. Outside grading (a learner's own run, the course's tests) there is no secret, and the named seed
is used as it is.
"""

import hashlib

_secret = ""


def use_secret(secret: str) -> None:
    """The grading run's secret, from now on (the empty string: none)."""
    global _secret
    _secret = secret


def seed_for(seed: int) -> int:
    """The seed a hidden check draws from: ``seed`` itself without a secret, else one no one knows in advance."""
    if not _secret:
        return seed
    digest = hashlib.sha256(f"{_secret}\0{seed}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1  # non-negative and below 2**63, as torch.manual_seed takes it
