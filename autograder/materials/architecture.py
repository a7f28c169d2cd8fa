"""The whole GPT in one picture: from text to the next token, with the tensor's shape on every arrow, each label in
English and Chinese, and the assignment that builds each box.

01 opens with it as the course map; 07, where the boxes are assembled, can draw it again with its own boxes
highlighted and a real config's numbers on the arrows: ``draw_architecture(GPT2_SMALL, highlight="07")``.
Chinese labels need the font that ``autograder.materials.fonts`` registers; without one the labels are English.
"""

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from autograder.materials import fonts

# The assignment that builds each part, with the colour its boxes and tags get.
ASSIGNMENTS = {
    "01": ("tokenization", "分词", "#4C72B0"),
    "02": ("embeddings", "嵌入", "#55A868"),
    "03": ("attention", "注意力", "#DD8452"),
    "04": ("queries, keys, values", "查询、键、值", "#DD8452"),
    "05": ("causal mask", "因果掩码", "#DD8452"),
    "06": ("multi-head", "多头", "#DD8452"),
    "07": ("the whole GPT", "完整的 GPT", "#8172B3"),
}
INPUT_COLOUR = "#8C8C8C"  # the text is given, not built


@dataclass(frozen=True)
class Box:
    english: str
    chinese: str
    built_in: tuple[str, ...]  # assignment numbers, e.g. ("03", "04", "05", "06")


TEXT = Box("text", "文本", ())
TOKEN_IDS = Box("token ids", "词元 ID", ("01",))
TOKEN_EMBEDDING = Box("token embedding", "词元嵌入", ("02",))
POSITION_EMBEDDING = Box("position embedding", "位置嵌入", ("02",))
BLOCK = Box("transformer block", "Transformer 块", ("07",))
LAYER_NORM = Box("layer norm", "层归一化", ("07",))
ATTENTION = Box("causal multi-head attention", "因果多头注意力", ("03", "04", "05", "06"))
RESIDUAL = Box("residual connection", "残差连接", ("07",))
MLP = Box("MLP (feed-forward)", "多层感知机（前馈网络）", ("07",))
FINAL_NORM = Box("final layer norm", "最终层归一化", ("07",))
UNEMBEDDING = Box("unembedding", "解嵌入", ("07",))
LOGITS = Box("logits", "未归一化的对数概率", ("07",))
SOFTMAX = Box("softmax(logits / temperature)", "除以温度，再取 softmax", ("07",))
NEXT_TOKEN = Box("next token", "下一个词元", ("07",))
GENERATION = Box("autoregressive generation: append it, run again", "自回归生成：追加到输入，再来一遍", ("07",))
BOXES = (
    TEXT,
    TOKEN_IDS,
    TOKEN_EMBEDDING,
    POSITION_EMBEDDING,
    BLOCK,
    LAYER_NORM,
    ATTENTION,
    RESIDUAL,
    MLP,
    FINAL_NORM,
    UNEMBEDDING,
    LOGITS,
    SOFTMAX,
    NEXT_TOKEN,
    GENERATION,
)

# Symbols of the shapes: B and T vary with the input, the rest come from the model's config.
SYMBOLS = {"d": "d_model", "V": "V", "N": "N", "h": "h", "ctx": "context length"}
SYMBOL_NAMES = (
    ("B batch", "批次"),
    ("T tokens", "词元数"),
    ("d_model features per token", "特征维度"),
    ("V vocabulary size", "词表大小"),
    ("N blocks", "块数"),
    ("h heads", "头数"),
)


def symbols(config: Mapping | None = None) -> dict[str, str]:
    """The names on the arrows: symbols, or a config's numbers (the keys of 07's config dicts)."""
    if config is None:
        return dict(SYMBOLS)
    return {
        "d": f"{config['emb_dim']:,}",
        "V": f"{config['vocab_size']:,}",
        "N": f"{config['n_layers']:,}",
        "h": f"{config['n_heads']:,}",
        "ctx": f"{config['context_length']:,}",
    }


