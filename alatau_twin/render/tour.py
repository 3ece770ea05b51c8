"""Camera tours rendered headless, frame by frame, into images or an MP4 (render: VTK).

One off-screen plotter and one :class:`SceneView` serve the whole tour: per frame only
the camera moves, the date (building growth, in place) and, when a new keyframe begins,
the layers, overlay and what-if change. Frames are a pure function of the tour time,
so rendering the same tour twice gives the same pictures (the tests compare them).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alatau_twin.core.presentation import (
    PRESENTATION_SUN,
    OverlayRegistry,
    SlideApplier,
    Tour,
    TourState,
    WhatIfHandler,
    default_kpis,
    scene_overlays,
)
from alatau_twin.core.scene import Scene
from alatau_twin.render.offscreen import offscreen_plotter
from alatau_twin.render.overlays import PresentationOverlay
from alatau_twin.render.scene_view import SceneView
from alatau_twin.render.theme import RenderTheme, get_theme

ProgressCallback = Callable[[int, int], None]
KpiProvider = Callable[[Scene, TourState], Mapping[str, str]]


def default_overlays(scene: Scene) -> OverlayRegistry:
    """The overlays a headless render can apply on its own (``style:<column>``, ``phase``,
    ``schedule status``); live ones such as ``status`` need the app's feeds."""
    return scene_overlays(scene)


class TourRenderer:
    """Renders tour states off-screen at a fixed size."""

    def __init__(
        self,
        scene: Scene,
        size: tuple[int, int] = (1920, 1080),
        theme: str | RenderTheme = "light",
        *,
        overlays: OverlayRegistry | None = None,
        what_if: WhatIfHandler | None = None,
        kpi_provider: KpiProvider | None = None,
        captions: bool = True,
        sun: Any = PRESENTATION_SUN,
    ) -> None:
        self.scene = scene
        self.size = size
        self.theme = get_theme(theme) if isinstance(theme, str) else theme
        self.plotter = offscreen_plotter(size)
        self.view = SceneView(self.plotter, scene, self.theme)
        if sun is not None:
            self.view.set_sun(sun, shadows=True)
        self.applier = SlideApplier(
            scene, overlays if overlays is not None else default_overlays(scene), what_if
        )
        self.overlay = PresentationOverlay(self.plotter, self.theme) if captions else None
        self.kpi_provider = kpi_provider or (
            lambda sc, st: default_kpis(sc, st.slide.out_of_service)
        )
        self._kpi_key: Any = None
        self._slide: Any = None
        self._kpis: Mapping[str, str] = {}

    def render_state(self, state: TourState) -> np.ndarray:
        changed = state.slide != self._slide
        self.applier.apply(state.slide, state.date)
        if changed:  # other layers and colours: the legend follows
            self._slide = state.slide
            self.view.refresh_legend()
        self.view.apply_view(state.camera)
        if self.overlay is not None:
            key = (state.index, state.date)
            if key != self._kpi_key:  # KPIs change with the date and the what-if only
                self._kpis = self.kpi_provider(self.scene, state)
                self._kpi_key = key
            self.overlay.set_content(
                state.slide.title, state.slide.caption, state.date, state.slide.mode, self._kpis
            )
        return self.view.screenshot()

    def render_at(self, tour: Tour, t: float) -> np.ndarray:
        return self.render_state(tour.state_at(t))

    def frames(self, tour: Tour, fps: float) -> Iterator[np.ndarray]:
        for t in tour.frame_times(fps):
            yield self.render_at(tour, float(t))

    def close(self) -> None:
        self.applier.release()  # overlay off, colours back: the scene may live on
        if self.overlay is not None:
            self.overlay.close()
        self.view.close()
        self.plotter.close()

    def __enter__(self) -> TourRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class ExportResult:
    output: Path
    frames: int
    fps: float
    size: tuple[int, int]
    seconds: float  # wall time of the export

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    @property
    def duration(self) -> float:
        return self.frames / self.fps


def export_tour(
    scene: Scene,
    tour: Tour,
    output: str | os.PathLike[str],
    *,
    size: tuple[int, int] = (1920, 1080),
    fps: float = 30.0,
    theme: str | RenderTheme = "light",
    progress: ProgressCallback | None = None,
    captions: bool = True,
) -> ExportResult:
    """Render every frame of ``tour`` and write an MP4 atomically."""
    from alatau_twin.io.video import VideoWriter

    if not tour.keyframes:
        raise ValueError("the tour has no keyframes")
    total = tour.frame_count(fps)
    t0 = time.perf_counter()
    with TourRenderer(scene, size, theme, captions=captions) as renderer:
        writer = VideoWriter(output, size, fps)
        try:
            for i, t in enumerate(tour.frame_times(fps)):
                writer.append(renderer.render_at(tour, float(t)))
                if progress is not None:
                    progress(i + 1, total)
        except BaseException:
            writer.abort()
            raise
        out = writer.close()
    return ExportResult(out, total, float(fps), size, time.perf_counter() - t0)
