"""``loa voices install/remove``: downloads from a loopback server (resume, checksum, refusals,
interruptions), local files, and a render with the installed voice."""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from loa.config import Settings
from loa.params import engine_params
from pipeline.tts import build_chain
from pipeline.tts import install as inst
from pipeline.tts.catalog import CATALOG, CatalogVoice
from pipeline.tts.cli import voices_command


@dataclass
class VoiceServer:
    files: dict[str, bytes]
    base: str = ""
    #: Close the connection after this many body bytes (0: send everything).
    cut_after: int = 0
    ranges: list[str] = field(default_factory=list)


@pytest.fixture
def server(joe_model: Path) -> Iterator[VoiceServer]:
    files = {
        "/v/en_US-joe-medium.onnx": joe_model.read_bytes(),
        "/v/en_US-joe-medium.onnx.json": joe_model.with_name(joe_model.name + ".json").read_bytes(),
        "/v/bad.onnx": b"<html>not found</html>" * 100,
        "/v/bad.onnx.json": joe_model.with_name(joe_model.name + ".json").read_bytes(),
        "/v/lonely.onnx": joe_model.read_bytes(),
    }
    srv = VoiceServer(files)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = srv.files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            start, status = 0, 200
            m = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
            if m:
                srv.ranges.append(self.headers["Range"])
                start, status = int(m.group(1)), 206
                if start >= len(body):
                    self.send_error(416)
                    return
            self.send_response(status)
            self.send_header("Content-Length", str(len(body) - start))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            self.end_headers()
            chunk = body[start:]
            if srv.cut_after:
                chunk = chunk[: srv.cut_after]
            self.wfile.write(chunk)
            self.close_connection = True

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.base = f"http://127.0.0.1:{httpd.server_address[1]}/v"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield srv
    httpd.shutdown()
    httpd.server_close()


def joe_entry(srv: VoiceServer, **kw: object) -> CatalogVoice:
    onnx, conf = srv.files["/v/en_US-joe-medium.onnx"], srv.files["/v/en_US-joe-medium.onnx.json"]
    args: dict[str, object] = dict(
        name="en_US-joe-medium", path="en_US-joe-medium.onnx", onnx_size=len(onnx), json_size=len(conf),
        sample_rate=22050, licence="CC0 (test)", commercial_ok=True,
        onnx_md5=hashlib.md5(onnx).hexdigest(), json_md5=hashlib.md5(conf).hexdigest(),
    )  # fmt: skip
    args.update(kw)
    return CatalogVoice(**args)  # type: ignore[arg-type]


