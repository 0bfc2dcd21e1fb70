"""Layer 2, the simulation.

keyed random streams, agents, alert messages, the Mesa model, decisions, outcomes
(attribution and tables of one run) and one run end to end. Imports only `sim.spec` and `sim.vocabulary` below it.
"""
