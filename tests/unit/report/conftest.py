"""Renderer tests: pure ScanResult -> text, no AWS."""

from __future__ import annotations

import sys
from pathlib import Path

# `scanner` and `tests.*` import from the repository root, whatever pytest's rootdir/import mode.
ROOT = str(Path(__file__).resolve().parents[3])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
