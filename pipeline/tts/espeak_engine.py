"""espeak-ng through ctypes: the offline voice that always works, last in the chain.

The library comes from the ``espeakng-loader`` wheel, so nothing needs installing on the office PC.
libespeak-ng keeps its voice, parameters and output callback in global state, so every call goes
through one process-wide lock; the lock also covers loading and initialising the library.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from dataclasses import dataclass, field

import numpy as np

from pipeline.tts.base import Availability, EngineError, VoiceInfo, check_rate, pcm16_to_float
from pipeline.types import PipelineError, Speech

log = logging.getLogger(__name__)

#: Serialises every call into libespeak-ng in this process.
_LOCK = threading.Lock()

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # report errors instead of calling exit()
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1
_EE_OK = 0
_BUFFER_MS = 1000  # fewer, larger callbacks: less Python per second of audio
#: espeak-ng's own default speed, in words per minute; ``rate`` multiplies it.
NORMAL_WPM = 175
_MIN_WPM, _MAX_WPM = 80, 900

_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _Voice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),  # (priority byte, language string) pairs, ends with a 0 byte
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


def _languages(ptr: int | None) -> list[str]:
    out: list[str] = []
    if not ptr:
        return out
    pos = ptr
    while ctypes.string_at(pos, 1) != b"\0":  # priority byte
        lang = ctypes.string_at(pos + 1)
        out.append(lang.decode("ascii", "replace"))
        pos += 2 + len(lang)
    return out


class _Library:
    """libespeak-ng loaded and initialised once per process. Use only while holding ``_LOCK``."""

    def __init__(self, lib_path: str, data_path: str) -> None:
        lib = ctypes.CDLL(lib_path)
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, data_path.encode(), _INITIALIZE_DONT_EXIT
        )
        if rate <= 0:
            raise EngineError(f"espeak-ng không khởi động được (dữ liệu: {data_path}, mã {rate}).")
        self.lib = lib
        self.sample_rate = int(rate)
        self._chunks: list[bytes] = []
        self._callback = _SynthCallback(self._collect)  # kept referenced for the library's lifetime
        lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav: ctypes._Pointer[ctypes.c_short], count: int, _events: int | None) -> int:
        if count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        return 0

    def list_voices(self) -> list[tuple[str, list[str], str]]:
        """(name, languages, identifier) of every installed voice."""
        out = []
        arr = self.lib.espeak_ListVoices(None)
        i = 0
        while arr[i]:
            v = arr[i].contents
            name = (v.name or b"").decode("utf-8", "replace")
            ident = (v.identifier or b"").decode("utf-8", "replace")
            out.append((name, _languages(v.languages), ident))
            i += 1
        return out

    def synth(self, text: str, voice: str, wpm: int) -> bytes:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
            raise EngineError(f"espeak-ng không có giọng {voice!r}.")
        self.lib.espeak_SetParameter(_PARAM_RATE, wpm, 0)
        data = text.encode("utf-8") + b"\0"
        self._chunks = []
        try:
            status = self.lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            if status != _EE_OK:
                raise EngineError(f"espeak-ng lỗi khi đọc (mã {status}).")
            return b"".join(self._chunks)
        finally:
            self._chunks = []


_LIBRARIES: dict[tuple[str, str], _Library] = {}


def _library(lib_path: str, data_path: str) -> _Library:
    """The process's instance for these paths; caller holds ``_LOCK``."""
    key = (lib_path, data_path)
    if key not in _LIBRARIES:
        try:
            _LIBRARIES[key] = _Library(lib_path, data_path)
        except OSError as exc:
            raise EngineError(f"Không nạp được thư viện espeak-ng: {exc}") from exc
    return _LIBRARIES[key]


def _default_paths() -> tuple[str, str]:
    try:
        import espeakng_loader
    except ImportError as exc:
        raise EngineError("Thiếu gói espeakng-loader.") from exc
    try:
        return espeakng_loader.get_library_path(), espeakng_loader.get_data_path()
    except RuntimeError as exc:
        raise EngineError(f"Thiếu dữ liệu espeak-ng: {exc}") from exc


@dataclass
class EspeakEngine:
    """Offline formant voice. ``voice`` is an espeak-ng voice name: ``vi``, ``vi-vn-x-central``, ``vi-vn-x-south``."""

    default_voice: str = "vi"
    lib_path: str = ""
    data_path: str = ""
    name: str = "espeak"
    _known: frozenset[str] | None = field(default=None, init=False, repr=False, compare=False)

    def _lib(self) -> _Library:
        """Caller holds ``_LOCK``."""
        if not (self.lib_path and self.data_path):
            self.lib_path, self.data_path = _default_paths()
        return _library(self.lib_path, self.data_path)

    def voices(self) -> list[VoiceInfo]:
        """The Vietnamese voices installed in the espeak-ng data folder."""
        with _LOCK:
            found = self._lib().list_voices()
        out = []
        for name, langs, ident in found:
            if langs and langs[0].split("-")[0] == "vi":
                out.append(VoiceInfo(id=langs[0], name=name, language="vi", detail=f"espeak-ng {ident}"))
        return out

    def check(self) -> Availability:
        try:
            ids = {v.id.lower() for v in self.voices()}
        except EngineError as exc:
            return Availability(False, str(exc))
        if self.default_voice.lower() not in ids:
            return Availability(False, f"espeak-ng không có giọng {self.default_voice!r}.")
        return Availability(True, "espeak-ng ngoại tuyến")

    def sample_rate(self, voice: str = "") -> int:
        with _LOCK:
            return self._lib().sample_rate

    def _check_requested_voice(self, voice: str) -> None:
        """A voice the caller asked for (not the configured default) that is not installed is bad
        input, not a broken engine: a PipelineError, so the chain does not put espeak on cooldown
        for everyone because of one typo. A missing default voice stays an EngineError."""
        if voice == self.default_voice:
            return
        if self._known is None:
            self._known = frozenset(v.id.lower() for v in self.voices())
        if voice.lower() not in self._known:
            raise PipelineError(
                f"Không có giọng đọc {voice!r}; hãy chọn một trong: {', '.join(sorted(self._known))}."
            )

    def synthesize(self, text: str, *, voice: str = "", rate: float = 1.0) -> Speech:
        voice = voice or self.default_voice
        wpm = min(max(round(NORMAL_WPM * check_rate(rate)), _MIN_WPM), _MAX_WPM)
        self._check_requested_voice(voice)
        with _LOCK:
            lib = self._lib()
            pcm = lib.synth(text, voice, wpm) if text.strip() else b""
            sample_rate = lib.sample_rate
        samples = pcm16_to_float(pcm) if pcm else np.zeros(0, dtype=np.float32)
        return Speech(samples=samples, sample_rate=sample_rate, engine=self.name, voice=voice)
