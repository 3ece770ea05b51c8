"""The sample twin's default slide deck and camera tour (io: no Qt, no VTK).

A new user who presses F5 or runs ``alatau-twin export-tour`` with no project should see
a finished presentation of Alatau City: the whole city, each district, the power network
under a fault and the city growing from 2025 to 2035. It is built from the scene itself
(its camera presets, its network, its schedule), so it follows the sample generator
when that changes, and it is deterministic: the same sample gives the same deck.
"""

from __future__ import annotations

import numpy as np

from alatau_twin.core.presentation import Deck, Keyframe, Slide, Tour
from alatau_twin.core.scene import Scene
from alatau_twin.core.views import CameraView

DISTRICT_SLIDES: tuple[tuple[str, str], ...] = (
    ("gate", "Business and finance nearest Almaty: the CBD and the Iconic Towers (272 m)."),
    (
        "golden",
        "Education, medicine and science between the Malaya Almatinka and Kaskelen rivers.",
    ),
    ("growing", "Industry and logistics by the Zhetygen logistics centre and the Turksib line."),
    ("green", "Tourism and leisure on the Kapchagay reservoir: resort, arena, circuit, golf."),
)
GROWTH_FROM, GROWTH_TO = "2025-01-01", "2035-12-31"


def hero_view(scene: Scene) -> CameraView:
    """The whole city along its axis, from behind Gate towards the reservoir.

    A low three-quarter view: Gate's towers in front, the other districts receding into
    the haze, the reservoir on the horizon. Seen straight from the south the 66 km
    strip would leave half a 16:9 frame to the sky.
    """
    gate, green = scene.views.get("gate"), scene.views.get("green")
    if gate is None or green is None:
        over = scene.views.get("overview")
        if over is not None:
            return CameraView(
                "hero", over.position, over.focal_point, over.view_up, over.view_angle,
                "Alatau City",
            )  # fmt: skip
        xmin, xmax, ymin, ymax, zmin, _ = scene.bounds()
        target = ((xmin + xmax) / 2, (ymin + ymax) / 2, zmin)
        size = max(xmax - xmin, ymax - ymin)
        return CameraView.orbit("hero", target, size, azimuth=12.0, elevation=30.0,
                                title="Alatau City")  # fmt: skip
    a, b = np.asarray(gate.focal_point, float), np.asarray(green.focal_point, float)
    span = float(np.linalg.norm(b[:2] - a[:2]))
    focal = a + 0.17 * (b - a)
    return CameraView.orbit(
        "hero",
        (round(float(focal[0]), 2), round(float(focal[1]), 2), round(float(focal[2]), 2)),
        round(0.64 * span, 1),
        azimuth=12.0,
        elevation=17.0,
        title="Alatau City",
    )


def fault_element(scene: Scene) -> str | None:
    """The 10 kV feeder whose loss cuts the most Gate buildings (ties: the first id)."""
    net = scene.networks.get("power")
    buildings = scene.building_layers()
    if net is None or not buildings:
        return None
    layer = buildings[0]
    ids = layer.table["id"].astype(str)
    district = layer.table.get("district")
    in_gate = np.ones(len(ids), bool) if district is None else district.astype(str) == "Gate"
    feeders = sorted(
        str(d["id"]) for _, _, d in net.graph.edges(data=True) if "10 kV" in str(d.get("type", ""))
    )
    gate = set(ids[in_gate].tolist())
    ends = net.link_endpoints()

    def bound(feeder: str) -> int:
        # Buildings served downstream of the feeder: an upper bound on what its loss
        # cuts (a loop may still feed some), cheap to compute for every feeder.
        fed = net.downstream(feeder) | {feeder}
        links = {k for k, (a, b) in ends.items() if a in fed and b in fed}
        return len({b for e in fed | links for b in net.serves.get(e, ())} & gate)

    # Exact outage traces only for the candidates that could still win (~4 ms each).
    candidates = sorted(((bound(f), f) for f in feeders), key=lambda x: (-x[0], x[1]))
    best: tuple[int, str] | None = None
    for upper, feeder in candidates:
        if best is not None and upper <= best[0]:
            break
        n = len(net.buildings_without_supply([feeder]) & gate)
        if best is None or n > best[0]:
            best = (n, feeder)
    return None if best is None else best[1]


