"""One rule, every way in: the CLI and the panel refuse a bad relay in the same words (there is no
relay API route), a CSV import asks for playlists whichever way it comes, only drafts and rejected
bulletins are edited by the CLI, the API and the panel alike (emergency-today: test_one_way_in.py),
and no module in web/ writes ORM rows or audit rows itself."""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from panel_support import Panel, post
from sqlalchemy import select

from broadcast.models import RegenRequest, Relay
from loa.cli import cli

WEB = Path(__file__).resolve().parents[2] / "web"
CSV = "code,name,kind,sessions\nmoi-nhap,Xã Mới Nhập,xa,Mon-Sun 05:00-05:30\n"


@pytest.fixture
def loa(panel: Panel, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """`loa …` on the panel's own database."""
    monkeypatch.setenv("LOA_DATA_DIR", str(panel.settings.data_dir))
    monkeypatch.setenv("LOA_RELAY_PROBE_TIMEOUT_S", "0")

    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return run


def _panel_errors(page: str) -> list[str]:
    block = re.search(r'<div class="errors"[^>]*>(.*?)</div>', page, re.S)
    assert block, page[:2000]
    return [re.sub(r"\s+", " ", li).strip() for li in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)]


@pytest.mark.parametrize(("url", "start", "minutes"), [
    ("javascript:alert(1)", "06:00", "15"),
    ("ftp://vov.example/vov1", "06:00", "15"),
    ("https://vov.example/1", "25:00", "0"),
])
def test_a_bad_relay_is_refused_in_the_same_words(panel: Panel, loa, url: str, start: str, minutes: str) -> None:  # type: ignore[no-untyped-def]
    import html

    r = post(panel.client("operator"), "/stations/relays", {
        "name": "VOV1", "stream_url": url, "start_time": start, "duration_min": minutes,
        "weekdays": ["1", "2", "3", "4", "5", "6", "7"]})
    assert r.status_code == 400
    panel_words = [html.unescape(e) for e in _panel_errors(r.get_data(as_text=True))]
    res = loa("stations", "relay", "add", "VOV1", url, "--start", start, "--minutes", minutes, "--days", "Mon-Sun")
    assert res.exit_code == 1
    cli_words = [line.strip() for line in res.output.replace("Error: ", "").splitlines() if line.strip()]
    assert panel_words and panel_words == cli_words
    with panel.session() as s:
        assert s.scalars(select(Relay)).all() == []


def test_a_good_relay_is_stored_by_either(panel: Panel, loa) -> None:  # type: ignore[no-untyped-def]
    res = loa("stations", "relay", "add", "VOV1", "https://vov.example/1", "--start", "06:00", "--minutes", "15",
              "--days", "T2-T6", "--station", "ta-nang")
    assert res.exit_code == 0, res.output
    with panel.session() as s:
        relay = s.scalar(select(Relay))
        assert relay is not None and relay.weekdays == "12345"
        assert s.scalars(select(RegenRequest.station_codes).where(RegenRequest.reason == "relay added")).all() == [
            ["ta-nang"]]


def _import_requests(panel: Panel) -> list[list[str] | None]:
    with panel.session() as s:
        return list(s.scalars(select(RegenRequest.station_codes).where(RegenRequest.reason == "stations imported")))


