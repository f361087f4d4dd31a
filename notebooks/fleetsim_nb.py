"""What the fleetsim notebooks share: where fleetsim's outputs and the figures are, reading Arrow files, and
figures that come out byte-identical from run to run.

Environment variables (all optional; notebooks/run-all.sh sets them):

- FLEETSIM_RESULTS: the folder run-all.sh wrote fleetsim's outputs to (default: <repo>/results/notebooks).
- FLEETSIM_FIGURES: where the PNG files go (default: <repo>/docs/figures).
- FLEETSIM_TRACE: the instance-event trace the workload tables came from; unset means the synthetic
  Chameleon-like trace. Only used to say on the figures which trace they show.
"""

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display; the same renderer everywhere

import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.ipc as ipc  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(os.environ.get("FLEETSIM_RESULTS") or REPO / "results" / "notebooks")
FIGURES = Path(os.environ.get("FLEETSIM_FIGURES") or REPO / "docs" / "figures")
TRACE = os.environ.get("FLEETSIM_TRACE") or None

SYNTHETIC_TRACE = "synthetic Chameleon-like trace"
SYNTHETIC_DETAILS = "synthetic Chameleon-like trace: fleetsim synth chameleon --seed 1 --scale 1"

# One look for every figure: fixed size and resolution, the font matplotlib ships (never a system font, which
# differs between machines), light grids.
DPI = 100
plt.rcParams.update(
    {
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "legend.fontsize": 8,
        "legend.framealpha": 0.9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)

# Colours for "published" against "fleetsim measured", the same in every figure.
PUBLISHED = "#7f7f7f"
MEASURED = "#1f77b4"


def trace_label():
    """Which instance trace the workload figures show, short enough for a title."""
    return f"trace {Path(TRACE).name}" if TRACE else SYNTHETIC_TRACE


def trace_details():
    """Which instance trace the workload figures show, in full (for a figure's note)."""
    return f"trace: {TRACE}" if TRACE else SYNTHETIC_DETAILS


def output(path):
    """A file fleetsim wrote under FLEETSIM_RESULTS; a clear error naming the command that makes it if missing."""
    full = RESULTS / path
    if not full.exists():
        raise FileNotFoundError(
            f"{full} is missing: run `bash notebooks/run-all.sh` first (it runs the fleetsim commands that "
            f"write it), or point FLEETSIM_RESULTS at the folder that holds it"
        )
    return full


def read_arrow(path, columns=None):
    """An Arrow IPC file (runs.arrow, timeseries.arrow, inspect tables) as a DataFrame, memory-mapped, with only
    `columns` read when given (the time series of a long replay are hundreds of MB)."""
    with pa.memory_map(str(output(path))) as source:
        table = ipc.open_file(source).read_all()
    if columns is not None:
        table = table.select(columns)
    return table.to_pandas()


def figure(width, height):
    """A new figure of fixed size in inches (at DPI dots per inch)."""
    return plt.figure(figsize=(width, height), dpi=DPI)


def note(fig, text):
    """A small grey line at the bottom left of the figure: where its data came from."""
    fig.text(0.01, 0.005, text, fontsize=7, color="#555555", ha="left", va="bottom")


def save(fig, name):
    """Writes the figure as FIGURES/<name>.png, byte-identical for the same data and library versions (no
    software or date metadata), closes it and returns the path."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    path = FIGURES / f"{name}.png"
    fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return path


def show(path):
    """Displays a saved figure in the notebook (the Agg backend shows nothing by itself)."""
    from IPython.display import Image, display

    display(Image(filename=str(path)))


def year_axis(ax):
    """Dates on the x axis as years (a tick each January), readable on a narrow panel."""
    import matplotlib.dates as mdates

    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.xaxis.set_minor_locator(mdates.MonthLocator(bymonth=[4, 7, 10]))


def log_axis(ax, axis="y"):
    """A logarithmic axis labelled 1, 2, 3, 5, 10, 20, 30, 50, ... in plain numbers (not 2×10¹)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    target.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
    target.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    target.set_minor_formatter(NullFormatter())


def pareto_front(frame, x, y):
    """Rows of `frame` no other row beats on both `x` and `y` (smaller is better), sorted by `x`."""
    ordered = frame.sort_values([x, y], kind="mergesort")
    best = float("inf")
    keep = []
    for index, value in zip(ordered.index, ordered[y]):
        if value < best:
            keep.append(index)
            best = value
    return ordered.loc[keep]


__all__ = [
    "FIGURES",
    "MEASURED",
    "PUBLISHED",
    "RESULTS",
    "TRACE",
    "figure",
    "log_axis",
    "note",
    "output",
    "pareto_front",
    "pd",
    "plt",
    "read_arrow",
    "save",
    "show",
    "trace_details",
    "trace_label",
    "year_axis",
]