def shapes(config: Mapping | None = None) -> dict[str, str]:
    """The shape of the tensor on each arrow, by what it carries."""
    s = symbols(config)
    d, V = s["d"], s["V"]
    head = "d_model/h" if config is None else f"{config['emb_dim'] // config['n_heads']:,}"
    hidden = "4·d_model" if config is None else f"{4 * config['emb_dim']:,}"
    return {
        "token ids": f"B × T   (T ≤ {s['ctx']})",
        "token table": f"{V} × {d}",
        "position table": f"{s['ctx']} × {d}",
        "vectors": f"B × T × {d}",
        "heads": f"{s['h']} heads × {head}, causal mask",
        "mlp": f"{d} → {hidden} → {d}, GELU",
        "unembedding": f"{d} × {V} matrix",
        "logits": f"B × T × {V}",
        "last logits": f"B × {V}   (last position)",
        "probabilities": f"B × {V}   " + both("probabilities", "概率"),
        "next token": "B × 1: sampled, or the most likely",
        "blocks": f"× {s['N']}",
    }


def both(english: str, chinese: str, between: str = " ") -> str:
    """A label in both languages, or in English alone where no Chinese font is registered."""
    return english if fonts.CJK_FONT is None else f"{english}{between}{chinese}"


def label(box: Box) -> str:
    """The box's English and Chinese names on two lines; English alone where no Chinese font is registered."""
    return both(box.english, box.chinese, "\n")


def draw_architecture(config: Mapping | None = None, highlight: str | None = None) -> Figure:
    """The GPT from text to the next token: every box tagged with the assignment(s) that build it.

    ``config`` (a dict with 07's keys: vocab_size, context_length, emb_dim, n_heads, n_layers) puts its numbers on
    the arrows instead of symbols. ``highlight`` (an assignment number, "01" … "07") colours that assignment's
    boxes and greys out the rest.
    """
    if highlight is not None and highlight not in ASSIGNMENTS:
        raise ValueError(f"highlight must be one of {', '.join(ASSIGNMENTS)} or None, not {highlight!r}")
    return Diagram(shapes(config), highlight).draw()


