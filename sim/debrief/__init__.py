"""Layer 4, what participants read.

the figures and HTML reports of a run, a comparison and a
sweep, drawn from the folders' tables (never from a live model).
"""
