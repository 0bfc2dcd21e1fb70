"""Layer 4, what participants read.

the figures and HTML reports of a run, a comparison and a
sweep, drawn from the folders' tables (never from a live model), and the
plotting toolkit they share (style, saving, figure registries: `sim.debrief.plotting`).
"""
