"""The relay decoder process: its messages must never be able to stall the audio."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from broadcast.agent.sources import RelayError, RelayStream

#: Like an ffmpeg that logs a decode error per packet: far more than a pipe buffer holds (64 KiB on
#: Linux, 4 KiB on Windows) before the first audio comes out.
CHATTY = (
    "import sys\n"
    "for i in range(20000): sys.stderr.write('[mp3 @ 0x1] error while decoding frame %d\\n' % i)\n"
    "sys.stderr.flush()\n"
    "sys.stdout.buffer.write(b'\\x01\\x00' * 4410)\n"
)


class FakeRelay(RelayStream):
    def __init__(self, script: str) -> None:
        super().__init__("http://radio.example/live", 0.1, connect_timeout_s=3.0)
        self.script = script

    def _command(self) -> list[str]:
        return [sys.executable, "-c", self.script]


def test_a_decoder_that_logs_a_lot_still_delivers_its_audio() -> None:
    relay = FakeRelay(CHATTY).open()
    try:
        audio = np.concatenate(list(relay))
    finally:
        relay.close()
    assert audio.shape == (4410, 1) and (audio == 1).all()
    assert relay.broken == ""


def test_a_dead_stream_reports_the_decoders_last_words() -> None:
    relay = FakeRelay("import sys; sys.stderr.write('Connection refused'); sys.exit(1)")
    with pytest.raises(RelayError, match="Connection refused"):
        relay.open()
