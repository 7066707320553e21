"""Collector tests: moto in-process (`mock_aws`) with fake credentials, and botocore Stubber."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# `scanner` and `tests.awsfixtures` import from the repository root, whatever pytest's rootdir/import mode.
ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.collect.helpers import fake_aws_env  # noqa: E402


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_aws_env(monkeypatch, tmp_path)


@pytest.fixture
def aws(aws_env: None) -> Iterator[None]:
    """A fresh in-process moto account for one test."""
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def pinned_tasks(aws: None) -> Iterator[None]:
    from tests.awsfixtures import pin_ecs_tasks, unpin_ecs_tasks

    pin_ecs_tasks()
    yield
    unpin_ecs_tasks()
