"""Slides, decks, camera tours, easing and camera interpolation (core: no Qt, no VTK).

A *slide* is everything a presenter needs to bring a view back exactly: the camera, the
time cursor, which layers show with which filters, an overlay, a "what-if" outage and
the words on screen. A *deck* is an ordered list of slides; a *tour* is a list of
keyframes (a slide plus timing) that plays as one continuous camera flight. All of it is
plain data, so the same tour drives the app's presentation mode and the headless video
export, and a deck saved in a project comes back value for value.

Camera flights interpolate on the orbit around the focal point rather than moving the
camera position in a straight line: the focal point moves linearly, the viewing
direction turns on a great circle (slerp), the distance changes geometrically (a zoom
by the same factor per second feels even) and long, low flights lift in the middle, so
a cut from one district to the next reads as a flight, not a slide along the ground.
"""

from __future__ import annotations

import datetime
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from alatau_twin.core.views import CameraView, SavedView

if TYPE_CHECKING:
    from alatau_twin.core.scene import Scene

log = logging.getLogger(__name__)

MODES = ("actual", "planned")
# The sun for presentations and tours: a summer afternoon in Alatau (UTC+5). Shaded
# walls and ground shadows give the city depth that flat lighting does not.
PRESENTATION_SUN = datetime.datetime(
    2026, 6, 21, 16, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=5))
)

# -- easing ------------------------------------------------------------------------------


def _linear(t: float) -> float:
    return t


def _ease_in(t: float) -> float:
    return t * t * t


def _ease_out(t: float) -> float:
    u = 1.0 - t
    return 1.0 - u * u * u


def _ease_in_out(t: float) -> float:
    # Cubic: gentle start and stop, the camera's usual flight.
    return 4.0 * t * t * t if t < 0.5 else 1.0 - (-2.0 * t + 2.0) ** 3 / 2.0


def _smoothstep(t: float) -> float:
    return t * t * (3.0 - 2.0 * t)


def _ease_in_out_sine(t: float) -> float:
    return 0.5 - 0.5 * math.cos(math.pi * t)


EASINGS: dict[str, Callable[[float], float]] = {
    "linear": _linear,
    "ease-in": _ease_in,
    "ease-out": _ease_out,
    "ease-in-out": _ease_in_out,
    "smoothstep": _smoothstep,
    "sine": _ease_in_out_sine,
}


def ease(name: str, t: float) -> float:
    """``t`` in [0, 1] through the named easing; ends are exactly 0 and 1."""
    try:
        fn = EASINGS[name]
    except KeyError:
        raise ValueError(f"unknown easing {name!r}; choose from {sorted(EASINGS)}") from None
    if t <= 0.0:
        return 0.0
    if t >= 1.0:
        return 1.0
    return float(fn(float(t)))


# -- camera interpolation -----------------------------------------------------------------


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-12 else v


def slerp(a: Sequence[float], b: Sequence[float], t: float) -> np.ndarray:
    """Spherical interpolation between two directions (unit vectors of the result).

    Opposite directions have no unique great circle; we turn about the vertical (or, for
    vertical directions, about grid north) so the flight is still well defined.
    """
    u0 = _unit(np.asarray(a, float))
    u1 = _unit(np.asarray(b, float))
    dot = float(np.clip(np.dot(u0, u1), -1.0, 1.0))
    if dot > 0.9995:  # nearly the same: linear is exact enough and stable
        return _unit(u0 + t * (u1 - u0))
    if dot < -0.9995:
        axis = np.array([0.0, 0.0, 1.0])
        if abs(float(np.dot(u0, axis))) > 0.9:
            axis = np.array([0.0, 1.0, 0.0])
        ortho = _unit(axis - np.dot(axis, u0) * u0)
        theta = math.pi * t
        return _unit(math.cos(theta) * u0 + math.sin(theta) * ortho)
    omega = math.acos(dot)
    s = math.sin(omega)
    return _unit((math.sin((1 - t) * omega) * u0 + math.sin(t * omega) * u1) / s)


