"""Keeping secrets out of what the app shows, stores, exports and logs, in whatever form they come back.

A provider that echoes the API key rarely echoes it plainly: a JSON body may carry it as ``sk\\u002d…``, an echoed URL
as ``sk%2D…`` (or ``%2d``, or ``%252D`` when encoded twice), an HTML error page as ``sk&#45;…``, a gateway as
``Authorization: Bearer …`` or inside a ``Basic`` header's base64, an upper-cased log as ``SK-…``, a "did you mean"
as the first twenty characters. ``Redactor`` reads text the way each of those decoders would, finds every run of at
least ``MIN_RUN`` characters of a secret in it (a prefix that long leaves a guesser too little to find), and replaces
the run, as written, with ``***``. Whatever follows ``Bearer`` is replaced too, known secret or not.

The client redacts every answer before anything reads it (JSON is decoded first, then every string in it is
redacted). Errors (when built), exports and the log filter use the secrets the app ``register``-s at start-up: the
live API key, the app password, storage and database credentials.
"""

from __future__ import annotations

import base64
import bisect
import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

MIN_RUN = 8
"""Runs of a secret at least this long are redacted; a secret shorter than this only whole."""
MASK = "***"
# Lower-cases ASCII only, so positions stay where they were (str.lower turns some letters into two).
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

# One escaped character, in any of the forms a decoder between the provider and us undoes: JSON \uXXXX (behind any
# number of backslashes: JSON inside JSON), JSON's \/, percent-encoding (%25 repeated: encoded more than once) and
# HTML character references.
_ESCAPE = re.compile(r"\\+u([0-9a-fA-F]{4})|\\+(/)|%(?:25)*([0-9a-fA-F]{2})|&#[xX]([0-9a-fA-F]{1,6});?"
                     r"|&#([0-9]{1,7});?")
_MAY_ESCAPE = re.compile(r"[\\%&]")
# A bearer credential as an echoed header writes it (also URL-encoded): 8 or more token characters, at least one
# not a letter, so "bearer instruments" in a sentence stays.
_BEARER = re.compile(r"(?i)\b(bearer)(\s+|%20|\+)(?=[^\s\"'<>,;]*[^a-z\s\"'<>,;])[^\s\"'<>,;]{8,}")


