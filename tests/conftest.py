"""Shared fixtures: the sample scene (built once), paths, and output folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def sample_scene():
    """The embedded Alatau sample, built once per test session (read-only use only)."""
    from alatau_twin.io.sample import build_sample_scene

    return build_sample_scene()


@pytest.fixture()
def fresh_sample_scene():
    """A sample scene a test may modify."""
    from alatau_twin.io.sample import build_sample_scene

    return build_sample_scene()


@pytest.fixture(scope="session")
def has_display() -> bool:
    return bool(os.environ.get("DISPLAY"))


def pytest_collection_modifyitems(config, items) -> None:
    """Run the Qt window tests last.

    Once a process has opened a GLX context through Qt, later EGL off-screen renders in
    the same process draw lines differently (thinner, broken against the terrain), so
    a render baseline would depend on test order. Render and CLI tests therefore run
    before any window exists; the app itself never mixes the two.
    """
    items.sort(key=lambda item: "/tests/qt/" in str(item.fspath).replace("\\", "/"))
