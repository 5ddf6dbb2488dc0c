"""Which bulletins may be spoken by a cloud voice: not drafts (unless allowed), never emergencies."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from broadcast import bulletins as bl
from broadcast import rendering
from broadcast.models import Bulletin, Priority
from loa.config import Settings
from pipeline.params import RenderParams
from pipeline.render import RenderRequest, RenderResult

ORDER = ("fpt", "piper", "zalo", "gtts", "espeak")


def _bulletin(session: Session, *, approve: bool, priority: Priority = Priority.NORMAL) -> Bulletin:
    b = bl.create_bulletin(
        session, title="Tiêm chủng", body="Thông báo tiêm chủng ngày 3 tháng 12.", priority=priority,
        valid_from=date(2026, 12, 1), valid_to=date(2026, 12, 3), actor="e", station_codes=["hiep-an"],
    )  # fmt: skip
    if approve:
        bl.submit(session, b, "e")
        bl.approve(session, b, "r")
    return b


class Spy:
    """Stands in for pipeline.render and remembers the engines each render was given."""

    def __init__(self) -> None:
        self.orders: list[tuple[str, ...]] = []

    def __call__(self, req: RenderRequest, params: RenderParams, on_progress: Any = None) -> RenderResult:
        self.orders.append(params.engines.engine_order)
        raise rendering.PipelineError("spy: no audio")


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Spy:
    s = Spy()
    monkeypatch.setattr(rendering, "render", s)
    return s


@pytest.mark.parametrize(
    ("approve", "priority", "drafts_ok", "cloud"),
    [
        (False, Priority.NORMAL, False, False),  # a draft stays offline by default
        (False, Priority.NORMAL, True, True),  # ... unless the deployment allows it
        (True, Priority.NORMAL, False, True),  # an approved bulletin may use the cloud
        (True, Priority.EMERGENCY, True, False),  # an emergency never waits on the cloud
        (False, Priority.EMERGENCY, True, False),
    ],
)
def test_the_rule_reaches_the_render(
    session: Session, stations: list[str], settings: Settings, spy: Spy,
    approve: bool, priority: Priority, drafts_ok: bool, cloud: bool,
) -> None:  # fmt: skip
    settings = replace(settings, engine_order=ORDER, cloud_voices_for_drafts=drafts_ok)
    b = _bulletin(session, approve=approve, priority=priority)
    assert rendering.cloud_voices_allowed(b, settings) is cloud
    with pytest.raises(rendering.RenderFailed):
        rendering.render_bulletin(session, b, settings)
    assert spy.orders == [ORDER if cloud else ("piper", "espeak")]


def test_offline_renders_keep_a_voice_even_without_espeak_listed(session: Session, stations: list[str],
                                                                  settings: Settings) -> None:  # fmt: skip
    settings = replace(settings, engine_order=("fpt",))
    b = _bulletin(session, approve=False)
    assert rendering.bulletin_render_params(session, b, settings)[0].engines.engine_order == ("espeak",)
    piper_only = replace(settings, engine_order=("piper",))  # no cloud listed: nothing is added
    assert rendering.bulletin_render_params(session, b, piper_only)[0].engines.engine_order == ("piper",)
    assert Settings().cloud_voices_for_drafts is False