def run(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(voices_command, list(args), obj=settings)
    return result.exit_code, result.output


def nothing_installed(voices: Path) -> bool:
    return not list(voices.glob("*.onnx")) and not list(voices.glob("*.json"))


def test_catalog_lists_piper_vietnamese_voices() -> None:
    assert set(CATALOG) == {"vi_VN-vais1000-medium", "vi_VN-25hours_single-low", "vi_VN-vivos-x_low"}
    vais = CATALOG["vi_VN-vais1000-medium"]
    assert vais.urls()[0].endswith("vi/vi_VN/vais1000/medium/vi_VN-vais1000-medium.onnx")
    assert vais.urls()[1].endswith(".onnx.json") and vais.onnx_size == 63201294
    assert CATALOG["vi_VN-vivos-x_low"].commercial_ok is False
    for v in CATALOG.values():  # every file has its voices.json digest, so install checks it
        assert all(len(d) == 32 and int(d, 16) >= 0 for d in (v.onnx_md5, v.json_md5)), v.name


def test_catalog_install_checks_checksum_and_is_usable_at_once(server: VoiceServer, tmp_path: Path) -> None:
    voices = tmp_path / "voices"
    done = inst.install_catalog(joe_entry(server), voices, base_url=server.base)
    assert done.checksum_checked and done.sample_rate == 22050
    assert (voices / "en_US-joe-medium.onnx").read_bytes() == server.files["/v/en_US-joe-medium.onnx"]
    assert not list((voices / inst.PARTIAL_DIR).iterdir())
    chain = build_chain(engine_params(Settings(data_dir=tmp_path, piper_voice="en_US-joe-medium")))
    piper = chain.engines[0]
    assert piper.check().ok
    speech = piper.synthesize("Hello there.", voice=chain.voice_for(piper))
    assert speech.sample_rate == 22050 and len(speech.samples) > 22050 // 4
    assert float(abs(speech.samples).max()) > 0.05


def test_interrupted_download_installs_nothing_then_resumes(server: VoiceServer, tmp_path: Path) -> None:
    voices, entry = tmp_path / "voices", joe_entry(server)
    server.cut_after = 200_000
    with pytest.raises(inst.InstallError, match="bị ngắt giữa chừng"):
        inst.install_catalog(entry, voices, base_url=server.base, timeout_s=5)
    assert nothing_installed(voices)
    part = voices / inst.PARTIAL_DIR / "en_US-joe-medium.onnx.part"
    assert part.stat().st_size == 200_000
    server.cut_after = 0
    inst.install_catalog(entry, voices, base_url=server.base)
    assert "bytes=200000-" in server.ranges
    assert (voices / "en_US-joe-medium.onnx").read_bytes() == server.files["/v/en_US-joe-medium.onnx"]


def test_wrong_checksum_is_refused(server: VoiceServer, tmp_path: Path) -> None:
    voices = tmp_path / "voices"
    with pytest.raises(inst.InstallError, match="Sai mã kiểm tra"):
        inst.install_catalog(joe_entry(server, onnx_md5="0" * 32), voices, base_url=server.base)
    assert nothing_installed(voices) and not list((voices / inst.PARTIAL_DIR).iterdir())


def test_wrong_size_is_refused_when_no_checksum_is_known(server: VoiceServer, tmp_path: Path) -> None:
    entry = joe_entry(server, onnx_md5="", json_md5="", onnx_size=123)
    with pytest.raises(inst.InstallError, match="đúng ra phải 123 byte"):
        inst.install_catalog(entry, tmp_path / "voices", base_url=server.base)
    assert nothing_installed(tmp_path / "voices")


def test_a_file_that_is_not_a_voice_is_refused(server: VoiceServer, tmp_path: Path) -> None:
    with pytest.raises(inst.InstallError, match="không phải mô hình ONNX"):
        inst.install(f"{server.base}/bad.onnx", tmp_path / "voices")
    assert nothing_installed(tmp_path / "voices")


def test_a_voice_without_its_config_is_refused(server: VoiceServer, tmp_path: Path) -> None:
    with pytest.raises(inst.InstallError, match="HTTP 404"):
        inst.install(f"{server.base}/lonely.onnx", tmp_path / "voices")
    assert nothing_installed(tmp_path / "voices")


def test_not_enough_disk_space_is_refused_before_downloading(
    server: VoiceServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inst.shutil, "disk_usage", lambda _p: shutil._ntuple_diskusage(10, 10, 1000))  # type: ignore[attr-defined]
    with pytest.raises(inst.InstallError, match="Không đủ chỗ trên đĩa"):
        inst.install_catalog(joe_entry(server), tmp_path / "voices", base_url=server.base)
    assert nothing_installed(tmp_path / "voices") and not server.ranges


def test_disk_full_while_writing(
    server: VoiceServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    def full(*_a: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(inst.shutil, "copyfile", full)
    src = tmp_path / "usb"
    src.mkdir()
    model = src / "en_US-joe-medium.onnx"
    model.write_bytes(server.files["/v/en_US-joe-medium.onnx"])
    model.with_name(model.name + ".json").write_bytes(server.files["/v/en_US-joe-medium.onnx.json"])
    with pytest.raises(inst.InstallError, match="Đĩa đầy"):
        inst.install(str(src), tmp_path / "voices")
    assert nothing_installed(tmp_path / "voices")


def test_local_folder_install_list_and_remove(joe_model: Path, tmp_path: Path) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    shutil.copy(joe_model, usb)
    settings = Settings(data_dir=tmp_path / "data")
    code, out = run(settings, "install", str(usb))
    assert code == 1 and "Thiếu tệp en_US-joe-medium.onnx.json" in out
    assert nothing_installed(settings.voices_dir)
    shutil.copy(joe_model.with_name(joe_model.name + ".json"), usb)
    (usb / "notes.onnx").write_bytes(b"\x08not a model")
    shutil.copy(joe_model.with_name(joe_model.name + ".json"), usb / "notes.onnx.json")
    code, out = run(settings, "install", str(usb / "notes.onnx"))
    assert code == 1 and "không phải mô hình ONNX" in out
    assert nothing_installed(settings.voices_dir)
    code, out = run(settings, "install", str(usb / "en_US-joe-medium.onnx"))
    assert code == 0, out
    assert 'piper_voice = "en_US-joe-medium"' in out
    code, out = run(settings, "--json")
    doc = json.loads(out)
    assert [v["name"] for v in doc["installed"]] == ["en_US-joe-medium"]
    assert doc["installed"][0]["usable"] and doc["installed"][0]["in_use"]
    tiers = {e["name"]: e["tier"] for e in doc["engines"]}
    assert tiers["espeak"].startswith("dự phòng") and tiers["piper"].startswith("thần kinh")
    piper = next(e for e in doc["engines"] if e["name"] == "piper")
    assert piper["usable"] and piper["voice"] == "en_US-joe-medium"
    code, out = run(settings, "remove", "en_US-joe-medium")
    assert code == 0 and nothing_installed(settings.voices_dir)
    code, out = run(settings, "remove", "en_US-joe-medium")
    assert code == 1 and "Không có giọng" in out


def test_catalog_install_shows_the_licence_and_needs_consent(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, voices_base_url="http://127.0.0.1:9/none")
    result = CliRunner().invoke(voices_command, ["install", "vi_VN-vivos-x_low"], obj=settings, input="n\n")
    assert result.exit_code == 1
    assert "CC BY-NC-SA 4.0" in result.output and "Chưa chấp nhận giấy phép" in result.output
    assert "chỉ kiểm tra kích thước" not in result.output  # the catalog has its checksums
    assert not (tmp_path / "voices").exists()


def test_a_config_that_is_not_a_piper_config_is_refused(joe_model: Path, tmp_path: Path) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    shutil.copy(joe_model, usb)
    conf = json.loads(joe_model.with_name(joe_model.name + ".json").read_text(encoding="utf-8"))
    del conf["phoneme_id_map"]
    (usb / (joe_model.name + ".json")).write_text(json.dumps(conf), encoding="utf-8")
    with pytest.raises(inst.InstallError, match="thiếu phoneme_id_map"):
        inst.install(str(usb), tmp_path / "voices")
    (usb / (joe_model.name + ".json")).write_text("{not json", encoding="utf-8")
    with pytest.raises(inst.InstallError, match="JSON hỏng"):
        inst.install(str(usb), tmp_path / "voices")
    assert nothing_installed(tmp_path / "voices")


def test_no_network_says_so_and_points_to_a_local_install(tmp_path: Path) -> None:
    with pytest.raises(inst.InstallError, match="Kiểm tra mạng, hoặc cài từ tệp"):
        inst.install("http://127.0.0.1:9/v/x.onnx", tmp_path / "voices", timeout_s=2)
    assert nothing_installed(tmp_path / "voices")
