"""SPEC 5: settings come from the environment, or a .env file, the environment winning."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import pytest

from bot.settings import SETTINGS, Settings, SettingsError, load_settings
from tests.bot.processes import LINE, clean_env


def test_dotenv_supplies_settings_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "DISCORD_TOKEN=from-file\nTOKENDESK_GUILD_ID=123\nTOKENDESK_MODERATOR_ROLE=Mods\n"
    )
    settings = load_settings({"DISCORD_TOKEN": "from-env"}, env_file)
    assert settings.discord_token == "from-env"
    assert settings.guild_id == 123 and settings.moderator_role == "Mods"
    assert settings.database_url == "sqlite+aiosqlite:///tokendesk.db"
    assert settings.auto_approve_up_to == 0 and settings.refund_max_age_days == 30


def test_malformed_settings_are_named(tmp_path):
    with pytest.raises(SettingsError, match="TOKENDESK_GUILD_ID"):
        load_settings({"TOKENDESK_GUILD_ID": "general"}, tmp_path / "none")
    with pytest.raises(SettingsError, match="TOKENDESK_MAX_OPEN_TICKETS"):
        load_settings({"TOKENDESK_MAX_OPEN_TICKETS": "0"}, tmp_path / "none")


def test_env_example_lists_exactly_the_settings_with_their_defaults():
    example = Path(__file__).parents[2] / ".env.example"
    text = example.read_text()
    names = [line.split("=", 1)[0] for line in text.splitlines() if re.match(r"^[A-Z_]+=", line)]
    assert sorted(names) == sorted(s.name for s in SETTINGS) and len(names) == len(set(names))
    for setting in SETTINGS:  # each has a line about it just above
        above = text.split(f"\n{setting.name}=", 1)[0].rsplit("\n", 1)[-1]
        assert above.startswith("# ") and len(above) > 10, setting.name
    assert repr(load_settings({}, example)) == repr(Settings())  # the defaults it shows


def test_repr_never_shows_a_secret():
    settings = load_settings(
        {
            "DISCORD_TOKEN": "tok-very-secret",
            "TOKENDESK_WEBHOOK_SECRET": "hook-very-secret",
            "TOKENDESK_DATABASE_URL": "postgresql://desk:pw-very-secret@db/ledger",
        },
        Path("/nonexistent"),
    )
    shown = repr(settings) + str(settings)
    assert "very-secret" not in shown and "postgresql://desk:***@db/ledger" in shown
    assert sorted(settings.secrets()) == ["hook-very-secret", "pw-very-secret", "tok-very-secret"]


async def run_cli(*args: str, cwd: Path, **env: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=clean_env(**env),
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_version_is_one_line(tmp_path):
    code, out, err = await run_cli("--version", cwd=tmp_path)
    assert code == 0 and re.fullmatch(r"tokendesk \d+\.\d+\.\d+\n", out) and err == ""


async def test_unknown_names_in_the_environment_or_dotenv_are_named_in_a_warning(tmp_path):
    (tmp_path / ".env").write_text("TOKENDESK_GUILD=123\nTOKENDESK_LOG_LEVEL=INFO\n")
    url = f"sqlite:///{tmp_path / 'l.db'}"
    code, out, err = await run_cli(
        "db", "upgrade", cwd=tmp_path, TOKENDESK_DATABASE_URL=url, TOKENDESK_WEBHOK_SECRET="x"
    )
    assert code == 0 and "upgraded from empty" in out
    warnings = [line for line in err.splitlines() if " WARNING " in line]
    assert len(warnings) == 2 and all(LINE.match(line) for line in warnings), err
    assert "TOKENDESK_GUILD is not a tokendesk setting" in warnings[0]
    assert "did you mean TOKENDESK_GUILD_ID?" in warnings[0]
    assert "TOKENDESK_WEBHOK_SECRET is not a tokendesk setting" in warnings[1]
    assert "did you mean TOKENDESK_WEBHOOK_SECRET?" in warnings[1]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TOKENDESK_LOG_LEVEL", "LOUD"),
        ("TOKENDESK_LOG_FORMAT", "xml"),
        ("TOKENDESK_HTTP_PORT", "http"),
        ("TOKENDESK_HTTP_PORT", "70000"),
        ("TOKENDESK_SLA_HOURS", "-1"),
        ("TOKENDESK_AUTO_CLOSE_DAYS", "a week"),
        ("TOKENDESK_INCIDENT_THRESHOLD", "0"),
        ("TOKENDESK_GUILD_ID", "general"),
    ],
)
async def test_a_malformed_value_stops_the_process_in_one_line_naming_it(tmp_path, name, value):
    url = f"sqlite:///{tmp_path / 'l.db'}"
    code, out, err = await run_cli(
        "db", "upgrade", cwd=tmp_path, TOKENDESK_DATABASE_URL=url, **{name: value}
    )
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"tokendesk: bad setting {name}: ") and repr(value) in err
    assert not (tmp_path / "l.db").exists(), "nothing ran"


def test_new_settings_have_their_spec_defaults_and_are_read():
    defaults = load_settings({}, Path("/nonexistent"))
    assert (defaults.sla_hours, defaults.auto_close_days, defaults.incident_threshold) == (
        24,
        7,
        20,
    )
    assert (defaults.log_level, defaults.log_format, defaults.http_port) == ("INFO", "text", None)
    read = load_settings(
        {
            "TOKENDESK_SLA_HOURS": "12",
            "TOKENDESK_AUTO_CLOSE_DAYS": "3",
            "TOKENDESK_INCIDENT_THRESHOLD": "50",
            "TOKENDESK_LOG_LEVEL": "debug",
            "TOKENDESK_LOG_FORMAT": "JSON",
            "TOKENDESK_HTTP_PORT": "9100",
        },
        Path("/nonexistent"),
    )
    assert (read.sla_hours, read.auto_close_days, read.incident_threshold) == (12, 3, 50)
    assert (read.log_level, read.log_format, read.http_port) == ("DEBUG", "json", 9100)
