"""Start the Qt application and the viewer window (ui: Qt).

The window appears at once with an empty viewport and a busy bar; the scene loads in a
worker thread and is drawn when it arrives. We measure the time to the first frame with
the scene in it, because "a living city in seconds" is a promise to new users.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence


def run_viewer(
    sources: Sequence[str] = (),
    *,
    view: str | None = None,
    date: str | None = None,
    theme: str | None = None,
    quit_after_first_frame: bool = False,
    t_start: float | None = None,
    crs: str | None = None,
    feeds: Sequence[str] = (),
    sample_sim: bool = True,
) -> int:
    """Open the viewer on ``sources`` (the sample when empty); returns the exit code.

    ``t_start`` is a ``time.perf_counter()`` reading taken when the command started, so
    "ready in N s" counts imports and loading too, as the user experiences it.
    """
    t_start = time.perf_counter() if t_start is None else t_start
    from PySide6.QtWidgets import QApplication

    from alatau_twin.ui.main_window import MainWindow, apply_palette, default_settings

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Alatau Twin")
    app.setOrganizationName("Alatau Twin")
    settings = default_settings()
    theme = theme or str(settings.value("theme", "light"))
    apply_palette(app, theme)
    # Live status: the sample starts with its simulator (unless --no-sim), any scene
    # with the --feed URLs (and a project with its [[feeds]]).
    window = MainWindow(theme=theme, settings=settings, feeds=list(feeds), sample_sim=sample_sim)
    status = {"code": 0}

    def on_loaded(_scene: object) -> None:
        if view:
            try:
                window.go_to_view(view, duration_ms=0)
            except KeyError:
                window.statusBar().showMessage(f"No view named {view!r}", 8000)

    def on_failed(message: str) -> None:
        print(f"alatau-twin: error: {message}", file=sys.stderr)
        if quit_after_first_frame:
            status["code"] = 2
            window.close()
            app.quit()

    def on_first_frame(_since_window: float) -> None:
        elapsed = time.perf_counter() - t_start
        window.statusBar().showMessage(f"Ready in {elapsed:.1f} s", 5000)
        if quit_after_first_frame:
            print(f"first frame after {elapsed:.3f} s")
            window.close()
            app.quit()

    window.scene_loaded.connect(on_loaded)
    window.load_failed.connect(on_failed)
    window.first_frame.connect(on_first_frame)
    window.show()
    window.open_sources(list(sources), crs=crs, date=date)
    code = int(app.exec())
    return status["code"] or code
