"""tradewar-sim: an agent-based simulator of the 2025 US-China tariff negotiation."""

__version__ = "0.1.0"
