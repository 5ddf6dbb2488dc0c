from __future__ import annotations

from pathlib import Path

import pytest

from loa import config


def test_defaults_put_everything_under_the_data_dir(tmp_path: Path) -> None:
    s = config.load(env={"LOA_DATA_DIR": str(tmp_path)})
    assert s.data_dir == tmp_path
    assert s.db_url == f"sqlite:///{(tmp_path / 'loa.db').resolve()}"
    assert s.media_dir == tmp_path / "media"
    assert s.loudness_target_lufs == -16.0 and s.true_peak_ceiling_dbtp == -1.5
    assert s.engine_order == ("piper", "gtts", "espeak")


def test_toml_then_environment_then_overrides(tmp_path: Path) -> None:
    (tmp_path / "loa.toml").write_text(
        'loudness_target_lufs = -18\nengine_order = ["espeak"]\nport = 9000\n', "utf-8"
    )
    env = {"LOA_DATA_DIR": str(tmp_path), "LOA_PORT": "9100"}
    s = config.load(env=env)
    assert s.loudness_target_lufs == -18 and s.engine_order == ("espeak",) and s.port == 9100
    assert config.load(env=env, port=9200).port == 9200


def test_env_lists_and_explicit_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "elsewhere.toml"
    cfg.write_text('database_url = "postgresql://loa@db/loa"\n', "utf-8")
    s = config.load(env={"LOA_CONFIG": str(cfg), "LOA_ENGINE_ORDER": "gtts, espeak"})
    assert s.db_url == "postgresql://loa@db/loa"
    assert s.engine_order == ("gtts", "espeak")


@pytest.mark.parametrize(
    ("toml", "env"),
    [("nonsense = 1\n", {}), ("port = [\n", {}), ("", {"LOA_PORT": "eighty"})],
)
def test_bad_settings_are_refused_clearly(tmp_path: Path, toml: str, env: dict[str, str]) -> None:
    (tmp_path / "loa.toml").write_text(toml, "utf-8")
    with pytest.raises(config.ConfigError):
        config.load(env={"LOA_DATA_DIR": str(tmp_path), **env})


def test_jingle_names_resolve_to_shipped_media(tmp_path: Path) -> None:
    s = config.load(env={"LOA_DATA_DIR": str(tmp_path)})
    assert s.jingle_path("") is None
    with pytest.raises(config.ConfigError):
        s.jingle_path("no-such-jingle.mp3")


def test_a_relative_data_dir_becomes_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = config.load(env={"LOA_DATA_DIR": "loa-data"})
    assert s.data_dir == tmp_path / "loa-data" and s.data_dir.is_absolute()
    assert config.load(env={}).data_dir == tmp_path / "loa-data"
