"""Audio for horn loudspeakers: decode, clean up, level to a loudness target, encode MP3, tag.

Public API (see each module): ``process_to_mp3``, ``decode_file``, ``measure``,
``measure_file_ebur128``, ``write_tags``, plus ``Loudness`` and ``read_tags``.
"""

from pipeline.audio.chain import process_to_mp3
from pipeline.audio.decode import decode_file
from pipeline.audio.meter import Loudness, measure, measure_file_ebur128
from pipeline.audio.tags import read_tags, write_tags

__all__ = ["Loudness", "decode_file", "measure", "measure_file_ebur128", "process_to_mp3", "read_tags",
           "write_tags"]
