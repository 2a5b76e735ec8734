"""Sweeps: search settings with Optuna, every trial an ordinary run (issue 22)."""
