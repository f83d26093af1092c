"""reconciler: keep a DeepCall contact directory as code."""

__version__ = "0.1.0"
