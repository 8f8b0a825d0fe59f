"""Every page of the app, declared once: the router builds its navigation from here and every link points here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str
    """The script, relative to app.py (what st.page_link and st.switch_page take)."""
    title: str
    icon: str
    url_path: str
    section: str = ""
    default: bool = False
    hidden: bool = False
    """Not listed in the navigation (reached from other pages)."""
    public: bool = False
    """Opens without the password or sign-in (a share link brings its own proof)."""


CREATE = PageSpec("pages/create.py", "Create", ":material/movie:", "create", "Make", default=True)
BATCH = PageSpec("pages/batch.py", "Batch", ":material/playlist_add:", "batch", "Make")
HISTORY = PageSpec("pages/history.py", "History", ":material/history:", "history", "Review")
GALLERY = PageSpec("pages/gallery.py", "Gallery", ":material/photo_library:", "gallery", "Review")
BOARDS = PageSpec("pages/boards.py", "Boards", ":material/dashboard:", "boards", "Review")
USAGE = PageSpec("pages/usage.py", "Usage", ":material/payments:", "usage", "Team")
PRESENT = PageSpec("pages/present.py", "Present", ":material/slideshow:", "present", hidden=True)
COMPARE = PageSpec("pages/compare.py", "Compare", ":material/compare:", "compare", hidden=True)
SHARED = PageSpec("pages/shared.py", "Shared board", ":material/share:", "shared", hidden=True, public=True)
SETUP = PageSpec("pages/setup.py", "Set up", ":material/key:", "setup", default=True)

APP_PAGES = (CREATE, BATCH, HISTORY, GALLERY, BOARDS, USAGE, PRESENT, COMPARE, SHARED)
SETUP_PAGES = (SETUP, SHARED)
