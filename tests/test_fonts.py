"""Figures draw Chinese: the course's font package is installed and registered, and without a Chinese font the
labels fall back to English without a warning."""

import subprocess
import sys

from autograder.materials import fonts

RENDER = """
import warnings
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from autograder.materials import fonts
    fig, ax = plt.subplots()
    ax.set_title("吃饭 / 汪星语 / Q Kᵀ")  # ᵀ is not in Noto Sans SC: DejaVu Sans draws it
    ax.set_xticks(range(6), fonts.bilingual(["我", "刚才", "现在", "吃饭", "睡觉", "跑步"], list("abcdef")))
    ax.plot([-1, 1])
    fig.canvas.draw()
print(fonts.CJK_FONT, plt.rcParams["font.sans-serif"][:2])
print("warnings:", [str(warning.message) for warning in caught])
"""


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)


def test_chinese_renders_without_a_missing_glyph_warning():
    result = run_python(RENDER)
    assert result.stdout.splitlines() == ["Noto Sans SC ['Noto Sans SC', 'DejaVu Sans']", "warnings: []"]
    assert result.stderr == ""


def test_the_font_ships_with_the_environment():
    assert fonts.shipped_font() is not None, "pip install -e . installs pylopdf-fonts-zh-cn (pyproject.toml)"


def test_without_a_chinese_font_labels_are_english_and_nothing_is_printed(monkeypatch):
    before = list(fonts.rcParams["font.sans-serif"])
    assert fonts.register(None, families=()) is None
    assert fonts.rcParams["font.sans-serif"] == before
    monkeypatch.setattr(fonts, "CJK_FONT", None)
    assert fonts.bilingual(["我", "吃饭"], ["I", "eat"]) == ["I", "eat"]
    monkeypatch.setattr(fonts, "CJK_FONT", "Noto Sans SC")
    assert fonts.bilingual(["我", "吃饭"], ["I", "eat"]) == ["我 (I)", "吃饭 (eat)"]


def test_a_missing_package_means_no_shipped_font():
    result = run_python(
        "import sys; sys.modules['pylopdf_fonts_zh_cn'] = None\n"
        "from autograder.materials import fonts; print(fonts.shipped_font())"
    )
    assert result.stdout == "None\n" and result.stderr == ""
