"""Layer 5, the exercise around the model: playing an agency, the MSEL export, starter scenarios."""
