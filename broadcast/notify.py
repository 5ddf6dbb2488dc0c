"""Where alerts go: e-mail over SMTP, a generic JSON webhook (a Zalo OA relay, a chat bot), and the
Telegram Bot API. Each sender returns "" when the channel took the message, else why not; none
raises, so one channel down never keeps an alert from the others.

Telegram: ``POST {api}/bot{token}/sendMessage`` with ``{"chat_id", "text"}``; it answers
``{"ok": true, "result": {...}}``, or ``{"ok": false, "error_code": 400, "description": "…"}``.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import requests

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Channels:
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: str = ""
    email_from: str = "loa@localhost"
    email_to: tuple[str, ...] = ()
    webhook_url: str = ""
    telegram_api: str = "https://api.telegram.org"
    telegram_token: str = ""
    telegram_chat_id: str = ""
    timeout_s: float = 10.0

    @property
    def any(self) -> bool:
        return bool((self.smtp_host and self.email_to) or self.webhook_url or
                    (self.telegram_token and self.telegram_chat_id))


def channels_from(settings: Any) -> Channels:
    """The channels configured in ``Settings`` (loa/config.py, the alert_* block)."""
    return Channels(
        smtp_host=settings.alert_smtp_host, smtp_port=settings.alert_smtp_port,
        smtp_starttls=settings.alert_smtp_starttls, smtp_user=settings.alert_smtp_user,
        smtp_password=settings.alert_smtp_password, email_from=settings.alert_email_from,
        email_to=tuple(settings.alert_email_to), webhook_url=settings.alert_webhook_url,
        telegram_api=settings.alert_telegram_api, telegram_token=settings.alert_telegram_token,
        telegram_chat_id=settings.alert_telegram_chat_id, timeout_s=settings.alert_timeout_s,
    )  # fmt: skip


def send_email(ch: Channels, subject: str, text: str) -> str:
    if not ch.smtp_host or not ch.email_to:
        return ""
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = subject, ch.email_from, ", ".join(ch.email_to)
    msg.set_content(text)
    try:
        with smtplib.SMTP(ch.smtp_host, ch.smtp_port, timeout=ch.timeout_s) as smtp:
            if ch.smtp_starttls:
                smtp.starttls()
            if ch.smtp_user:
                smtp.login(ch.smtp_user, ch.smtp_password)
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        return f"e-mail: {exc}"
    return ""


def send_webhook(ch: Channels, payload: dict[str, Any]) -> str:
    if not ch.webhook_url:
        return ""
    try:
        resp = requests.post(ch.webhook_url, json=payload, timeout=ch.timeout_s)
    except requests.RequestException as exc:
        return f"webhook: {exc}"
    if resp.status_code >= 300:
        return f"webhook: HTTP {resp.status_code} {resp.text[:200]}"
    return ""


def send_telegram(ch: Channels, text: str) -> str:
    if not ch.telegram_token or not ch.telegram_chat_id:
        return ""
    url = f"{ch.telegram_api.rstrip('/')}/bot{ch.telegram_token}/sendMessage"
    try:
        resp = requests.post(url, json={"chat_id": ch.telegram_chat_id, "text": text}, timeout=ch.timeout_s)
        body = resp.json()
    except requests.RequestException as exc:
        # the token is in the address: never let it into a log or the database
        return "telegram: " + str(exc).replace(ch.telegram_token, "***")
    except ValueError:
        return f"telegram: HTTP {resp.status_code}, trả lời không phải JSON"
    if not isinstance(body, dict) or body.get("ok") is not True:
        desc = body.get("description", "") if isinstance(body, dict) else ""
        return f"telegram: {body.get('error_code', resp.status_code) if isinstance(body, dict) else resp.status_code} {desc}"
    return ""


def deliver(ch: Channels, subject: str, text: str, payload: dict[str, Any]) -> str:
    """Send on every configured channel; the problems joined ("" when all took it)."""
    problems = [p for p in (send_email(ch, subject, text), send_webhook(ch, payload), send_telegram(ch, text)) if p]
    for p in problems:
        log.warning("không gửi được cảnh báo / alert not delivered: %s", p)
    return "; ".join(problems)
