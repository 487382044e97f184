"""config/asgi.py freezes what a worker loaded at start (decision 60): the URLconf and its
views are loaded, and those objects are out of the cyclic collector's walks."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap


def test_a_worker_freezes_its_start_up_objects() -> None:
    # In a process of its own, as a worker starts: freezing is process-wide.
    script = textwrap.dedent(
        """
        import gc, sys
        import config.asgi
        from django.conf import settings
        assert settings.ROOT_URLCONF in sys.modules, "the URLconf is loaded at start"
        frozen = gc.get_freeze_count()
        gc.collect()
        print(frozen, len(gc.get_objects()))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert result.returncode == 0, result.stderr
    frozen, walked = (int(x) for x in result.stdout.split()[-2:])
    # Nearly everything alive is frozen; a full collection walks only what came after.
    assert frozen > 50_000
    assert walked < frozen / 10
    assert gc.isenabled()
