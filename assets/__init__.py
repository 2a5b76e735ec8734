"""Files that ship with kerminal: the sample dataset and presets (see README.md here)."""
