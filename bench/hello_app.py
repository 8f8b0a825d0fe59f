"""The baseline app for B4 and B5: one line of output and one widget."""

import streamlit as st

st.write("Hello, StarVideos")
st.text_input("Name", key="name")
