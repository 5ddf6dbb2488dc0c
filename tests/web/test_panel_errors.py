"""Nothing a user sends can break a page: every error is a Vietnamese page, never a stack trace."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from panel_support import Panel, make_panel, post


def assert_error_page(body: str, title: str) -> None:
    assert title in body
    assert "Traceback" not in body and "Werkzeug" not in body and "sqlalchemy" not in body.lower()
    assert 'lang="vi"' in body


def test_unknown_page_is_a_vietnamese_404(panel: Panel) -> None:
    for client in (panel.anonymous(), panel.client("editor")):
        r = client.get("/khong-co-trang-nay")
        assert r.status_code == 404
        assert_error_page(r.get_data(as_text=True), "Không tìm thấy")
    for url in ("/stations/999", "/review/999", "/bulletins/999", "/users/999"):
        r = panel.client("admin").get(url)
        assert r.status_code in (404, 405), url
        assert_error_page(r.get_data(as_text=True), "Không tìm thấy" if r.status_code == 404 else "Không được phép")


def test_missing_csrf_token_is_a_vietnamese_400(panel: Panel) -> None:
    c = panel.client("editor")
    r = c.post("/bulletins/new", data={"title": "x"})
    assert r.status_code == 400
    assert_error_page(r.get_data(as_text=True), "Yêu cầu không hợp lệ")
    r = c.post("/bulletins/new", data={"title": "x", "csrf_token": "gia-mao"})
    assert r.status_code == 400


def test_wrong_role_is_a_vietnamese_403(panel: Panel) -> None:
    r = panel.client("editor").get("/stations/new")
    assert r.status_code == 403
    assert_error_page(r.get_data(as_text=True), "Không có quyền")


def test_wrong_method_is_a_vietnamese_405(panel: Panel) -> None:
    r = panel.client("editor").get("/logout")
    assert r.status_code == 405
    assert_error_page(r.get_data(as_text=True), "Không được phép")


def test_oversized_upload_is_a_vietnamese_413(tmp_path: Path) -> None:
    panel = make_panel(tmp_path / "d", max_upload_bytes=50_000)
    c = panel.client("editor")
    r = post(c, "/bulletins/new", {"title": "x", "recording": (io.BytesIO(b"\0" * 60_000), "big.wav")},
             content_type="multipart/form-data")
    assert r.status_code == 413
    assert_error_page(r.get_data(as_text=True), "Tệp hoặc biểu mẫu quá lớn")


def test_oversized_plain_form_is_refused(tmp_path: Path) -> None:
    panel = make_panel(tmp_path / "d", max_upload_bytes=50_000)
    r = post(panel.client("editor"), "/bulletins/new", {"title": "x", "body": "a" * 60_000})
    assert r.status_code == 413
    assert_error_page(r.get_data(as_text=True), "quá lớn")


def test_unexpected_failure_is_a_vietnamese_500_without_details(panel: Panel, monkeypatch: pytest.MonkeyPatch) -> None:
    import web.reports

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    monkeypatch.setattr(web.reports, "asrun_report", boom)
    panel.app.config["PROPAGATE_EXCEPTIONS"] = False
    r = panel.client("operator").get("/reports/")
    body = r.get_data(as_text=True)
    assert r.status_code == 500
    assert_error_page(body, "Lỗi hệ thống")
    assert "secret internal detail" not in body


def test_json_callers_get_json_errors(panel: Panel) -> None:
    r = panel.client("editor").get("/bulletins/jobs/x/y", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.get_json()["code"] == "404"


def test_post_without_login_is_401_not_a_redirect_loop(panel: Panel) -> None:
    r = post(panel.anonymous(), "/bulletins/new", {"title": "x"})
    assert r.status_code == 401
    assert_error_page(r.get_data(as_text=True), "Cần đăng nhập")


def test_security_headers(panel: Panel) -> None:
    r = panel.client("editor").get("/bulletins/")
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Cache-Control"] == "no-store"  # never from the cache on a shared PC
    assert "no-store" not in panel.anonymous().get("/static/style.css").headers.get("Cache-Control", "")


def test_pages_use_only_local_assets(panel: Panel) -> None:
    page = panel.client("editor").get("/bulletins/new").get_data(as_text=True)
    assert "http://" not in page and "https://" not in page  # no CDN: the PCs have poor internet
    assert panel.anonymous().get("/static/style.css").status_code == 200
    assert panel.anonymous().get("/static/app.js").status_code == 200
