"""The README stays current: its configuration table lists every setting with its default."""

from __future__ import annotations

from pathlib import Path

from starvideos.settings import SETTINGS_DOC, settings_table

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_configuration_table_lists_every_setting() -> None:
    """Test that every setting the app reads has a README row with its current default."""
    for name, (default, _meaning) in SETTINGS_DOC.items():
        assert f"| `{name}` | `{default}` |" in README, name


def test_configuration_table_is_made_from_the_declarations() -> None:
    """Test that README's configuration table is, row for row and in order, the one the settings' declarations make
    (print starvideos.settings.settings_table() and paste it when a setting changes)."""
    rows = [line for line in README.splitlines() if line.startswith("| `STARVIDEOS_") and "` | `" in line]
    assert settings_table() in README
    assert rows == settings_table().splitlines()[2:]


def test_two_setup_commands_and_screenshots() -> None:
    """Test that the README gives the install-and-run command, the test command, and existing screenshots."""
    assert ("python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements.txt && streamlit run app.py"
            in README)
    assert "\n.ci/run\n" in README
    for shot in ("create.png", "history.png", "task.png", "gallery.png", "board.png", "present.png", "compare.png",
                 "batch.png", "usage.png"):
        assert f"docs/screenshots/{shot}" in README
        assert (Path(__file__).resolve().parents[1] / "docs" / "screenshots" / shot).exists()


def test_env_example_lists_every_setting() -> None:
    """Test that .env.example, the file newcomers copy, names every setting."""
    example = (Path(__file__).resolve().parents[1] / ".env.example").read_text()
    for name in SETTINGS_DOC:
        assert f"{name}=" in example, name


def test_deploy_section_names_the_team_settings() -> None:
    """Test that the README's team deployment section covers the database, replicas, sign-in and its keys."""
    section = README[README.index("## Deploy for a team"):README.index("## Configuration")]
    for needle in ("STARVIDEOS_DATABASE_URL", "sticky sessions", "STARVIDEOS_ALLOWED_EMAILS", "Community Cloud",
                   "redirect_uri", "cookie_secret", "client_id", "server_metadata_url", "What stays local"):
        assert needle in section, needle
