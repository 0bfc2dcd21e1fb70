"""Layer 1, the inputs.

YAML reading with line numbers, field paths, distributions, and the
scenario and sweep file models with their checks. Imports only `sim.errors` and `sim.vocabulary`.
"""