def lift_factor(a: CameraView, b: CameraView, strength: float = 0.5) -> float:
    """How much a flight from ``a`` to ``b`` rises at its midpoint (0 = not at all).

    A flight whose focal point travels further than the cameras stand from it would
    skim the ground; lifting it in proportion (van Wijk's "zoom out to pan" idea, kept
    simple) keeps both places in view for most of the flight.
    """
    f0, f1 = np.asarray(a.focal_point, float), np.asarray(b.focal_point, float)
    d0 = float(np.linalg.norm(np.subtract(a.position, f0)))
    d1 = float(np.linalg.norm(np.subtract(b.position, f1)))
    travel = float(np.linalg.norm(f1 - f0))
    ratio = travel / max(d0, d1, 1e-9)
    return min(1.5, max(0.0, ratio - 0.3) * strength)


def interpolate_camera(a: CameraView, b: CameraView, t: float, *, lift: bool = True) -> CameraView:
    """The camera a fraction ``t`` of the way from ``a`` to ``b`` (already eased).

    ``t <= 0`` gives ``a`` and ``t >= 1`` gives ``b`` exactly, so a flight ends on the
    stored numbers and a slide restores value for value.
    """
    if t <= 0.0:
        return a
    if t >= 1.0:
        return b
    f0, f1 = np.asarray(a.focal_point, float), np.asarray(b.focal_point, float)
    r0 = np.asarray(a.position, float) - f0
    r1 = np.asarray(b.position, float) - f1
    d0, d1 = max(float(np.linalg.norm(r0)), 1e-6), max(float(np.linalg.norm(r1)), 1e-6)
    focal = f0 + t * (f1 - f0)
    direction = slerp(r0, r1, t)
    distance = d0 * (d1 / d0) ** t
    if lift:
        distance *= 1.0 + lift_factor(a, b) * math.sin(math.pi * t)
    position = focal + direction * distance
    up = slerp(a.view_up, b.view_up, t)
    # Keep "up" perpendicular to the view; if it falls along it, use the endpoints' up.
    ortho = up - np.dot(up, direction) * direction
    if np.linalg.norm(ortho) < 1e-6:
        alt = np.asarray(b.view_up if t > 0.5 else a.view_up, float)
        ortho = alt - np.dot(alt, direction) * direction
    up = _unit(ortho)
    angle = a.view_angle + t * (b.view_angle - a.view_angle)
    return CameraView(
        b.name,
        (float(position[0]), float(position[1]), float(position[2])),
        (float(focal[0]), float(focal[1]), float(focal[2])),
        (float(up[0]), float(up[1]), float(up[2])),
        float(angle),
        b.title,
    )


def interpolate_date(a: str | None, b: str | None, t: float) -> str | None:
    """An ISO date between two ISO dates (whole days); a missing end means no blend:
    the target's date holds from the start of the transition."""
    if a is None or b is None or t >= 1.0:
        return b
    if t <= 0.0:
        return a
    da = np.datetime64(a, "D").astype("int64")
    db = np.datetime64(b, "D").astype("int64")
    day = round(float(da) + t * float(db - da))
    return str(np.datetime64(day, "D"))


# -- slides and decks ---------------------------------------------------------------------


def _vec3(values: Iterable[Any]) -> tuple[float, float, float]:
    v = tuple(float(x) for x in values)
    if len(v) != 3:
        raise ValueError(f"expected 3 numbers, got {len(v)}")
    return (v[0], v[1], v[2])


def camera_to_dict(cam: CameraView) -> dict[str, Any]:
    """A camera as plain floats (numpy scalars would not survive TOML)."""
    return {
        "name": str(cam.name),
        "title": str(cam.title),
        "position": [float(v) for v in cam.position],
        "focal_point": [float(v) for v in cam.focal_point],
        "view_up": [float(v) for v in cam.view_up],
        "view_angle": float(cam.view_angle),
    }


def camera_from_dict(d: Mapping[str, Any], default_name: str = "") -> CameraView:
    return CameraView(
        str(d.get("name", default_name)),
        _vec3(d["position"]),
        _vec3(d["focal_point"]),
        _vec3(d.get("view_up", (0.0, 0.0, 1.0))),
        float(d.get("view_angle", 30.0)),
        str(d.get("title", "")),
    )


