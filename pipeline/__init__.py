"""Text → speech → processed audio → tagged MP3. Knows nothing of the database or of playlists."""

#: Bumped whenever a change to the pipeline changes its output for the same input;
#: part of every content hash, so old renders are not reused after such a change.
PIPELINE_VERSION = "1"
