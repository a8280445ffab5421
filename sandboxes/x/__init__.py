"""A local stand-in for the X API v2 (see README.md)."""
