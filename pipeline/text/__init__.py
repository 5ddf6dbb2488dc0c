"""Vietnamese text normalization: administrative script → what an announcer says, cut into
utterances with the pause that follows each. See README.md in this folder."""

from pipeline.text.check import find_unspeakable
from pipeline.text.lexicon import Lexicon, LexiconEntry, load_lexicon, optional_lexicon, parse_lexicon
from pipeline.text.normalize import normalize
from pipeline.text.segment import prepare

__all__ = [
    "Lexicon",
    "LexiconEntry",
    "find_unspeakable",
    "load_lexicon",
    "normalize",
    "optional_lexicon",
    "parse_lexicon",
    "prepare",
]
