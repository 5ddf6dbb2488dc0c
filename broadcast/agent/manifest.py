"""Reading a station's daily manifest, for the agent: the model and its validation live in
``broadcast.manifest`` (shared with the server's writer; no database or web import in it).

The agent trusts nothing it downloads: a manifest that does not parse, or that belongs to another
station or day, is refused with a clear message and the cached copy stays in use.
"""

from __future__ import annotations

from broadcast.manifest import KINDS, PRIORITIES, Item, Manifest, ManifestError, Unplaced, parse_manifest

__all__ = ["KINDS", "PRIORITIES", "Item", "Manifest", "ManifestError", "Unplaced", "parse_manifest"]
