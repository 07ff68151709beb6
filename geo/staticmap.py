"""Static maps for printed reports: matplotlib only, no tiles, no network.

A printed map has no OpenStreetMap tiles, so it draws its own base where things are:
LSOA outlines in grey and street names (from the incidents' own location text, placed
at their snap points) in grey italics, the busiest streets first and none overprinting.
Every map has a scale bar and a north arrow instead of easting/northing axes. Maps are
drawn in metres on the British National Grid (EPSG:27700).

Core module: the report (:mod:`geo.impact.report`) and the briefing
(:mod:`geo.planning.briefing`) both draw with it; the street labels come from
:func:`geo.maps.layers.street_labels`, passed in as plain tables.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from geo.projection import transform_xy
from geo.schema import BNG, WGS84

#: Lengths a scale bar may take: 1, 2 or 5 times a power of ten, metres.
NICE_STEPS = (1.0, 2.0, 5.0)


OUTLINE_COLOUR = "#b0b0b0"


STREET_COLOUR = "#555555"


@dataclass(frozen=True)
class StaticBase:
    """What a printed map draws under its data.

    ``streets``: ``name``, ``lat``, ``lon`` (EPSG:4326), most important first (as
    :func:`geo.maps.layers.street_labels` returns them); ``outlines``: LSOA polygons,
    any CRS. Either may be None.
    """

    streets: pd.DataFrame | None = None
    outlines: gpd.GeoDataFrame | None = None


def nice_length(span_m: float) -> float:
    """The longest 1/2/5 x 10^k metres that is at most a quarter of ``span_m``."""
    target = max(float(span_m) / 4, 1.0)
    power = 10.0 ** np.floor(np.log10(target))
    return max(step * power for step in NICE_STEPS if step * power <= target)


def draw_base(
    axes: Axes,
    extent: Sequence[float],
    base: StaticBase | None,
    *,
    font_size: float = 6.5,
    max_labels: int = 60,
) -> list:
    """Draw LSOA outlines and street names inside ``extent`` (xmin, ymin, xmax, ymax, m
    EPSG:27700); returns the street label artists (for :func:`declutter`)."""
    if base is None:
        return []
    xmin, ymin, xmax, ymax = extent
    if base.outlines is not None and len(base.outlines):
        outlines = base.outlines.to_crs(BNG).cx[xmin:xmax, ymin:ymax]
        if len(outlines):
            outlines.boundary.plot(ax=axes, color=OUTLINE_COLOUR, linewidth=0.6, zorder=1)
    labels = []
    if base.streets is not None and len(base.streets):
        x, y = transform_xy(base.streets["lon"], base.streets["lat"], WGS84, BNG)
        inside = (x > xmin) & (x < xmax) & (y > ymin) & (y < ymax)
        names = base.streets["name"].astype(str).to_numpy()[inside]
        for name, px, py in list(zip(names, x[inside], y[inside], strict=True))[:max_labels]:
            labels.append(
                axes.text(
                    px,
                    py,
                    name,
                    fontsize=font_size,
                    style="italic",
                    color=STREET_COLOUR,
                    ha="center",
                    va="center",
                    zorder=2,
                    clip_on=True,
                )
            )
    return labels


def declutter(figure: Figure, labels: Sequence, *, keep: Sequence = ()) -> int:
    """Hide labels that would overprint one drawn before them or any visible one of
    ``keep`` (e.g. area names), or that stick out of their axes; earlier labels win.
    Returns how many labels stay visible."""
    renderer = FigureCanvasAgg(figure).get_renderer()
    placed = [
        text.get_window_extent(renderer).expanded(1.05, 1.15) for text in keep if text.get_visible()
    ]
    shown = 0
    for text in labels:
        box = text.get_window_extent(renderer).expanded(1.05, 1.15)
        frame = text.axes.get_window_extent(renderer)
        outside = box.x0 < frame.x0 or box.x1 > frame.x1 or box.y0 < frame.y0 or box.y1 > frame.y1
        if outside or any(box.overlaps(other) for other in placed):
            text.set_visible(False)
            continue
        placed.append(box)
        shown += 1
    return shown


def add_scale_bar(axes: Axes, extent: Sequence[float], *, font_size: float = 7) -> float:
    """A scale bar with its length in m or km in a white box, bottom left, readable over
    whatever lies below it; returns its length, metres."""
    xmin, ymin, xmax, ymax = extent
    length = nice_length(xmax - xmin)
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    bar = AnchoredSizeBar(
        axes.transData,
        length,
        label,
        "lower left",
        pad=0.3,
        borderpad=0.5,
        frameon=True,
        size_vertical=(ymax - ymin) * 0.006,
        fontproperties={"size": font_size},
    )
    bar.patch.set_alpha(0.85)
    bar.set_zorder(6)
    axes.add_artist(bar)
    return length


def add_north_arrow(axes: Axes, *, font_size: float = 8) -> None:
    """An arrow marked N in the top right corner (grid north, EPSG:27700)."""
    axes.annotate(
        "N",
        xy=(0.94, 0.97),
        xytext=(0.94, 0.82),
        xycoords="axes fraction",
        ha="center",
        fontsize=font_size,
        arrowprops={"arrowstyle": "->", "linewidth": 1.2},
        zorder=5,
    )


def square_extent(geometries: gpd.GeoSeries, margin_m: float) -> tuple[float, ...]:
    """(xmin, ymin, xmax, ymax) in metres: the bounds of ``geometries`` (EPSG:27700)
    plus ``margin_m``, widened to a square."""
    xmin, ymin, xmax, ymax = geometries.total_bounds
    half = max(xmax - xmin, ymax - ymin) / 2 + margin_m
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    return cx - half, cy - half, cx + half, cy + half


def frame_map(axes: Axes, extent: Sequence[float]) -> None:
    """Fix the view to ``extent`` in a thin frame, without ticks or axis labels: a map,
    not a chart of eastings and northings."""
    xmin, ymin, xmax, ymax = extent
    axes.set_xlim(xmin, xmax)
    axes.set_ylim(ymin, ymax)
    axes.set_aspect("equal")
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_xlabel("")
    axes.set_ylabel("")
    for spine in axes.spines.values():
        spine.set_linewidth(0.6)
        spine.set_color("#666666")


def png(figure: Figure, dpi: int = 150) -> bytes:
    """PNG bytes of ``figure`` (bare Figure, no pyplot state: thread-safe)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()
