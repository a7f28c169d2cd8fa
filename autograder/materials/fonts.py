"""A Chinese font for the notebooks' figures, so that labels such as 汪星语 show as characters, not boxes.

matplotlib's own font, DejaVu Sans, has no Chinese glyphs. The course depends on the PyPI package
``pylopdf-fonts-zh-cn`` (Noto Sans SC and Noto Serif SC under the SIL Open Font License, a 17 MB wheel,
no dependencies); importing this module registers its Noto Sans SC with matplotlib and puts it first in
``font.sans-serif``. Without the package a Chinese font that the system has is used; without any,
``CJK_FONT`` is None and ``bilingual`` gives the English labels alone, so that a figure never shows
boxes and nothing prints a warning.
"""

from collections.abc import Iterable, Sequence
from pathlib import Path

from matplotlib import font_manager, rcParams

# Simplified-Chinese families a system may have installed (Debian's fonts-noto-cjk and fonts-wqy-*, macOS, Windows)
SYSTEM_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "PingFang SC",
    "Microsoft YaHei",
    "SimHei",
)


def shipped_font() -> Path | None:
    """Noto Sans SC from the course's font package, or None where the package is not installed."""
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return None
    path = Path(pylopdf_fonts_zh_cn.sans_path())
    return path if path.is_file() else None


def register(shipped: Path | None = None, families: Iterable[str] = SYSTEM_FAMILIES) -> str | None:
    """Make matplotlib draw Chinese with ``shipped`` (a font file) or else the first of ``families`` installed.

    Returns the family put first in ``font.family`` and ``font.sans-serif`` (DejaVu Sans stays as the fallback
    for the symbols a Chinese font lacks, such as ᵀ), or None, changing nothing, when no Chinese font is found.
    """
    if shipped is not None:
        font_manager.fontManager.addfont(str(shipped))
        family = font_manager.FontProperties(fname=shipped).get_name()
    else:
        installed = {font.name for font in font_manager.fontManager.ttflist}
        family = next((name for name in families if name in installed), None)
    if family is not None:  # matplotlib falls back glyph by glyph only along font.family's list, not font.sans-serif's
        rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
        rcParams["font.family"] = [family, "DejaVu Sans"]
    return family


def bilingual(chinese: Sequence[str], english: Sequence[str]) -> list[str]:
    """Labels in both languages, "我 (I)", where a Chinese font is registered; the English alone where not."""
    if CJK_FONT is None:
        return list(english)
    return [f"{zh} ({en})" for zh, en in zip(chinese, english, strict=True)]


CJK_FONT: str | None = register(shipped_font())
