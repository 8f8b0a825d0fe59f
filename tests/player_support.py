"""The moment player in AppTest: what the page gave it, and a press of one of its buttons as the browser sends it
(the component's trigger value; AppTest itself knows nothing of components v2)."""

from __future__ import annotations

import json
from typing import Any

from streamlit.components.v2.bidi_component.constants import EVENT_DELIM
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.runtime.state.session_state import STREAMLIT_INTERNAL_KEY_PREFIX
from streamlit.testing.v1 import AppTest


def players(at: AppTest) -> dict[str, dict[str, Any]]:
    """Each moment player on the page, by key: the data it was drawn with (src, markers, actions, seek)."""
    return {str(e.key): json.loads(e.proto.json) for e in at.get("bidi_component")
            if e.proto.component_name.endswith("starvideos_moment_player")}


def press(at: AppTest, key: str, action: str, seconds: float) -> AppTest:
    """Press the button ``action`` of the player ``key`` with the playhead at ``seconds``, as the browser does."""
    element = next(e for e in at.get("bidi_component") if e.key == key)
    states = at._tree.get_widget_states()
    states.widgets.append(WidgetState(
        id=f"{STREAMLIT_INTERNAL_KEY_PREFIX}_{element.proto.id}{EVENT_DELIM}events",
        json_trigger_value=json.dumps([{"event": "action", "value": {"action": action, "at": seconds}}])))
    at._run(states)
    assert not at.exception, at.exception
    return at
