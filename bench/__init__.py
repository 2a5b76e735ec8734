"""kerminal's benchmarks: `python -m bench [--quick]` runs them all (bench/run.py)."""
