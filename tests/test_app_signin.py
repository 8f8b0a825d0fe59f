"""AppTest: sign-in with st.login (secrets' [auth]): only the gate before signing in, the allow-list, who created
what. The real OpenID Connect round trip is driven in Chromium (tests/e2e/test_team_e2e.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import runtime
from starvideos.models import VideoRequest
from tests.apptest_support import new_app, plain
from tests.creates import create_now

AUTH = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "not-a-real-secret-x",
                 "client_id": "studio", "client_secret": "studio-secret",
                 "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}}


def signed(email: str | None, **claims: object) -> AppTest:
    """The app signed in as ``email`` (verified by the provider, unless ``claims`` say otherwise)."""
    at = new_app()
    at.secrets.update(AUTH)
    at.user = {"is_logged_in": True, "email": email, "email_verified": True, **claims} if email else \
        {"is_logged_in": False}
    return at.run()


def test_before_sign_in_only_the_sign_in_button(app_env: Path) -> None:
    """Test that with [auth] configured nothing but the sign-in page renders before signing in."""
    at = signed(None)
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"] and not at.text_area and not at.sidebar.children


def test_outside_the_allow_list_is_refused_with_a_sign_out(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that an address outside STARVIDEOS_ALLOWED_EMAILS gets a plain "not allowed" page and "Sign out"."""
    monkeypatch.setenv("STARVIDEOS_ALLOWED_EMAILS", "ann@team.test, @studio.test")
    at = signed("mallory@elsewhere.test")
    assert at.error[0].value == "**Not allowed.**"
    assert at.text[0].value == ("mallory@elsewhere.test is not on this app's list. Ask an admin to add your address to "
                                "STARVIDEOS_ALLOWED_EMAILS, or sign in with another account.")  # plain text
    assert [b.label for b in at.button] == ["Sign out"] and not at.text_area
    assert signed("bob@studio.test").text_area(key="form_prompt").label == "Prompt"  # a listed @domain


@pytest.mark.parametrize(("email", "claims"), [
    ("ceo@example.com", {"email_verified": False}),
    ("ceo@example.com", {"email_verified": None}),
    ("mallory@evil.test@example.com", {}),
], ids=["unverified", "verification not said", "two @"])
def test_an_unverified_or_doubled_address_is_refused(app_env: Path, monkeypatch: pytest.MonkeyPatch, email: str,
                                                     claims: dict) -> None:
    """Test that with STARVIDEOS_ALLOWED_EMAILS=@example.com an address the provider did not verify, and one with
    two @, get the "not allowed" page with "Sign out" and nothing of the app; a verified one gets in."""
    monkeypatch.setenv("STARVIDEOS_ALLOWED_EMAILS", "@example.com")
    at = signed(email, **claims)
    assert not at.exception
    assert plain(at.error[0].value).startswith("**Not allowed.**")
    assert [b.label for b in at.button] == ["Sign out"] and not at.text_area and not at.sidebar.children
    assert signed("ann@example.com").text_area(key="form_prompt").label == "Prompt"


def test_a_provider_without_the_claim_is_trusted_only_when_told(app_env: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that STARVIDEOS_TRUST_UNVERIFIED_EMAIL=1 admits a listed address whose provider sends no email_verified,
    and still refuses one it marks unverified."""
    monkeypatch.setenv("STARVIDEOS_ALLOWED_EMAILS", "@example.com")
    monkeypatch.setenv("STARVIDEOS_TRUST_UNVERIFIED_EMAIL", "1")
    assert signed("ann@example.com", email_verified=None).text_area(key="form_prompt").label == "Prompt"
    assert [b.label for b in signed("ceo@example.com", email_verified=False).button] == ["Sign out"]


def test_who_created_what(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that a signed-in create records its author, History shows "Created by" and "Mine" filters to it."""
    monkeypatch.setenv("STARVIDEOS_ALLOWED_EMAILS", "ann@team.test, bob@team.test")
    at = signed("Ann@Team.test")
    assert "Signed in as ann@team\\.test" in [c.value for c in at.sidebar.caption]
    assert [b.label for b in at.sidebar.button] == ["Sign out"]
    at.text_area(key="form_prompt").set_value("Ann's lighthouse").run()
    at.button(key="create_button").click().run()
    b = runtime.backend()
    create_now(b.client, b.store, VideoRequest("Bob's fox"), created_by="bob@team.test")
    assert [(r.prompt, r.created_by) for r in b.store.list()] == [("Bob's fox", "bob@team.test"),
                                                                   ("Ann's lighthouse", "ann@team.test")]
    at.switch_page("pages/history.py").run()
    df = at.dataframe[0].value
    assert list(df.columns)[:4] == ["Time", "Status", "Prompt", "Created by"]
    assert list(df["Created by"]) == ["bob@team.test", "ann@team.test"]
    at.toggle(key="filter_mine").set_value(True).run()
    assert list(at.dataframe[0].value["Prompt"]) == ["Ann's lighthouse"]
