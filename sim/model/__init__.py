"""The Mesa model core: economics, parameters, packages, agents, moves, decision, events,
outcomes, recorder and the model itself.  Imports nothing from the other ``sim`` subpackages."""
