"""The code follows the project's ruff configuration (pyproject.toml): lint and format."""

import subprocess
import sys

import pytest

from tools.checkout import TREE


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]], ids=["lint", "format"])
def test_ruff(command):
    result = subprocess.run([sys.executable, "-m", "ruff", *command], cwd=TREE.root, capture_output=True, text=True)
    assert result.returncode == 0, f"ruff {' '.join(command)} found problems:\n{result.stdout}{result.stderr}"
