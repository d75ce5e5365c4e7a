"""Studies over many runs: compare scenarios side by side, sweep parameters over seeds."""

from .compare import Comparison, compare, t_interval
from .sweep import expand_grid, flatten, sweep

__all__ = ["Comparison", "compare", "expand_grid", "flatten", "sweep", "t_interval"]