def clean_camera(cam: CameraView) -> CameraView:
    """The same camera with plain Python floats, so equality after a round trip holds."""
    return camera_from_dict(camera_to_dict(cam), cam.name)


@dataclass(frozen=True)
class Slide:
    """One presentation state. ``date`` None means no time cursor (everything built)."""

    title: str
    camera: CameraView
    caption: str = ""
    date: str | None = None
    mode: str = "actual"
    visible: Mapping[str, bool] = field(default_factory=dict)
    filters: Mapping[str, str] = field(default_factory=dict)
    overlay: str = ""
    out_of_service: tuple[str, ...] = ()
    transition_s: float = 2.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"slide {self.title!r}: mode must be one of {MODES}")
        if self.date is not None:
            object.__setattr__(self, "date", str(np.datetime64(self.date, "D")))
        object.__setattr__(self, "camera", clean_camera(self.camera))
        object.__setattr__(self, "out_of_service", tuple(str(x) for x in self.out_of_service))
        object.__setattr__(self, "visible", {str(k): bool(v) for k, v in self.visible.items()})
        object.__setattr__(self, "filters", {str(k): str(v) for k, v in self.filters.items()})
        object.__setattr__(self, "transition_s", float(self.transition_s))

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "title": self.title,
            "caption": self.caption,
            "mode": self.mode,
            "overlay": self.overlay,
            "out_of_service": list(self.out_of_service),
            "transition_s": self.transition_s,
            "visible": dict(self.visible),
            "filters": dict(self.filters),
            "camera": camera_to_dict(self.camera),
        }
        if self.date is not None:  # TOML has no null: an absent key is "no date"
            d["date"] = self.date
        return d

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> Slide:
        return Slide(
            title=str(d.get("title", "")),
            camera=camera_from_dict(d["camera"], str(d.get("title", ""))),
            caption=str(d.get("caption", "")),
            date=None if d.get("date") in (None, "") else str(d["date"]),
            mode=str(d.get("mode", "actual")),
            visible={str(k): bool(v) for k, v in dict(d.get("visible", {})).items()},
            filters={str(k): str(v) for k, v in dict(d.get("filters", {})).items()},
            overlay=str(d.get("overlay", "")),
            out_of_service=tuple(str(x) for x in d.get("out_of_service", ())),
            transition_s=float(d.get("transition_s", 2.0)),
        )

    def saved_view(self) -> SavedView:
        """The layer part of the slide, as a saved view (reuses Scene.restore_layers)."""
        return SavedView(self.title, self.camera, dict(self.visible), dict(self.filters))


@dataclass
class Deck:
    """An ordered list of slides, navigated with next/previous in presentation mode."""

    slides: list[Slide] = field(default_factory=list)
    title: str = ""

    def __len__(self) -> int:
        return len(self.slides)

    def __getitem__(self, i: int) -> Slide:
        return self.slides[i]

    def to_dicts(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.slides]

    @staticmethod
    def from_dicts(items: Iterable[Mapping[str, Any]], title: str = "") -> Deck:
        return Deck([Slide.from_dict(x) for x in items], title)


def capture_slide(
    scene: Scene,
    camera: CameraView,
    title: str,
    *,
    caption: str = "",
    overlay: str = "",
    out_of_service: Iterable[str] = (),
    mode: str = "actual",
    transition_s: float = 2.0,
) -> Slide:
    """A slide of what the scene shows now (layers, filters, date) from ``camera``."""
    date = None if scene.date is None else str(np.datetime64(scene.date, "D"))
    return Slide(
        title=title,
        camera=camera,
        caption=caption,
        date=date,
        mode=mode,
        visible={layer.name: layer.visible for layer in scene.layers},
        filters={layer.name: layer.filter_text for layer in scene.layers if layer.filter_text},
        overlay=overlay,
        out_of_service=tuple(out_of_service),
        transition_s=transition_s,
    )


