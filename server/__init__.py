"""The server layer: the routes the app serves beside its pages (stored media with HTTP Range, health, readiness,
the session cookie, exports) and the lifespan that starts the background workers with the server and stops them on
shutdown. ``app.py`` mounts it with ``st.App``; it talks to the same ``Services`` as the pages.

Layers: ``app.py`` → ``pages``/``server`` → ``components`` → ``starvideos``. Nothing here renders a page.
"""
