"""Load scenes in a worker thread so the window never freezes (ui: Qt threads).

The worker builds only the *model* (numpy, shapely, geopandas); every VTK call stays on
the main thread, which receives the finished scene through a queued signal. A VTK or GL
call from another thread would abort the process.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot


class _Worker(QObject):
    loaded = Signal(object)
    failed = Signal(str)

    def __init__(self, sources: Sequence[str], crs: str | None, date: str | None) -> None:
        super().__init__()
        self.sources = list(sources)
        self.crs = crs
        self.date = date

    @Slot()
    def run(self) -> None:
        from alatau_twin.io.loader import LoadError, load_scene

        try:
            scene = load_scene(self.sources, crs=self.crs)
            if self.date:
                scene.set_date(self.date)
        except LoadError as exc:
            self.failed.emit(str(exc))
            return
        except Exception as exc:  # a loader bug must reach the user, not kill the thread
            self.failed.emit(f"unexpected error while loading: {type(exc).__name__}: {exc}")
            return
        self.loaded.emit(scene)


class SceneLoader(QObject):
    """Runs one load in a ``QThread``; emits ``loaded(scene)`` or ``failed(message)``."""

    loaded = Signal(object)
    failed = Signal(str)

    def __init__(
        self,
        sources: Sequence[str],
        crs: str | None = None,
        date: str | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.thread = QThread(self)
        self.worker = _Worker(sources, crs, date)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.loaded.connect(self._done_ok)
        self.worker.failed.connect(self._done_err)

    def start(self) -> None:
        self.thread.start()

    def _finish(self) -> None:
        self.thread.quit()
        self.thread.wait()

    def _done_ok(self, scene: object) -> None:
        self._finish()
        self.loaded.emit(scene)

    def _done_err(self, message: str) -> None:
        self._finish()
        self.failed.emit(message)


class _AddWorker(QObject):
    loaded = Signal(object, object)  # layers, messages

    def __init__(self, paths: Sequence[str], frame: object) -> None:
        super().__init__()
        self.paths = list(paths)
        self.frame = frame

    @Slot()
    def run(self) -> None:
        from alatau_twin.io.loader import SourceError, SourceOptions, read_source

        layers: list[object] = []
        messages: list[str] = []
        for p in self.paths:
            try:
                new, _ = read_source(Path(p), self.frame, SourceOptions())  # type: ignore[arg-type]
            except SourceError as exc:
                messages.append(str(exc))
                continue
            except Exception as exc:  # a reader bug must reach the user, not kill the thread
                messages.append(f"{p}: unexpected error: {type(exc).__name__}: {exc}")
                continue
            for layer in new:
                messages.extend(f"{p}: {w}" for w in layer.report.warnings)  # type: ignore[attr-defined]
            layers.extend(new)
        self.loaded.emit(layers, messages)


class LayerAdder(QObject):
    """Reads files into layers of an existing scene's frame, in a ``QThread``."""

    loaded = Signal(object, object)

    def __init__(self, paths: Sequence[str], frame: object, parent: QObject | None = None):
        super().__init__(parent)
        self.thread = QThread(self)
        self.worker = _AddWorker(paths, frame)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.loaded.connect(self._done)

    def start(self) -> None:
        self.thread.start()

    def _done(self, layers: object, messages: object) -> None:
        self.thread.quit()
        self.thread.wait()
        self.loaded.emit(layers, messages)
