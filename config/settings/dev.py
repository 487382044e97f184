"""Local development: reads ``.env`` (written by ``make run`` on first use)."""

from __future__ import annotations

from pathlib import Path

import environ

# Must run before base.py reads the environment.
environ.Env.read_env(Path(__file__).resolve().parent.parent.parent / ".env")

from config.settings.base import *  # noqa: E402, F403