# -- tours --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Keyframe:
    """A tour stop: the slide shown, the flight that reaches it and how long it stays.

    ``duration_s`` is the flight from the previous keyframe (ignored for the first);
    ``hold_s`` is the still time after arriving. ``easing`` shapes the flight.
    """

    slide: Slide
    duration_s: float = 3.0
    hold_s: float = 1.0
    easing: str = "ease-in-out"

    def __post_init__(self) -> None:
        if self.easing not in EASINGS:
            raise ValueError(f"unknown easing {self.easing!r}; choose from {sorted(EASINGS)}")
        if self.duration_s < 0 or self.hold_s < 0:
            raise ValueError("keyframe durations must not be negative")
        object.__setattr__(self, "duration_s", float(self.duration_s))
        object.__setattr__(self, "hold_s", float(self.hold_s))

    def to_dict(self) -> dict[str, Any]:
        d = self.slide.to_dict()
        d.update(duration_s=self.duration_s, hold_s=self.hold_s, easing=self.easing)
        return d

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> Keyframe:
        return Keyframe(
            Slide.from_dict(d),
            float(d.get("duration_s", 3.0)),
            float(d.get("hold_s", 1.0)),
            str(d.get("easing", "ease-in-out")),
        )


@dataclass(frozen=True)
class TourState:
    """What the tour shows at one instant."""

    time_s: float
    camera: CameraView
    date: str | None
    slide: Slide  # the keyframe whose layers, overlay and words apply now
    index: int  # that keyframe's index
    moving: bool  # True during a flight, False while holding


@dataclass
class Tour:
    """Keyframes played as one timeline: hold, fly, hold, fly, ... hold."""

    keyframes: list[Keyframe] = field(default_factory=list)
    title: str = ""

    @property
    def duration(self) -> float:
        if not self.keyframes:
            return 0.0
        first, rest = self.keyframes[0], self.keyframes[1:]
        return first.hold_s + sum(k.duration_s + k.hold_s for k in rest)

    def starts(self) -> list[float]:
        """Time at which each keyframe's flight begins (the first's hold begins at 0)."""
        out, t = [], 0.0
        for i, k in enumerate(self.keyframes):
            out.append(t)
            t += (k.duration_s if i else 0.0) + k.hold_s
        return out

    def state_at(self, t: float) -> TourState:
        """Camera, date and slide at ``t`` seconds (clamped to the tour)."""
        if not self.keyframes:
            raise ValueError("an empty tour has no state")
        t = min(max(float(t), 0.0), self.duration)
        starts = self.starts()
        i = 0
        for j, s in enumerate(starts):
            if t >= s:
                i = j
        k = self.keyframes[i]
        local = t - starts[i]
        if i == 0 or local >= k.duration_s:
            return TourState(t, k.slide.camera, k.slide.date, k.slide, i, False)
        prev = self.keyframes[i - 1].slide
        u = local / k.duration_s
        cam = interpolate_camera(prev.camera, k.slide.camera, ease(k.easing, u))
        # Dates run on a uniform clock so the years tick evenly on the caption.
        date = interpolate_date(prev.date, k.slide.date, u)
        return TourState(t, cam, date, k.slide, i, True)

    def frame_count(self, fps: float) -> int:
        """Frames of a video at ``fps``: the tour's duration rounded to whole frames."""
        return max(1, round(self.duration * fps))

    def frame_times(self, fps: float) -> np.ndarray:
        return np.arange(self.frame_count(fps), dtype=float) / float(fps)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "keyframes": [k.to_dict() for k in self.keyframes]}

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> Tour:
        return Tour(
            [Keyframe.from_dict(k) for k in d.get("keyframes", [])], str(d.get("title", ""))
        )

    @staticmethod
    def from_deck(
        deck: Deck, *, hold_s: float = 2.0, easing: str = "ease-in-out", title: str = ""
    ) -> Tour:
        """A tour through a deck's slides, each reached in its own transition time."""
        return Tour(
            [Keyframe(s, s.transition_s, hold_s, easing) for s in deck.slides],
            title or deck.title,
        )


# -- applying a slide to a scene ----------------------------------------------------------

OverlayHandler = Callable[[str], None]
WhatIfHandler = Callable[[Sequence[str]], None]


