"""SPEC 5: settings come from the environment, or a .env file, the environment winning."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings


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
