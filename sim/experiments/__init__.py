"""Layer 3, many runs.

executors (local processes, Dask), paired comparisons, sweeps and their
designs, sensitivity indices, statistics and benchmarks. Never draws a figure.
"""
