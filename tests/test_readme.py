"""The README stays current: its configuration table lists every setting with its default."""

from __future__ import annotations

from pathlib import Path

from starvideos.settings import SETTINGS_DOC

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_configuration_table_lists_every_setting() -> None:
    """Test that every setting the app reads has a README row with its current default."""
    for name, (default, _meaning) in SETTINGS_DOC.items():
        assert f"| `{name}` | `{default}` |" in README, name


def test_two_setup_commands_and_screenshots() -> None:
    """Test that the README gives the install-and-run command, the test command, and existing screenshots."""
    assert "pip install -r requirements.txt && streamlit run app.py" in README
    assert "\n.ci/run\n" in README
    for shot in ("create.png", "history.png", "task.png"):
        assert f"docs/screenshots/{shot}" in README
        assert (Path(__file__).resolve().parents[1] / "docs" / "screenshots" / shot).exists()