def _fault_view(scene: Scene, element: str) -> CameraView | None:
    """A view framing the buildings that lose supply, a little higher than the district
    views so the network lines read against the ground."""
    net = scene.networks["power"]
    lost = net.buildings_without_supply([element])
    boxes = []
    for layer in scene.building_layers():
        rows = np.nonzero(np.isin(layer.table["id"].astype(str), list(lost)))[0]
        b = layer.feature_bounds(rows) if len(rows) else None
        if b is not None:
            boxes.append(b)
    if not boxes:
        return None
    arr = np.array(boxes)
    x0, x1 = arr[:, 0].min(), arr[:, 1].max()
    y0, y1 = arr[:, 2].min(), arr[:, 3].max()
    z0 = arr[:, 4].min()
    size = max(x1 - x0, y1 - y0, 1500.0)
    target = (round(float(x0 + x1) / 2, 2), round(float(y0 + y1) / 2, 2), round(float(z0), 2))
    return CameraView.orbit(
        "fault", target, 1.9 * size, azimuth=-20.0, elevation=48.0, title="Power network"
    )


NETWORK_LAYERS = ("Power lines", "Power stations", "Water mains", "Water facilities")


def _all_visible(scene: Scene, **overrides: bool) -> dict[str, bool]:
    vis = {layer.name: True for layer in scene.layers}
    vis.update({k: v for k, v in overrides.items() if k in vis})
    return vis


def _city_visible(scene: Scene) -> dict[str, bool]:
    """The city itself: terrain, water, roads, rail and buildings. The networks and the
    district tints are for the slides about them; they would clutter the views."""
    return _all_visible(scene, Districts=False, **{n: False for n in NETWORK_LAYERS})


def sample_deck(scene: Scene) -> Deck:
    """The default deck: city, four districts, a power fault, 2025 and 2035."""
    slides: list[Slide] = []
    everything = _city_visible(scene)
    hero = hero_view(scene)
    slides.append(
        Slide(
            "Alatau City",
            hero,
            caption="A new city between Almaty and Konaev: four districts along the A3 "
            "and twelve microdistricts, on real SRTM terrain.",
            visible=everything,
            transition_s=2.5,
        )
    )
    for name, caption in DISTRICT_SLIDES:
        view = scene.views.get(name)
        if view is not None:
            slides.append(
                Slide(view.title or name, view, caption=caption, visible=everything,
                      transition_s=3.0)
            )  # fmt: skip
    element = fault_element(scene)
    view = _fault_view(scene, element) if element else None
    if element and view is not None:
        lost = len(scene.networks["power"].buildings_without_supply([element]))
        slides.append(
            Slide(
                "Power network under a fault",
                view,
                caption=f"What-if: 10 kV feeder {element} trips; {lost:,} buildings "
                "lose supply (red). Illustrative network.",
                visible=_all_visible(
                    scene,
                    Districts=False,
                    Roads=False,
                    **{"Water mains": False, "Water facilities": False},
                ),
                out_of_service=(element,),
                transition_s=3.0,
            )
        )
    if scene.schedule is not None:
        # Circle Gate, where most of the decade's building happens, while it grows.
        gate = scene.views.get("gate")
        focus = gate.focal_point if gate is not None else hero.focal_point
        dist = (
            1.15 * float(np.linalg.norm(np.subtract(gate.position, gate.focal_point)))
            if gate is not None
            else 0.3 * float(np.linalg.norm(np.subtract(hero.position, hero.focal_point)))
        )
        start = CameraView.orbit(
            "growth-2025", focus, dist, azimuth=-25.0, elevation=34.0, title="2025"
        )
        end = CameraView.orbit(
            "growth-2035", focus, dist * 0.92, azimuth=55.0, elevation=28.0, title="2035"
        )
        slides.append(
            Slide(
                "The city in 2025",
                start,
                caption="Construction as built: the microdistricts, the A3 and the first "
                "quarters of Gate.",
                date=GROWTH_FROM,
                visible=everything,
                transition_s=3.0,
            )
        )
        slides.append(
            Slide(
                "The city in 2035",
                end,
                caption="Ten years of the illustrative schedule: all four districts built.",
                date=GROWTH_TO,
                visible=everything,
                transition_s=12.0,
            )
        )
    return Deck(slides, "Alatau City 2025-2035")


def sample_tour(scene: Scene, deck: Deck | None = None) -> Tour:
    """The default tour through the default deck; the 2025 -> 2035 flight runs on a
    steady (linear) clock so the years tick evenly while the camera circles."""
    deck = deck if deck is not None else sample_deck(scene)
    keys: list[Keyframe] = []
    for i, slide in enumerate(deck.slides):
        growth = slide.date == GROWTH_TO
        keys.append(
            Keyframe(
                slide,
                duration_s=slide.transition_s,
                hold_s=2.5 if i == 0 or growth else 2.0,
                easing="sine" if growth else "ease-in-out",
            )
        )
    return Tour(keys, "Alatau City: a tour")


def attach_sample_presentation(scene: Scene) -> Scene:
    """Give the sample scene its default deck and tour (when it has none)."""
    if not scene.deck.slides:
        scene.deck = sample_deck(scene)
    if not scene.tour.keyframes:
        scene.tour = sample_tour(scene, scene.deck)
    return scene