class OverlayRegistry:
    """Overlay ids -> handlers the app (or the headless renderer) provides.

    Overlays belong to other features (status, phase, schedule status, styles); a slide
    only stores the id. A handler is looked up by the exact id, then by its prefix
    before ``:`` (``style:height`` -> ``style``), and gets the whole id. ``""`` means
    "no overlay": when a slide turns an overlay off (or switches to another), the old
    overlay's handler is called with ``""`` first, so it can undo itself.
    """

    def __init__(self) -> None:
        self._handlers: dict[str, OverlayHandler] = {}

    def register(self, overlay_id: str, handler: OverlayHandler) -> None:
        self._handlers[overlay_id] = handler

    def unregister(self, overlay_id: str) -> None:
        self._handlers.pop(overlay_id, None)

    def known(self) -> list[str]:
        return sorted(self._handlers)

    def handler_for(self, overlay_id: str) -> OverlayHandler | None:
        if overlay_id in self._handlers:
            return self._handlers[overlay_id]
        prefix = overlay_id.split(":", 1)[0]
        if ":" in overlay_id and prefix in self._handlers:
            return self._handlers[prefix]
        return None

    def clear(self, overlay_id: str) -> None:
        """Tell the handler of ``overlay_id`` to switch its overlay off."""
        handler = self.handler_for(overlay_id) if overlay_id else None
        if handler is not None:
            handler("")

    def apply(self, overlay_id: str) -> str | None:
        """Apply an overlay; returns a problem (and logs a warning) for an unknown id."""
        handler = self.handler_for(overlay_id)
        if handler is None:
            if not overlay_id:
                return None
            msg = f"overlay {overlay_id!r} is not available here; known: {self.known() or 'none'}"
            log.warning(msg)
            return msg
        handler(overlay_id)
        return None


def style_overlay(scene: Scene) -> OverlayHandler:
    """An ``style:<column>`` handler that colours the building layers by a column."""
    from alatau_twin.core.styling import style_layer

    originals: dict[str, np.ndarray] = {}

    def handle(overlay_id: str) -> None:
        column = overlay_id.split(":", 1)[1] if ":" in overlay_id else ""
        for layer in scene.building_layers():
            if column and column in layer.table:
                originals.setdefault(layer.name, layer.colors.copy())
                style_layer(layer, column)
            elif layer.name in originals:
                layer.set_colors(originals.pop(layer.name))
                layer.legend = None  # type: ignore[attr-defined]

    return handle


def construction_overlay(scene: Scene) -> OverlayHandler:
    """``phase`` and ``schedule status``: the construction colours of the 4D schedule
    (``Scene.color_by``); ``""`` switches them off."""

    def handle(overlay_id: str) -> None:
        mode = {"phase": "phase", "schedule status": "status"}.get(overlay_id)
        if hasattr(scene, "color_by"):
            scene.color_by = mode

    return handle


def scene_overlays(scene: Scene) -> OverlayRegistry:
    """The overlays the scene alone can apply (no app needed): ``style:<column>``,
    ``phase`` and ``schedule status``. The app adds its live ones (``status``)."""
    reg = OverlayRegistry()
    reg.register("style", style_overlay(scene))
    construction = construction_overlay(scene)
    reg.register("phase", construction)
    reg.register("schedule status", construction)
    return reg


class OutageColours:
    """The default what-if: buildings that lose supply, and the cut network elements,
    drawn in the fault colour; everything else as it was.

    The app's live-status overlay may replace it (``SlideApplier(what_if=...)``); this
    one needs nothing but the scene's networks, so the headless export can show a fault.
    """

    def __init__(self, scene: Scene) -> None:
        self.scene = scene
        self._saved: dict[str, np.ndarray] = {}
        self.affected: set[str] = set()

    def __call__(self, out_of_service: Sequence[str]) -> None:
        from alatau_twin.core.style import STATUS_COLORS

        self.restore()
        if not out_of_service:
            return
        out = set(out_of_service)
        dead: set[str] = set()
        buildings: set[str] = set()
        for net in self.scene.networks.values():
            known = set(net.element_ids())
            if not out & known:
                continue
            live = net.supplied_elements(out)
            dead |= (known - live) | (out & known)
            buildings |= net.buildings_without_supply(out)
        self.affected = buildings
        fault = np.array(STATUS_COLORS["fault"], np.uint8)
        offline = np.array(STATUS_COLORS["offline"], np.uint8)
        for layer in self.scene.layers:
            ids = layer.table.get("id")
            if ids is None or not layer.n_features:
                continue
            is_building = layer in self.scene.building_layers()
            hit = np.isin(ids.astype(str), list(buildings if is_building else dead))
            if not hit.any():
                continue
            self._saved[layer.name] = layer.colors.copy()
            colors = layer.colors.copy()
            colors[hit] = fault
            if not is_building:
                # The element that failed in red, what it no longer feeds in grey.
                cut = np.isin(ids.astype(str), list(out))
                colors[hit & ~cut] = offline
            layer.set_colors(colors)

    def restore(self) -> None:
        for name, colors in self._saved.items():
            if name in self.scene.layers:
                self.scene.layers[name].set_colors(colors)
        self._saved.clear()
        self.affected = set()


