"""loa units and loa inbox, through the real command line (in-process), over the services."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from broadcast import bulletins as bl
from broadcast import users
from broadcast.models import Bulletin, Station, Unit
from loa.cli import cli
from tests.broadcast.conftest import count_rows

TREE = "code,name,kind,parent\n68,Tỉnh Lâm Đồng,tinh,\n24823,Xã Hiệp An,xa,68\n24826,Xã Liên Hiệp,xa,68\n"
STATIONS = ("code,name,kind,sessions,unit\nha-1,Cụm 1 Hiệp An,xa,Mon-Sat 05:30-06:00,24823\n"
            "lh-1,Cụm 1 Liên Hiệp,xa,Mon-Sat 05:30-06:00,24826\n")


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    from broadcast import security

    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def run(factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


def _file(tmp_path: Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text, "utf-8")
    return str(p)


def test_units_import_list_rename_merge(run, tmp_path: Path, factory: sessionmaker[Session]) -> None:  # type: ignore[no-untyped-def]
    res = run("units", "import", _file(tmp_path, "u.csv", TREE))
    assert res.exit_code == 0 and "Đã nhập 3 đơn vị (3 mới, 0 cập nhật, 0 không đổi)." in res.stdout
    res = run("stations", "import", _file(tmp_path, "s.csv", STATIONS))
    assert res.exit_code == 0, res.output
    listed = {s["code"]: s["unit"] for s in json.loads(run("stations", "list", "--json").stdout)}
    assert listed == {"ha-1": "24823", "lh-1": "24826"}
    assert [s["code"] for s in json.loads(run("stations", "list", "--json", "--unit", "24826").stdout)] == ["lh-1"]
    table = run("units", "list").stdout
    assert "68  Tỉnh Lâm Đồng (tỉnh, 2 đài)" in table and "  24823  Xã Hiệp An (xã, 1 đài)" in table
    assert run("units", "rename", "24823", "Xã Hiệp An Mới").exit_code == 0
    res = run("units", "merge", "24823", "24826")
    assert res.exit_code == 0 and "Đã sáp nhập Xã Hiệp An Mới vào Xã Liên Hiệp." in res.stdout
    data = {u["code"]: u for u in json.loads(run("units", "list", "--json").stdout)}
    assert data["24823"]["merged_into"] == "24826" and data["24826"]["stations"] == 2
    res = run("units", "merge", "24823", "24826")
    assert res.exit_code == 1 and "đã được sáp nhập trước đó" in res.output


def test_units_import_errors_name_lines_and_import_nothing(run, tmp_path: Path, session: Session) -> None:  # type: ignore[no-untyped-def]
    before = count_rows(session)
    res = run("units", "import", _file(tmp_path, "bad.csv", "code,name,kind,parent\n68,,tinh,\n1,Xã A,xa,99\n"))
    assert res.exit_code == 1
    assert "dòng 2: thiếu tên đơn vị (name)" in res.output and "chưa nhập gì" in res.output
    res = run("units", "import", _file(tmp_path, "bad2.csv", "code,name,kind,parent\n1,Xã A,xa,99\n"))
    assert "dòng 2: không có đơn vị cấp trên mã '99'" in res.output
    (tmp_path / "latin1.csv").write_bytes(b"code,name,kind,parent\n68,L\xe2m,tinh,\n")
    res = run("units", "import", str(tmp_path / "latin1.csv"))
    assert res.exit_code == 1 and "không phải UTF-8" in res.output
    res = run("stations", "import", _file(tmp_path, "s.csv", STATIONS))
    assert res.exit_code == 1 and "dòng 2: không có đơn vị mã '24823'" in res.output
    session.expire_all()
    assert count_rows(session) == before


def test_inbox_commands_over_the_service(run, tmp_path: Path, factory: sessionmaker[Session]) -> None:  # type: ignore[no-untyped-def]
    run("units", "import", _file(tmp_path, "u.csv", TREE))
    run("stations", "import", _file(tmp_path, "s.csv", STATIONS))
    with factory() as s, s.begin():
        users.create_user(s, username="ha-vh", role="operator", password="mat-khau-1", actor="t", unit="24823")
        users.create_user(s, username="lh-vh", role="operator", password="mat-khau-1", actor="t", unit="24826")
        b = bl.create_bulletin(s, title="Tỉnh gửi", body="x", valid_from=date(2026, 1, 1),
                               valid_to=date(2099, 1, 1), actor="root", unit="68")
        bl.submit(s, b, "root")
        bl.approve(s, b, "root")
        bid = str(b.id)
    res = run("inbox", "list", "--actor", "ha-vh")
    assert res.exit_code == 0 and f"#{bid}  [normal] Tỉnh gửi  (từ Tỉnh Lâm Đồng)  đang chờ" in res.stdout
    res = run("inbox", "accept", bid, "--unit", "24823", "--actor", "lh-vh")  # not its commune
    assert res.exit_code == 1 and "không làm việc cho đơn vị này" in res.output
    assert run("inbox", "accept", bid, "--actor", "ha-vh").exit_code == 0
    listed = json.loads(run("inbox", "list", "--actor", "ha-vh", "--json").stdout)
    assert [(e["bulletin"], e["unit"], e["state"]) for e in listed] == [(int(bid), "24823", "accepted")]
    res = run("inbox", "list", "--actor", "ha-vh", "--state", "declined")
    assert res.exit_code == 0 and res.stdout.strip() == "Hộp thư của Xã Hiệp An trống."
    res = run("inbox", "decline", bid, "--actor", "lh-vh", "--reason", "Đã phát bản khác")
    assert res.exit_code == 0 and "Xã Liên Hiệp đã từ chối bản tin" in res.stdout
    status = json.loads(run("inbox", "status", bid, "--json").stdout)
    assert [(e["unit"], e["state"], e["actor"], e["reason"]) for e in status] == [
        ("24823", "accepted", "ha-vh", ""), ("24826", "declined", "lh-vh", "Đã phát bản khác")]
    assert "24826  Xã Liên Hiệp  đã từ chối — lh-vh: Đã phát bản khác" in run("inbox", "status", bid).stdout
    assert run("inbox", "auto", "on", "--unit", "24826").exit_code == 0
    with factory() as s:
        assert s.scalar(select(Unit.auto_accept).where(Unit.code == "24826")) is True
        assert s.scalar(select(Station.unit_id).where(Station.code == "ha-1")) is not None
    res = run("inbox", "list")  # an OS account has no unit of its own
    assert res.exit_code == 1 and "Cần --unit" in res.output


def test_bulletin_add_from_a_unit_reaches_only_its_stations(run, tmp_path: Path, factory: sessionmaker[Session]) -> None:  # type: ignore[no-untyped-def]
    run("units", "import", _file(tmp_path, "u.csv", TREE))
    run("stations", "import", _file(tmp_path, "s.csv", STATIONS))
    script = _file(tmp_path, "tin.txt", "Thông báo của xã Hiệp An.")
    res = run("bulletin", "add", script, "--title", "Tin xã", "--unit", "24823", "--station", "lh-1")
    assert res.exit_code == 1 and "Đài lh-1 không thuộc Xã Hiệp An" in res.output
    res = run("bulletin", "add", script, "--title", "Tin xã", "--unit", "24823")
    assert res.exit_code == 0, res.output
    with factory() as s:
        b = s.scalar(select(Bulletin))
        assert b is not None and bl.target_station_codes(s, b) == ["ha-1"]


def test_a_commune_account_acts_only_on_its_commune_at_the_cli(run, tmp_path: Path, factory: sessionmaker[Session]) -> None:  # type: ignore[no-untyped-def]
    run("units", "import", _file(tmp_path, "u.csv", TREE))
    run("stations", "import", _file(tmp_path, "s.csv", STATIONS))
    with factory() as s, s.begin():
        users.create_user(s, username="lh-vh", role="operator", password="mat-khau-1", actor="t", unit="24826")
        users.create_user(s, username="lh-qt", role="admin", password="mat-khau-1", actor="t", unit="24826")
    res = run("stations", "import", _file(tmp_path, "s.csv", STATIONS), "--actor", "lh-vh")
    assert res.exit_code == 1 and "dòng 2: đài 'ha-1' không thuộc đơn vị của người nhập" in res.output
    new = _file(tmp_path, "n.csv", "code,name,kind,sessions\nlh-2,Cụm 2,xa,Mon-Sat 05:30-06:00\n")
    assert run("stations", "import", new, "--actor", "lh-vh").exit_code == 0
    assert [s["unit"] for s in json.loads(run("stations", "list", "--json", "--unit", "24826").stdout)] == [
        "24826", "24826"]  # the new cluster went to the importer's commune
    res = run("units", "rename", "24823", "Tên khác", "--actor", "lh-qt")
    assert res.exit_code == 1 and "không làm việc cho đơn vị này" in res.output
    res = run("units", "staff", "lh-vh", "24823", "--actor", "lh-qt")
    assert res.exit_code == 1 and "không làm việc cho đơn vị này" in res.output
    res = run("units", "staff", "lh-vh", "24823")  # the server's own account may
    assert res.exit_code == 0 and "nay thuộc đơn vị Xã Hiệp An" in res.stdout
