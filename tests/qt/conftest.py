"""Qt fixtures: real windows under Xvfb, and a teardown that fails on leaks.

Like napari's ``make_napari_viewer``: the fixture owns every window it makes, closes
them, and then checks that no 3D viewport is left open and no top-level window is
left visible, so a test that leaks GL contexts or widgets fails where it leaked.
"""

from __future__ import annotations

import gc
import os

import pytest


def _open_interactors() -> list[object]:
    from alatau_twin.ui.gl_viewport import Viewport

    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, Viewport) and not o._closed]


@pytest.fixture()
def make_window(qtbot, qapp, tmp_path):
    if not os.environ.get("DISPLAY"):
        pytest.fail("Qt window tests need a display: run them through tests/run.sh (Xvfb)")
    from alatau_twin.ui.main_window import MainWindow

    made: list[MainWindow] = []
    before = len(_open_interactors())

    from PySide6.QtCore import QSettings

    def factory(scene=None, **kw) -> MainWindow:
        # Never the user's real settings: each test gets its own ini file.
        kw.setdefault(
            "settings", QSettings(str(tmp_path / "alatau.ini"), QSettings.Format.IniFormat)
        )
        window = MainWindow(scene, **kw)
        made.append(window)
        return window

    yield factory
    for window in made:
        window.close()
        window.deleteLater()
    qapp.processEvents()
    leaked = len(_open_interactors()) - before
    assert leaked == 0, f"{leaked} viewport(s) left open"
    # Qt's shared tooltip label fades out on a timer after hideText(): not a leak.
    visible = [
        w for w in qapp.topLevelWidgets() if w.isVisible() and w.objectName() != "qtooltip_label"
    ]
    assert not visible, f"windows left open: {visible}"
