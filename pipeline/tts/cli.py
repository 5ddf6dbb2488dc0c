"""Commands of this package for the ``loa`` CLI (see loa/cli.py)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from datetime import datetime
from typing import Any

import click

from loa.config import ConfigError, Settings
from loa.params import engine_params
from pipeline.tts.base import EngineError
from pipeline.tts.chain import EngineChain, EngineStatus, build_chain

PROBE_TEXT = "Xin chào."


def _probe(chain: EngineChain, st: EngineStatus) -> dict[str, Any]:
    """Speak a word with the engine and record the outcome in the chain's cooldown state."""
    if not st.availability.ok:
        return {"ok": False, "error": "không thử: " + st.availability.reason}
    start = time.perf_counter()
    try:
        speech = st.engine.synthesize(PROBE_TEXT, voice=st.voice)
        if not len(speech.samples) or not speech.samples.any():
            raise EngineError("không ra âm thanh")
    except EngineError as exc:
        chain.mark_failed(st.engine, exc)
        return {"ok": False, "error": str(exc), "elapsed_s": round(time.perf_counter() - start, 3)}
    chain.mark_ok(st.engine)
    return {
        "ok": True,
        "duration_s": round(speech.duration_s, 3),
        "elapsed_s": round(time.perf_counter() - start, 3),
    }


def _report(st: EngineStatus, probe: dict[str, Any] | None, offered: bool) -> dict[str, Any]:
    """``offered``: the chain would try this engine now (see EngineChain.candidates)."""
    cooling = st.cooling_until is not None and probe is None
    usable = probe["ok"] if probe is not None else offered
    try:
        voices = [asdict(v) for v in st.engine.voices()]
    except EngineError:
        voices = []
    return {
        "name": st.engine.name,
        "usable": usable,
        "reason": st.availability.reason,
        "voice": st.voice,
        "voices": voices,
        "cooling_until": (
            datetime.fromtimestamp(st.cooling_until).astimezone().isoformat(timespec="seconds")
            if cooling and st.cooling_until is not None
            else None
        ),
        "last_error": st.last_error if cooling else "",
        "probe": probe,
    }


def _echo_text(report: dict[str, Any]) -> None:
    state = "dùng được" if report["usable"] else "KHÔNG dùng được"
    click.echo(f"{report['name']}: {state} — {report['reason']}")
    if report["cooling_until"]:
        click.echo(f"  tạm bỏ qua đến {report['cooling_until']} sau lỗi: {report['last_error']}")
    probe = report["probe"]
    if probe is not None:
        if probe["ok"]:
            click.echo(
                f"  thử đọc: được ({probe['duration_s']:.2f} s âm thanh trong {probe['elapsed_s']:.2f} s)"
            )
        else:
            click.echo(f"  thử đọc: lỗi — {probe['error']}")
    width = max((len(v["id"]) for v in report["voices"]), default=0)
    for v in report["voices"]:
        mark = "*" if v["id"] == report["voice"] else " "
        click.echo(f"  {mark} {v['id']:<{width}}  {v['name']} [{v['language']}]")


@click.command("voices")
@click.option(
    "--probe", is_flag=True, help="Actually speak one word with each usable engine (gTTS goes online)."
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def voices_command(settings: Settings, probe: bool, as_json: bool) -> None:
    """List the speech engines in the order renders try them (settings.engine_order), their
    voices (* marks the one in use), and whether each is usable on this machine now and why not.

    An engine that failed recently is skipped for settings.engine_cooldown_s; --probe tries every
    engine for real and clears or sets that cooldown. Exits 1 when no engine is usable.
    """
    try:
        chain = build_chain(engine_params(settings))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    offered = {e.name for e in chain.candidates()}
    reports = [
        _report(st, _probe(chain, st) if probe else None, st.engine.name in offered) for st in chain.status()
    ]
    if as_json:
        click.echo(json.dumps({"engines": reports}, ensure_ascii=False, indent=2))
    else:
        for report in reports:
            _echo_text(report)
    if not any(r["usable"] for r in reports):
        raise click.ClickException("Không có bộ đọc nào dùng được trên máy này.")


commands: list[click.Command] = [voices_command]
