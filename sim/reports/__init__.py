"""Reports: plots, explanations, replays of scenario events and result folders."""
