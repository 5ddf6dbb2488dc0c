"""Settings -> the plain parameters of pipeline stages, in this one place at the edge.

``pipeline/`` never imports ``loa.config``; the CLIs and the app factory (and broadcast's services,
which hold a ``Settings``) hand each stage what it needs through these functions.
"""

from __future__ import annotations

from loa.config import Settings
from pipeline.params import AudioParams, EngineParams, RenderParams

#: Where the speech engines' cooldowns are kept, under the data folder.
ENGINE_STATE_FILE = "tts-engine-state.json"


def audio_params(settings: Settings) -> AudioParams:
    return AudioParams(
        sample_rate=settings.sample_rate,
        highpass_hz=settings.highpass_hz,
        loudness_target_lufs=settings.loudness_target_lufs,
        true_peak_ceiling_dbtp=settings.true_peak_ceiling_dbtp,
        mp3_bitrate_kbps=settings.mp3_bitrate_kbps,
        jingle_gap_ms=settings.jingle_gap_ms,
    )


def engine_params(settings: Settings) -> EngineParams:
    return EngineParams(
        engine_order=tuple(settings.engine_order),
        piper_voice=settings.piper_voice,
        espeak_voice=settings.espeak_voice,
        gtts_timeout_s=settings.gtts_timeout_s,
        gtts_retries=settings.gtts_retries,
        cooldown_s=settings.engine_cooldown_s,
        state_path=settings.data_dir / ENGINE_STATE_FILE,
        voices_dir=settings.voices_dir,
        fpt_api_key=settings.fpt_api_key,
        fpt_endpoint=settings.fpt_endpoint,
        fpt_voice=settings.fpt_voice,
        fpt_timeout_s=settings.fpt_timeout_s,
        fpt_poll_timeout_s=settings.fpt_poll_timeout_s,
        viettel_token=settings.viettel_token,
        viettel_endpoint=settings.viettel_endpoint,
        viettel_voice=settings.viettel_voice,
        zalo_api_key=settings.zalo_api_key,
        zalo_endpoint=settings.zalo_endpoint,
        zalo_voice=settings.zalo_voice,
        vnpt_access_token=settings.vnpt_access_token,
        vnpt_token_id=settings.vnpt_token_id,
        vnpt_token_key=settings.vnpt_token_key,
        vnpt_endpoint=settings.vnpt_endpoint,
        vnpt_voice=settings.vnpt_voice,
        cloud_timeout_s=settings.cloud_timeout_s,
        cloud_retries=settings.cloud_retries,
        cloud_poll_timeout_s=settings.cloud_poll_timeout_s,
    )


def pauses(settings: Settings) -> dict[str, int]:
    """Milliseconds of silence after each kind of utterance boundary."""
    return {
        "comma": settings.pause_comma_ms,
        "sentence": settings.pause_sentence_ms,
        "paragraph": settings.pause_paragraph_ms,
        "heading": settings.pause_heading_ms,
    }


def render_params(settings: Settings) -> RenderParams:
    """Everything a render needs. Raises ConfigError when a jingle setting names no file."""
    return RenderParams(
        media_dir=settings.media_dir,
        audio=audio_params(settings),
        engines=engine_params(settings),
        pauses=pauses(settings),
        lexicon_path=settings.lexicon_path,
        max_text_chars=settings.max_text_chars,
        max_recording_s=settings.max_recording_s,
        intro_jingle=settings.jingle_path(settings.intro_jingle),
        outro_jingle=settings.jingle_path(settings.outro_jingle),
    )