def test_a_csv_import_asks_for_playlists_whichever_way_it_comes(panel: Panel, loa, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = len(_import_requests(panel))
    path = tmp_path / "dai.csv"
    path.write_text(CSV, "utf-8")
    assert loa("stations", "import", str(path)).exit_code == 0
    assert _import_requests(panel)[before:] == [["moi-nhap"]]
    r = post(panel.client("operator"), "/stations/import", {"file": (io.BytesIO(CSV.encode()), "dai.csv")},
             content_type="multipart/form-data")
    assert r.status_code == 302
    assert _import_requests(panel)[before:] == [["moi-nhap"], ["moi-nhap"]]


def test_a_session_added_by_the_cli_asks_for_playlists(panel: Panel, loa) -> None:  # type: ignore[no-untyped-def]
    assert loa("stations", "session", "add", "ta-nang", "Mon 12:00-12:10").exit_code == 0
    with panel.session() as s:
        reqs = s.scalars(select(RegenRequest.station_codes).where(RegenRequest.reason == "sessions changed")).all()
    assert reqs == [["ta-nang"]]


def _editor_token(panel: Panel) -> str:
    from broadcast.models import User
    from broadcast.security import hash_token

    token = "editor-api-token-" + "e" * 20
    with panel.session() as s:
        editor = s.scalar(select(User).where(User.username == "editor"))
        assert editor is not None
        editor.api_token_hash = hash_token(token)
    return token


@pytest.mark.parametrize("status", ["approved", "submitted"])
def test_only_drafts_and_rejected_bulletins_are_edited_whichever_way_it_comes(panel: Panel, loa, status: str) -> None:  # type: ignore[no-untyped-def]
    import html

    from broadcast.bulletins import InvalidTransition, check_editable

    bid = panel.bulletin(status)
    with pytest.raises(InvalidTransition) as refused:
        check_editable(panel.get_bulletin(bid))
    words = str(refused.value)
    res = loa("bulletin", "edit", str(bid), "--title", "Đổi", "--actor", "editor")
    assert res.exit_code == 1 and res.output.replace("Error: ", "").strip() == words
    api = panel.app.test_client().patch(f"/api/v1/bulletins/{bid}", json={"title": "Đổi"},
                                        headers={"Authorization": f"Bearer {_editor_token(panel)}"})
    assert api.status_code == 409 and api.get_json()["error"] == words
    r = post(panel.client("editor"), f"/bulletins/{bid}/edit", {"title": "Đổi"}, follow_redirects=True)
    assert words in html.unescape(r.get_data(as_text=True))
    assert panel.get_bulletin(bid).title != "Đổi"


def test_a_draft_is_edited_alike_by_cli_and_api(panel: Panel, loa) -> None:  # type: ignore[no-untyped-def]
    bid = panel.bulletin("rejected")
    res = loa("bulletin", "edit", str(bid), "--title", "Lịch tiêm mới", "--plays", "2", "--actor", "editor")
    assert res.exit_code == 0, res.output
    b = panel.get_bulletin(bid)
    assert (b.title, b.plays_per_day) == ("Lịch tiêm mới", 2)
    token = _editor_token(panel)
    api = panel.app.test_client().patch(f"/api/v1/bulletins/{bid}", json={"plays_per_day": 3, "stations": ["ta-nang"]},
                                        headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200, api.get_json()
    b = panel.get_bulletin(bid)
    assert b.plays_per_day == 3 and b.title == "Lịch tiêm mới"
    # the same bad value, the same words
    res = loa("bulletin", "edit", str(bid), "--plays", "0", "--actor", "editor")
    api = panel.app.test_client().patch(f"/api/v1/bulletins/{bid}", json={"plays_per_day": 0},
                                        headers={"Authorization": f"Bearer {token}"})
    assert res.exit_code == 1 and api.status_code == 400
    assert res.output.replace("Error: ", "").strip() == api.get_json()["error"]
    api = panel.app.test_client().patch(f"/api/v1/bulletins/{bid}", json={"status": "approved"},
                                        headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 400 and "status" in api.get_json()["error"]


# --- web/ writes nothing itself ---------------------------------------------------------------

#: Modules of other parts that still write rows themselves (to go through broadcast services).
NOT_YET: set[str] = set()
WRITES = {"add", "add_all", "delete"}


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if node.func.attr in WRITES and isinstance(owner, ast.Call | ast.Name) and (
                "session" in ast.unparse(owner) or ast.unparse(owner) in ("s", "db")
            ):
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)[:60]}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("AuditLog", "RegenRequest"):
            found.append(f"{path.name}:{node.lineno}: builds a {node.func.id}")
        if isinstance(node, ast.FunctionDef) and node.name == "audit":
            found.append(f"{path.name}:{node.lineno}: defines audit()")
    return found


def test_no_module_in_web_writes_rows_or_audit_itself() -> None:
    problems = [v for p in sorted(WEB.glob("*.py")) if p.name not in NOT_YET for v in _violations(p)]
    assert problems == []


def test_the_check_catches_a_write(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def v(s):\n    db.session().add(x)\n    s.delete(y)\n    AuditLog(actor='a')\n", "utf-8")
    assert len(_violations(bad)) == 3
