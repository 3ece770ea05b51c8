"""Start the Qt application and the viewer window (ui: Qt).

Loading happens before the window opens for now; a worker-thread loader with a
progress bar is the viewer issue's job. We measure the time to the first rendered
frame because "a living city in seconds" is a promise to new users.
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
) -> int:
    """Open the viewer on ``sources`` (the sample when empty); returns the exit code.

    ``t_start`` is a ``time.perf_counter()`` reading taken when the command started, so
    "ready in N s" counts imports and loading too, as the user experiences it.
    """
    t_start = time.perf_counter() if t_start is None else t_start
    from PySide6.QtWidgets import QApplication, QMessageBox

    from alatau_twin.io.loader import LoadError, load_scene
    from alatau_twin.ui.main_window import MainWindow, apply_palette

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Alatau Twin")
    app.setOrganizationName("Alatau Twin")
    theme = theme or "light"
    apply_palette(app, theme)
    try:
        scene = load_scene(list(sources), crs=crs)
    except LoadError as exc:
        QMessageBox.critical(None, "Alatau Twin: nothing to open", str(exc))
        print(f"alatau-twin: error: {exc}", file=sys.stderr)
        return 2
    if date:
        scene.set_date(date)
    window = MainWindow(scene, theme=theme)
    for message in scene.metadata.get("messages", []):
        window.statusBar().showMessage(message, 10000)
    if view:
        window.scene_view.apply_view(view)

    def on_first_frame(_since_window: float) -> None:
        elapsed = time.perf_counter() - t_start
        window.statusBar().showMessage(f"Ready in {elapsed:.1f} s", 5000)
        if quit_after_first_frame:
            print(f"first frame after {elapsed:.3f} s")
            window.close()
            app.quit()

    window.first_frame.connect(on_first_frame)
    window.show()
    window.scheduler.request()
    return int(app.exec())
