"""`kb serve`: local web pages over an index (search, reading view, statistics, draft check)."""

from kb.web.app import create_app, serve

__all__ = ["create_app", "serve"]
