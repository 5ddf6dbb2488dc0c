"""Loa: text → speech → playlists → loudspeakers, for commune broadcast stations."""

__version__ = "0.1.0"