class SlideApplier:
    """Puts a slide's state (not its camera) into a scene, changing only what differs.

    The tour export calls it every frame, so it skips work that is already done: the
    layers and overlay once per keyframe, the date only when the day changes.
    """

    def __init__(
        self,
        scene: Scene,
        overlays: OverlayRegistry | None = None,
        what_if: WhatIfHandler | None = None,
    ) -> None:
        self.scene = scene
        self.overlays = overlays if overlays is not None else OverlayRegistry()
        self.what_if: WhatIfHandler = what_if if what_if is not None else OutageColours(scene)
        self._slide: Slide | None = None
        self._date: tuple[str | None, str] | None = None
        self.problems: list[str] = []

    def apply(self, slide: Slide, date: str | None = None) -> None:
        """Apply ``slide``; ``date`` (e.g. mid-flight) overrides the slide's own date."""
        when = date if date is not None else slide.date
        key = (when, slide.mode)
        if key != self._date:
            self.scene.set_date(when, slide.mode)
            self._date = key
        if slide == self._slide:
            return
        prev, self._slide = self._slide, slide
        self.problems = self.scene.restore_layers(slide.saved_view())
        if prev is None or prev.overlay != slide.overlay:
            if prev is not None and prev.overlay:
                self.overlays.clear(prev.overlay)
            problem = self.overlays.apply(slide.overlay)
            if problem:
                self.problems.append(problem)
        if prev is None or prev.out_of_service != slide.out_of_service:
            self.what_if(list(slide.out_of_service))
        for p in self.problems:
            log.warning(p)

    def release(self) -> None:
        """Undo what a slide added on top of the scene: its overlay and its what-if
        (layers and date stay; the caller restores those it saved)."""
        if self._slide is not None and self._slide.overlay:
            self.overlays.clear(self._slide.overlay)
        self.what_if([])
        self.reset()

    def reset(self) -> None:
        """Forget what was applied (the next apply does everything again)."""
        self._slide = None
        self._date = None


# -- key figures for the presentation strip -----------------------------------------------


def buildings_complete(scene: Scene) -> tuple[int, int]:
    """(complete, total) buildings at the scene's date: those whose progress is 100%."""
    complete = total = 0
    for layer in scene.building_layers():
        total += layer.n_features
        # Progress is 1 everywhere without a date or schedule: all complete then.
        complete += int((np.asarray(layer.progress) >= 0.9999).sum())
    return complete, total


def default_kpis(scene: Scene, out_of_service: Sequence[str] = ()) -> dict[str, str]:
    """The KPI strip's figures that the scene alone can answer.

    Network availability and active alarms belong to the live-status feature; until a
    provider supplies them, availability is computed from the slide's what-if outage (or
    "n/a" without networks) and alarms read "n/a".
    """
    done, total = buildings_complete(scene)
    kpis = {"Buildings complete": f"{done:,} / {total:,}"}
    served = outaged = 0
    for net in scene.networks.values():
        served_set = net.served_buildings()
        served += len(served_set)
        if out_of_service:
            outaged += len(net.buildings_without_supply(out_of_service))
    if served:
        kpis["Network availability"] = f"{100.0 * (served - outaged) / served:.1f}%"
    else:
        kpis["Network availability"] = "n/a"
    kpis["Active alarms"] = "n/a"
    return kpis


def with_camera(slide: Slide, camera: CameraView) -> Slide:
    """The same slide seen from another camera."""
    return replace(slide, camera=camera)
