"""The package version (one place; ``sim.__version__`` re-exports it)."""

__version__ = "0.1.0"
