"""Reusable Streamlit pieces. Pages compose these; these call the UI-free ``starvideos`` package."""
