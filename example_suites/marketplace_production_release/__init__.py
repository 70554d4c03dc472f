"""Example suite: the marketplace production-release checklist as checks."""
