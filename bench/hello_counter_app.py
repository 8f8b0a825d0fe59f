"""The baseline app for B13: a button that reruns the script and shows a new number."""

import streamlit as st

st.session_state.setdefault("n", 0)
if st.button("Next"):
    st.session_state.n += 1
st.write(f"Take {st.session_state.n}")
