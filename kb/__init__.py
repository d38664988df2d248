"""kb: an offline research knowledge base with cited answers and statistics."""

__version__ = "0.1.0"
