"""Stations, sessions, bulletins, playlists, scheduling, playout and as-run logs. Owns the data model."""
