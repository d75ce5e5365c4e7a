"""Studies over many runs: compare scenarios side by side, sweep parameters over seeds."""

from .compare import Comparison, compare, t_interval
from .sweep import expand_grid, flatten, local_pool, parse_set, sweep

__all__ = ["Comparison", "compare", "expand_grid", "flatten", "local_pool", "parse_set", "sweep", "t_interval"]
