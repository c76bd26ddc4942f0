"""Checked when the action server starts: rasa-sdk imports every module of this package, so a
configuration problem stops it here with a message naming each variable, before any turn runs
(actions/settings.py). Tests that import single action modules do not import this one."""

from __future__ import annotations

from actions.settings import settings

settings()