class Diagram:
    """Coordinates in inches from the bottom left; the main column in the middle, the block's inside to the right."""

    WIDTH, HEIGHT = 9.0, 9.6
    MAIN_X, MAIN_W = 3.25, 3.0  # centre and width of the main column's boxes
    ZOOM_X, ZOOM_W = 7.35, 2.45  # centre and width of the boxes inside the block
    BOX_H, ARROW = 0.46, 0.4
    LABEL, SMALL = 9, 8  # font sizes: box names; shapes, notes and the key

    def __init__(self, shapes: dict[str, str], highlight: str | None):
        self.shapes = shapes
        self.highlight = highlight
        self.figure = plt.figure(figsize=(self.WIDTH, self.HEIGHT))
        self.ax = self.figure.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, self.WIDTH)
        self.ax.set_ylim(0, self.HEIGHT)
        self.ax.set_axis_off()

    # --- drawing primitives -------------------------------------------------------------------------------------

    def active(self, box: Box) -> bool:
        return self.highlight is None or self.highlight in box.built_in

    def colour(self, box: Box) -> str:
        return ASSIGNMENTS[box.built_in[0]][2] if box.built_in else INPUT_COLOUR

    def box(
        self, box: Box, x: float, top: float, width: float, height: float, note: str = "", tag: bool = True
    ) -> float:
        """A rounded box with ``box``'s label (and a note below it), centred on x; returns its bottom."""
        active = self.active(box)
        colour = self.colour(box) if active else "#BBBBBB"
        emphasis = active and self.highlight is not None
        # a translucent fill and an opaque edge: two patches, since a patch's alpha applies to both
        self.ax.add_patch(
            FancyBboxPatch(
                (x - width / 2, top - height),
                width,
                height,
                boxstyle="round,pad=0,rounding_size=0.08",
                facecolor=colour,
                alpha=0.35 if emphasis else 0.16,
                edgecolor="none",
            )
        )
        self.ax.add_patch(
            FancyBboxPatch(
                (x - width / 2, top - height),
                width,
                height,
                boxstyle="round,pad=0,rounding_size=0.08",
                facecolor="none",
                edgecolor=colour,
                linewidth=2.2 if emphasis else 1.0,
            )
        )
        text_colour = "black" if active else "#888888"
        centre = top - height / 2
        if note:
            self.ax.text(x, centre + 0.09, label(box), ha="center", va="center", fontsize=self.LABEL, color=text_colour)
            self.ax.text(x, top - height + 0.1, note, ha="center", va="bottom", fontsize=self.SMALL, color="#555555")
        else:
            self.ax.text(x, centre, label(box), ha="center", va="center", fontsize=self.LABEL, color=text_colour)
        if tag and box.built_in:
            self.tag(box.built_in, x - width / 2 - 0.08, centre, active)
        return top - height

    def tag(self, built_in: tuple[str, ...], right: float, y: float, active: bool = True) -> None:
        """The assignments that build a box ("07", or "03–06" for several), as a small coloured tag."""
        text = built_in[0] if len(built_in) == 1 else f"{built_in[0]}–{built_in[-1]}"
        width = 0.3 if len(built_in) == 1 else 0.52
        colour = ASSIGNMENTS[built_in[0]][2] if active else "#BBBBBB"
        self.ax.add_patch(
            FancyBboxPatch(
                (right - width, y - 0.1),
                width,
                0.2,
                boxstyle="round,pad=0,rounding_size=0.05",
                facecolor=colour,
                edgecolor="none",
            )
        )
        self.ax.text(right - width / 2, y, text, ha="center", va="center", fontsize=self.SMALL, color="white")

    def arrow(self, points: list[tuple[float, float]], colour: str = "#444444", shape: str = "") -> None:
        """A polyline with an arrowhead at its end; ``shape`` is written to the right of its last segment."""
        for start, end in itertools.pairwise(points[:-1]):
            self.ax.plot(*zip(start, end, strict=True), color=colour, linewidth=1.1, solid_capstyle="butt")
        self.ax.add_patch(
            FancyArrowPatch(points[-2], points[-1], arrowstyle="-|>", mutation_scale=11, color=colour, linewidth=1.1)
        )
        if shape:
            (x0, y0), (x1, y1) = points[-2], points[-1]
            self.ax.text(
                max(x0, x1) + 0.1, (y0 + y1) / 2, shape, ha="left", va="center", fontsize=self.SMALL, color="#333"
            )

    def down(self, x: float, top: float, length: float | None = None, shape: str = "") -> float:
        bottom = top - (self.ARROW if length is None else length)
        self.arrow([(x, top), (x, bottom)], shape=shape)
        return bottom

    def plus(self, x: float, y: float) -> None:
        """The addition of a residual connection or of the two embeddings: a circled plus sign."""
        self.ax.add_patch(Circle((x, y), 0.13, facecolor="white", edgecolor="#444444", linewidth=1.1))
        self.ax.plot([x - 0.08, x + 0.08], [y, y], color="#444444", linewidth=1.1)
        self.ax.plot([x, x], [y - 0.08, y + 0.08], color="#444444", linewidth=1.1)

    # --- the picture --------------------------------------------------------------------------------------------

    def draw(self) -> Figure:
        s, x, w = self.shapes, self.MAIN_X, self.MAIN_W
        self.ax.text(
            0.25,
            self.HEIGHT - 0.3,
            both("A GPT, from text to the next token", "GPT：从文本到下一个词元", " / "),
            fontsize=12,
            va="center",
        )
        if self.highlight is not None:
            built = both(
                f"coloured: what assignment {self.highlight} builds", f"彩色：作业 {self.highlight} 实现的部分", " / "
            )
            self.ax.text(0.25, self.HEIGHT - 0.58, built, fontsize=self.LABEL, va="center", color="#333")

        y = self.box(TEXT, x, self.HEIGHT - 0.85, w, 0.36)
        y = self.down(x, y, shape=both("tokenizer", "分词器"))
        ids_top = y
        y = self.box(TOKEN_IDS, x, y, w, self.BOX_H)
        ids_y = (ids_top + y) / 2

        # the ids select rows of the token embedding; the positions 0 … T−1 select rows of the position embedding
        half = w / 2 - 0.05
        left_x, right_x = x - w / 4 - 0.025, x + w / 4 + 0.025
        self.arrow([(x, y), (x, y - 0.14), (left_x, y - 0.14), (left_x, y - self.ARROW)])
        self.ax.text(x + 0.1, y - 0.07, s["token ids"], fontsize=self.SMALL, va="center", color="#333")
        y -= self.ARROW
        emb_h = 0.62
        self.box(TOKEN_EMBEDDING, left_x, y, half, emb_h, note=s["token table"])
        y = self.box(POSITION_EMBEDDING, right_x, y, half, emb_h, note=s["position table"], tag=False)
        positions_y = y + emb_h / 2
        self.arrow([(x + w / 2 + 0.5, positions_y), (x + w / 2 + 0.02, positions_y)])
        self.ax.text(x + w / 2 + 0.58, positions_y, both("positions 0 … T−1", "位置"), fontsize=self.SMALL, va="center")
        plus_y = y - 0.3
        self.arrow([(left_x, y), (left_x, plus_y), (x - 0.13, plus_y)])
        self.arrow([(right_x, y), (right_x, plus_y), (x + 0.13, plus_y)])
        self.plus(x, plus_y)
        y = self.down(x, plus_y - 0.13, shape=s["vectors"])

        block_top = y
        y = self.box(BLOCK, x, y, w, 0.62)
        self.ax.text(x + w / 2 - 0.1, block_top - 0.08, s["blocks"], ha="right", va="top", fontsize=10)
        block_bottom = y
        y = self.down(x, y, shape=s["vectors"])
        y = self.box(FINAL_NORM, x, y, w, self.BOX_H)
        y = self.down(x, y, shape=s["vectors"])
        y = self.box(UNEMBEDDING, x, y, w, 0.62, note=s["unembedding"])
        y = self.down(x, y, shape=s["logits"])
        y = self.box(LOGITS, x, y, w, self.BOX_H)
        y = self.down(x, y, shape=s["last logits"])
        y = self.box(SOFTMAX, x, y, w, self.BOX_H)
        y = self.down(x, y, shape=s["probabilities"])
        next_top = y
        y = self.box(NEXT_TOKEN, x, y, w, 0.62, note=s["next token"])
        next_y = (next_top + y) / 2
        self.generation_loop(next_y, ids_y)
        self.draw_block(block_top + 0.45, block_top, block_bottom)
        self.key(x + w / 2 + 0.3, self.HEIGHT - 0.6)
        self.ax.text(
            self.WIDTH / 2,
            0.2,
            " · ".join(both(en, zh) for en, zh in SYMBOL_NAMES),
            ha="center",
            va="center",
            fontsize=self.SMALL,
            color="#333",
        )
        return self.figure

    def generation_loop(self, next_y: float, ids_y: float) -> None:
        """On the left: the new token is appended to the ids and the model runs again."""
        loop_x, left = 0.4, self.MAIN_X - self.MAIN_W / 2
        colour = ASSIGNMENTS["07"][2] if self.active(GENERATION) else "#BBBBBB"
        self.arrow([(left, next_y), (loop_x, next_y), (loop_x, ids_y), (left - 0.45, ids_y)], colour)
        self.ax.text(
            loop_x - 0.1,
            (next_y + ids_y) / 2,
            label(GENERATION).replace("\n", "  /  "),
            rotation=90,
            ha="right",
            va="center",
            fontsize=self.SMALL,
            color="black" if self.active(GENERATION) else "#888888",
        )
        self.ax.text(loop_x + 0.1, ids_y - 0.08, "B × (T+1)", fontsize=self.SMALL, va="top", color="#333")
        self.tag(GENERATION.built_in, loop_x + 0.15, next_y + 0.5, self.active(GENERATION))

    def residual_sublayer(self, layer: Box, note: str, y: float, lead: float, bypass_x: float) -> float:
        """LN → ``layer`` → +, from ``y`` down, with the residual line around both; returns the height of the +."""
        x, w = self.ZOOM_X, self.ZOOM_W
        entry = y - 0.1
        y = self.down(x, y, lead, shape=self.shapes["vectors"])
        y = self.box(LAYER_NORM, x, y, w, self.BOX_H)
        y = self.down(x, y, 0.28)
        y = self.box(layer, x, y, w, 0.64, note=note)
        plus = y - 0.3
        self.down(x, y, 0.17)
        self.plus(x, plus)
        self.arrow([(x, entry), (bypass_x, entry), (bypass_x, plus), (x - 0.13, plus)])
        self.residual_label(x + 0.22, plus)
        return plus

    def draw_block(self, top: float, main_top: float, main_bottom: float) -> None:
        """Inside one transformer block, to the right of the main column, with lines to the block it zooms into."""
        x, w, s = self.ZOOM_X, self.ZOOM_W, self.shapes
        frame_left, frame_right = x - w / 2 - 0.5, self.WIDTH - 0.12
        bypass_x = frame_left + 0.16
        self.ax.text(
            frame_left + 0.12,
            top - 0.17,
            both("inside one block", "一个块的内部") + f", {s['blocks']}",
            fontsize=self.SMALL,
            va="center",
        )
        plus_1 = self.residual_sublayer(ATTENTION, s["heads"], top - 0.32, 0.3, bypass_x)
        plus_2 = self.residual_sublayer(MLP, s["mlp"], plus_1 - 0.13, 0.36, bypass_x)
        y = self.down(x, plus_2 - 0.13, 0.3, shape=s["vectors"])
        bottom = y - 0.1
        colour = ASSIGNMENTS["07"][2] if self.active(BLOCK) else "#BBBBBB"
        self.ax.add_patch(
            FancyBboxPatch(
                (frame_left, bottom),
                frame_right - frame_left,
                top - bottom,
                boxstyle="round,pad=0,rounding_size=0.1",
                facecolor="none",
                edgecolor=colour,
                linewidth=1.0,
                linestyle="--",
            )
        )
        main_right = self.MAIN_X + self.MAIN_W / 2
        for main_y, frame_y in ((main_top, top), (main_bottom, bottom)):
            self.ax.plot([main_right, frame_left], [main_y, frame_y], color=colour, linewidth=0.8, linestyle=":")

    def residual_label(self, left: float, y: float) -> None:
        """Names the residual connection to the right of the addition it ends in."""
        colour = "#444444" if self.active(RESIDUAL) else "#888888"
        self.ax.text(left, y, label(RESIDUAL), va="center", fontsize=self.SMALL, color=colour, linespacing=1.1)

    def key(self, left: float, top: float) -> None:
        """Which assignment each tag stands for, one per line, at the top right."""
        self.ax.text(left, top, both("built in assignment", "由哪个作业实现"), fontsize=self.SMALL, va="top")
        for i, (number, (english, chinese, _)) in enumerate(ASSIGNMENTS.items()):
            y = top - 0.36 - i * 0.23
            active = self.highlight in (None, number)
            self.tag((number,), left + 0.32, y, active)
            self.ax.text(
                left + 0.42,
                y,
                both(english, chinese),
                fontsize=self.SMALL,
                va="center",
                color="black" if active else "#888888",
            )
