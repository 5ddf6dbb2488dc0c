"""Text to speech: the engines (Piper, espeak-ng, gTTS, and the cloud voices of FPT.AI, Viettel AI,
Zalo AI and VNPT SmartVoice in ``cloud/``) behind one small interface, and the ordered fallback
chain the render uses to pick one of them."""

from pipeline.tts.base import Availability, Engine, EngineError, VoiceInfo
from pipeline.tts.chain import EngineChain, EngineStatus, build_chain, make_engine
from pipeline.tts.espeak_engine import EspeakEngine
from pipeline.tts.gtts_engine import GttsEngine
from pipeline.tts.piper_engine import PiperEngine
from pipeline.tts.stream import synthesize_utterances

__all__ = [
    "Availability",
    "Engine",
    "EngineChain",
    "EngineError",
    "EngineStatus",
    "EspeakEngine",
    "GttsEngine",
    "PiperEngine",
    "VoiceInfo",
    "build_chain",
    "make_engine",
    "synthesize_utterances",
]
