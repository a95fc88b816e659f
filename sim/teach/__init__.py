"""The teaching demo: the Solara page, its helpers, play mode and offline assets."""