class Redactor:
    """Redacts a fixed set of secrets (empty strings and None are ignored) from text and decoded JSON."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.secrets = frozenset(s for s in secrets if s)
        patterns = {p.translate(_ASCII_LOWER) for secret in self.secrets for p in _patterns(secret)}
        self._runs = frozenset(p for p in patterns if len(p) == MIN_RUN)
        self._wholes = tuple(p for p in patterns if len(p) < MIN_RUN)

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def text(self, text: str) -> str:
        """``text`` with every form of every secret, and every bearer credential, replaced by ``***``."""
        text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
        if not self.secrets:
            return text
        plain, starts, spans = _decode(text) if _MAY_ESCAPE.search(text) else (text, [0], [(0, 0, len(text), True)])
        covered = self._find(plain.translate(_ASCII_LOWER))
        if not covered:
            return text
        out, at = [], 0
        for start, end in covered:
            first = spans[bisect.bisect_right(starts, start) - 1]
            last = spans[bisect.bisect_right(starts, end - 1) - 1]
            begin = first[1] + (start - first[0] if first[3] else 0)
            finish = last[1] + (end - last[0]) if last[3] else last[2]
            out += [text[at:begin], MASK]
            at = finish
        out.append(text[at:])
        return "".join(out)

    def _find(self, plain: str) -> list[list[int]]:
        """The stretches of ``plain`` (decoded, ASCII lower-cased) that are runs of a secret, merged."""
        found: list[tuple[int, int]] = []
        last = len(plain) - MIN_RUN + 1
        if self._runs and last > 0:
            hits = self._runs.intersection([plain[i:i + MIN_RUN] for i in range(last)])  # most text has none
            if hits:
                found += [(i, i + MIN_RUN) for i in range(last) if plain[i:i + MIN_RUN] in hits]
        for whole in self._wholes:
            at = plain.find(whole)
            while at >= 0:
                found.append((at, at + len(whole)))
                at = plain.find(whole, at + 1)
        merged: list[list[int]] = []
        for start, end in sorted(found):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return merged

    def value(self, value: Any) -> Any:
        """A copy of decoded JSON (or any nest of dicts, lists and tuples) with every string and key redacted.

        Walked with a stack, not recursion: a provider's answer may nest as deep as the JSON decoder allows.
        """
        if not isinstance(value, (dict, list, tuple)):
            return self._leaf(value)
        root: Any = {} if isinstance(value, dict) else []
        stack: list[tuple[Any, Any]] = [(value, root)]
        while stack:
            source, target = stack.pop()
            items = source.items() if isinstance(source, dict) else enumerate(source)
            for key, item in items:
                nested = isinstance(item, (dict, list, tuple))
                copy = ({} if isinstance(item, dict) else []) if nested else self._leaf(item)
                if nested:
                    stack.append((item, copy))
                if isinstance(target, dict):
                    target[self._leaf(key)] = copy
                else:
                    target.append(copy)
        return root

    def _leaf(self, value: Any) -> Any:
        return self.text(value) if isinstance(value, str) else value


def _patterns(secret: str) -> set[str]:
    """What to look for: every ``MIN_RUN``-long run of the secret and of its base64 forms (whole when shorter)."""
    forms = [secret]
    raw = secret.encode("utf-8")
    if len(raw) >= 12:
        for offset in range(3):  # where the secret starts within base64's 3-byte groups
            for encode in (base64.b64encode, base64.urlsafe_b64encode):
                encoded = encode(b"\0" * offset + raw).decode("ascii")
                # The first group mixes in what came before, the last what comes after (or padding).
                forms.append(encoded[4 if offset else 0:-4])
    found = set()
    for form in forms:
        if len(form) <= MIN_RUN:
            found.add(form)
        else:
            found.update(form[i:i + MIN_RUN] for i in range(len(form) - MIN_RUN + 1))
    return found


def _decode(text: str) -> tuple[str, list[int], list[tuple[int, int, int, bool]]]:
    """``text`` with every escaped character decoded, and where each piece came from: ``spans`` holds
    (start in the decoded text, start in ``text``, end in ``text``, whether it is a literal run) and ``starts`` the
    first of each, for bisecting."""
    pieces: list[str] = []
    spans: list[tuple[int, int, int, bool]] = []
    length, at = 0, 0
    for match in _ESCAPE.finditer(text):
        if match.start() > at:
            spans.append((length, at, match.start(), True))
            pieces.append(text[at:match.start()])
            length += match.start() - at
        spans.append((length, match.start(), match.end(), False))
        pieces.append(_unescape(match))
        length += 1
        at = match.end()
    if at < len(text) or not spans:
        spans.append((length, at, len(text), True))
        pieces.append(text[at:])
    return "".join(pieces), [span[0] for span in spans], spans


def _unescape(match: re.Match[str]) -> str:
    hex4, slash, percent, html_hex, html_dec = match.groups()
    code = int(hex4 or percent or html_hex or "0", 16) if not (slash or html_dec) else \
        ord("/") if slash else int(html_dec)
    return chr(code) if code <= 0x10FFFF else "\ufffd"


# The secrets this process holds, for the places that do not hold them (exports, the log filter) -----------------

_lock = threading.Lock()
_known: frozenset[str] = frozenset()
_known_redactor = Redactor()


def register(*secrets: str | None) -> None:
    """Add secrets this process holds (the API key, a storage secret) to those ``redact`` removes everywhere."""
    global _known, _known_redactor
    with _lock:
        more = _known | {s for s in secrets if s}
        if more != _known:
            _known, _known_redactor = more, Redactor(more)


def known() -> Redactor:
    """A redactor for every secret ``register``-ed so far."""
    return _known_redactor


def redact(value: Any) -> Any:
    """``value`` (text or decoded JSON) without any registered secret or bearer credential."""
    return known().value(value)


class RedactingFilter(logging.Filter):
    """A log filter that rewrites each record without the given secrets, the registered ones, or bearer
    credentials: its message (with its arguments), its exception's traceback and its stack."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self._own = frozenset(s for s in secrets if s)
        self._cache: tuple[frozenset[str], Redactor] | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        redactor = self._redactor()
        message = record.getMessage()
        clean = redactor.text(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redactor.text(record.exc_text)
        if record.stack_info:
            record.stack_info = redactor.text(record.stack_info)
        return True

    def _redactor(self) -> Redactor:
        secrets = self._own | _known
        if self._cache is None or self._cache[0] != secrets:
            self._cache = (secrets, Redactor(secrets))
        return self._cache[1]
