"""Layer 6, the workshop page: a session that steps the model (`session`) and the Bokeh app (`app`)."""
