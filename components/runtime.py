"""Per-process resources: settings, the sandbox, the client, the history store and the status poller.

``st.cache_resource`` makes each exist once per server process, shared by every browser session; each is
thread-safe (see their classes).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import streamlit as st

from starvideos import HistoryStore, Settings, StarVideosClient, load_settings
from starvideos.poller import StatusPoller
from starvideos.sandbox import SandboxServer

SANDBOX_KEY = "sandbox-key-not-secret"  # the sandbox accepts any bearer token


@dataclass(frozen=True)
class Backend:
    settings: Settings
    client: StarVideosClient
    store: HistoryStore
    poller: StatusPoller
    sandbox: SandboxServer | None

    @property
    def probe_allow(self) -> frozenset[tuple[str, int]]:
        """Loopback addresses the image probe may visit: only the sandbox's own, in sandbox mode."""
        return frozenset() if self.sandbox is None else frozenset({("127.0.0.1", self.sandbox.port)})


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """Settings, read once per process: environment > .streamlit/secrets.toml > .env > defaults."""
    secrets = st.secrets.to_dict() if st.secrets.load_if_toml_exists() else {}
    return load_settings(secrets=secrets)


@st.cache_resource(show_spinner=False)
def backend() -> Backend:
    s = settings()
    sandbox = None
    if s.effective_mode == "sandbox":
        timing = {"queued_seconds": 3 / s.sandbox_speed, "processing_seconds": 6 / s.sandbox_speed}
        try:
            sandbox = SandboxServer(s.sandbox_port, **timing).start()
        except OSError:  # the stable port is taken (another app instance): any free port will do
            sandbox = SandboxServer(0, **timing).start()
        client = StarVideosClient(sandbox.base_url, SANDBOX_KEY, timeout=(s.connect_timeout, s.read_timeout),
                                  models=s.models)
    else:
        assert s.api_key, "setup mode has no backend"
        client = StarVideosClient(s.base_url, s.api_key, status_path=s.status_path, models=s.models,
                                  timeout=(s.connect_timeout, s.read_timeout))
    store = HistoryStore(s.history_file)
    poller = StatusPoller(client, store, interval=s.poll_interval)
    return Backend(s, client, store, poller, sandbox)


def session_id() -> str:
    """A random id for this browser session, for the "this session only" filter."""
    if "session_id" not in st.session_state:
        st.session_state.session_id = uuid.uuid4().hex
    return st.session_state.session_id
