"""Images drawn with matplotlib (Agg backend, no display): radio levels and traffic graphs.

matplotlib is imported inside each function: it costs half a second and only these two
commands need it.
"""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Sequence

from ispcube.errors import Invalid

FORMATS = {".png": "png", ".svg": "svg"}
BAND_COLOURS = {"red": "#e53935", "amber": "#ffb300", "green": "#43a047"}


def image_format(path: str) -> str:
    """Refuse a wrong extension before any device or database is asked for data."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise Invalid(f"--out '{path}' must end in .png or .svg")
    if not Path(path).expanduser().absolute().parent.is_dir():
        raise Invalid(f"cannot write '{path}': its folder does not exist")
    return FORMATS[suffix]


def _pyplot():
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def _save(figure, path: str) -> None:
    try:
        figure.savefig(path, format=image_format(path), dpi=110)
    except OSError as exc:
        raise Invalid(f"cannot write '{path}': {exc.strerror}") from None


def draw_levels(levels: Sequence, title: str, subtitle: str, path: str) -> None:
    """One row per level: its scale painted red/amber/green, a marker at the value."""
    plt = _pyplot()
    rows = max(len(levels), 1)
    figure, axes = plt.subplots(rows, 1, figsize=(8, 1.6 + 0.95 * rows), squeeze=False)
    figure.suptitle(title, fontsize=13, fontweight="bold", x=0.02, ha="left")
    figure.text(0.02, 0.955 - 0.02 * (4 / rows), subtitle, fontsize=9, color="#555555", ha="left", va="top")
    for axis, level in zip(axes[:, 0], levels, strict=False):
        _level_row(axis, level)
    if not levels:
        axes[0, 0].axis("off")
        axes[0, 0].text(0.5, 0.5, "the device reported no levels", ha="center", va="center")
    figure.tight_layout(rect=(0, 0, 1, 0.93 - 0.1 / rows))
    _save(figure, path)
    plt.close(figure)


def _level_row(axis, level) -> None:
    scale = level.scale
    low, high = scale.low, scale.high
    edges = sorted({low, scale.amber_from, scale.green_from, high})
    for left, right in zip(edges, edges[1:], strict=False):
        middle = (left + right) / 2
        axis.axvspan(left, right, color=BAND_COLOURS[scale.band(middle)], alpha=0.35, linewidth=0)
    shown = min(max(level.value, low), high)   # a value off the scale sits at its edge
    axis.axvline(shown, color="#212121", linewidth=3)
    axis.plot([shown], [0.5], marker="v", markersize=12, color="#212121", transform=axis.get_xaxis_transform())
    axis.set_xlim(low, high)
    axis.set_yticks([])
    axis.set_ylabel(scale.label, rotation=0, ha="right", va="center", fontsize=10)
    axis.text(1.01, 0.5, f"{level.shown()}\n{level.band}", transform=axis.transAxes, va="center",
              fontsize=10, fontweight="bold", color=BAND_COLOURS[level.band])
    axis.tick_params(axis="x", labelsize=8)
    for side in ("top", "right", "left"):
        axis.spines[side].set_visible(False)


def draw_traffic(bins: Sequence[datetime], width: timedelta, download_bps: Sequence[float],
                 upload_bps: Sequence[float], title: str, subtitle: str, bin_label: str, path: str) -> None:
    """Download and upload as average rates per bin (starting at BINS, WIDTH wide), in bit/s
    scaled to k/M/G."""
    plt = _pyplot()
    import matplotlib.dates as mdates
    peak = max(list(download_bps) + list(upload_bps) + [1])
    divisor, unit = next((d, u) for d, u in ((1e9, "Gbit/s"), (1e6, "Mbit/s"), (1e3, "kbit/s"), (1, "bit/s"))
                         if peak >= d)
    figure, axis = plt.subplots(figsize=(10, 4.8))
    figure.suptitle(title, fontsize=13, fontweight="bold", x=0.01, ha="left")
    axis.set_title(subtitle, fontsize=9, color="#555555", loc="left")
    # A step drawn "post" needs the end of the last bin, or the last bin has no width.
    edges = list(bins) + [bins[-1] + width]
    down = [v / divisor for v in download_bps]
    up = [v / divisor for v in upload_bps]
    for values, colour, label in ((down, "#1e88e5", "download"), (up, "#43a047", "upload")):
        values = values + values[-1:]
        axis.step(edges, values, where="post", color=colour, linewidth=1.4, label=label)
        axis.fill_between(edges, values, step="post", color=colour, alpha=0.25)
    axis.set_xlim(edges[0], edges[-1])
    locator = mdates.AutoDateLocator()
    axis.xaxis.set_major_locator(locator)
    axis.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    axis.set_ylabel(f"{unit} ({bin_label} average)")
    axis.set_ylim(bottom=0)
    axis.grid(True, alpha=0.3)
    axis.legend(loc="upper left")
    figure.tight_layout()
    _save(figure, path)
    plt.close(figure)
