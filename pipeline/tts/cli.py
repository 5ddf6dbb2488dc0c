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
from pipeline.tts.catalog import CATALOG
from pipeline.tts.chain import EngineChain, EngineStatus, build_chain
from pipeline.tts.install import InstallError, install, installed_voices, remove_voice
from pipeline.tts.piper_engine import read_config
from pipeline.tts.voice_list import VoiceChoice, list_voices

#: Quality tier of each engine's voices, shown by ``loa voices``.
TIERS = {
    "piper": "thần kinh / neural",
    "gtts": "đám mây / cloud",
    "fpt": "đám mây / cloud",
    "viettel": "đám mây / cloud",
    "zalo": "đám mây / cloud",
    "vnpt": "đám mây / cloud",
    "espeak": "dự phòng / fallback",
}

PROBE_TEXT = "Xin chào."


def usable_voices(settings: Settings) -> list[VoiceChoice]:
    """The voices a bulletin can be spoken with here now: installed Piper voices, configured cloud
    voices (key set, not cooling down after a failure), and espeak-ng's
    accents, the fallback ("dự phòng"). Ids are ``engine:voice``. For the panel's voice picker."""
    return [c for c in list_voices(engine_params(settings)) if c.usable]


def _cloud_report(settings: Settings) -> list[dict[str, Any]]:
    """Every configured cloud voice, usable or not and why (``loa voices``)."""
    return [asdict(c) for c in list_voices(engine_params(settings)) if c.tier == "cloud"]


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
        "tier": TIERS.get(st.engine.name, ""),
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
    click.echo(f"{report['name']}: {state} — {report['reason']} [{report['tier']}]")
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


def _installed(settings: Settings, in_use: str) -> list[dict[str, Any]]:
    """The voices in ``<data_dir>/voices``: a voice is usable when its config reads."""
    out = []
    for model in installed_voices(settings.voices_dir):
        try:
            sample_rate = int(read_config(model)["audio"]["sample_rate"])
            usable, reason = True, ""
        except EngineError as exc:
            sample_rate, usable, reason = 0, False, str(exc)
        name = model.name.removesuffix(".onnx")
        out.append(
            {"name": name, "path": str(model), "sample_rate": sample_rate, "usable": usable,
             "reason": reason, "in_use": name == in_use, "tier": TIERS["piper"]}
        )  # fmt: skip
    return out


@click.group("voices", invoke_without_command=True)
@click.option(
    "--probe",
    is_flag=True,
    help="Đọc thử một từ với mỗi bộ đọc dùng được (gTTS cần mạng). / Actually speak one word with each "
    "usable engine (gTTS goes online).",
)
@click.option("--json", "as_json", is_flag=True, help="Kết quả dạng JSON. / Machine-readable output.")
@click.pass_context
def voices_command(ctx: click.Context, probe: bool, as_json: bool) -> None:
    """Liệt kê bộ đọc theo thứ tự thử (engine_order), giọng (* là giọng đang dùng), hạng chất lượng
    (thần kinh / đám mây / dự phòng), dùng được hay không và vì sao; và các giọng đã cài trong
    <data_dir>/voices. Thoát mã 1 khi không bộ đọc nào dùng được.

    List the speech engines in the order renders try them (settings.engine_order), their voices
    (* marks the one in use), their quality tier, whether each is usable now and why not, and the
    voices installed in <data_dir>/voices. A failed engine is skipped for engine_cooldown_s;
    --probe tries every engine for real. Exits 1 when no engine is usable.
    """
    if ctx.invoked_subcommand is not None:
        return
    settings: Settings = ctx.obj
    try:
        chain = build_chain(engine_params(settings))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    offered = {e.name for e in chain.candidates()}
    statuses = chain.status()
    reports = [
        _report(st, _probe(chain, st) if probe else None, st.engine.name in offered) for st in statuses
    ]
    piper_voice = next((st.voice for st in statuses if st.engine.name == "piper"), "")
    installed = _installed(settings, piper_voice)
    cloud = _cloud_report(settings)
    if as_json:
        doc = {"engines": reports, "installed": installed, "cloud": cloud}
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        for report in reports:
            _echo_text(report)
        click.echo(f"Giọng đã cài trong {settings.voices_dir}: {len(installed) or 'chưa có'}")
        for v in installed:
            state = "dùng được" if v["usable"] else "KHÔNG dùng được — " + v["reason"]
            mark = "*" if v["in_use"] else " "
            click.echo(f"  {mark} {v['name']}  {v['sample_rate']} Hz  {state}")
        click.echo(f"Giọng đám mây đã cấu hình: {len(cloud) or 'chưa có'} [{TIERS['fpt']}]")
        for c in cloud:
            state = "dùng được" if c["usable"] else "KHÔNG dùng được — " + c["reason"]
            click.echo(f"    {c['id']}  {c['name']}  {state}")
    if not any(r["usable"] for r in reports):
        raise click.ClickException("Không có bộ đọc nào dùng được trên máy này.")


@voices_command.command("install")
@click.argument("source")
@click.option(
    "--yes", "-y", is_flag=True, help="Chấp nhận giấy phép, không hỏi. / Accept the licence without asking."
)
@click.pass_obj
def install_command(settings: Settings, source: str, yes: bool) -> None:
    """Cài giọng Piper: tên trong danh mục, địa chỉ http(s) của tệp .onnx (tệp .onnx.json bên
    cạnh), hoặc tệp/thư mục trên máy (USB). Tải tiếp được khi bị ngắt; kiểm tra kích thước, mã
    kiểm tra và tệp; dùng được ngay sau khi cài.

    / Install a Piper voice: a catalog name, an http(s) URL of its .onnx (.onnx.json beside it), or a
    local file or folder (USB stick). Downloads resume; size, checksum and files are checked; the
    voice is usable at once. Catalog: vi_VN-vais1000-medium, vi_VN-25hours_single-low,
    vi_VN-vivos-x_low.
    """
    entry = CATALOG.get(source)
    if entry is not None:
        click.echo(f"Giọng {entry.name}: {entry.onnx_size >> 20} MB, {entry.sample_rate} Hz")
        click.echo(f"Giấy phép bộ dữ liệu / dataset licence: {entry.licence}")
        if not entry.onnx_md5:
            click.echo("Chưa có mã kiểm tra (checksum) cho giọng này: chỉ kiểm tra kích thước tệp.")
        if not yes and not click.confirm("Chấp nhận giấy phép và cài? / Accept the licence and install?"):
            raise click.ClickException("Chưa chấp nhận giấy phép: không cài gì.")
    try:
        done = install(
            source,
            settings.voices_dir,
            base_url=settings.voices_base_url,
            timeout_s=settings.voices_timeout_s,
        )
    except InstallError as exc:
        raise click.ClickException(str(exc)) from exc
    for v in done:
        click.echo(f"Đã cài giọng {v.name} ({v.sample_rate} Hz) vào {v.model}.")
        click.echo(f'Dùng ngay: piper_voice = "{v.name}"')


@voices_command.command("remove")
@click.argument("name")
@click.pass_obj
def remove_command(settings: Settings, name: str) -> None:
    """Gỡ một giọng đã cài khỏi <data_dir>/voices. / Remove an installed voice."""
    try:
        remove_voice(name, settings.voices_dir)
    except InstallError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Đã gỡ giọng {name}.")


commands: list[click.Command] = [voices_command]
