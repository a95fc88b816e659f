"""Experiments over the model: ensembles, comparisons, sweeps, their analysis and summaries."""
