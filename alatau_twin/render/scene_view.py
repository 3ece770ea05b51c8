"""The scene drawn into a plotter, off-screen or in the Qt widget (render: no Qt).

``SceneView`` is the single render adapter for a whole scene: the CLI hands it a
:class:`~alatau_twin.render.headless.HeadlessPlotter`, the app hands it its
``ui.gl_viewport.Viewport`` (a pyvista plotter), so both paths draw with the same code: it builds
VTK actors itself (render/vtkkit.py) and only uses the plotter API both share. It
creates one adapter per layer, follows layers added or removed, applies camera presets,
and routes every "something changed" into one ``request_render`` callback that the app
coalesces per event-loop turn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyvista as pv  # core data objects only: pyvista.plotting is never imported here

# At import, not on first use: the CLI imports this module in a thread while it reads
# the data, so the legend's module (~0.1 s) is loaded by the time it is drawn.
from vtkmodules.vtkRenderingAnnotation import vtkLegendBoxActor

from alatau_twin.core.layers import AreaLayer, Layer
from alatau_twin.core.scene import Scene
from alatau_twin.core.views import CameraView
from alatau_twin.render.adapters import VtkLayer, adapter_for
from alatau_twin.render.theme import LIGHT, RenderTheme
from alatau_twin.render.vtkkit import add_prop, light, mesh_actor, point_labels, rgb


class SceneView:
    """Draws a :class:`Scene` into ``plotter`` and keeps it in sync with the model."""

    def __init__(
        self,
        plotter: Any,
        scene: Scene,
        theme: RenderTheme = LIGHT,
        request_render: Callable[[], None] | None = None,
        *,
        labels: bool = True,
        legend: bool = True,
    ) -> None:
        self.plotter = plotter
        self.scene = scene
        self.theme = theme
        self._request = request_render or (lambda: None)
        self.adapters: dict[str, VtkLayer] = {}
        self._label_actors: list[Any] = []
        self._setup_stage()
        for layer in scene.layers:
            self._add(layer)
        self._ground = self._add_ground()
        # Haze, a horizon-matched sky and land beyond the terrain's edge (stage.py).
        from alatau_twin.render.adapters import VtkTerrainLayer
        from alatau_twin.render.stage import Stage

        terrain = next((a for a in self.adapters.values() if isinstance(a, VtkTerrainLayer)), None)
        self.stage = Stage(plotter, theme, terrain)
        if labels:
            self._add_labels()
        self._legend: Any = None
        # An overlay's legend (e.g. live status) that replaces the usual one while it
        # returns entries; set by whoever owns the overlay, then refresh_legend().
        self.extra_legend: Callable[[], list[tuple[str, tuple[int, int, int]]] | None] | None = None
        if legend:
            self._add_legend()
        scene.layers.inserted.connect(self._on_inserted)
        scene.layers.removed.connect(self._on_removed)
        scene.selection_changed.connect(self._on_selection)
        # Construction colours recount their legend as the time cursor moves.
        self._construction_legend = scene.color_by is not None
        scene.date_changed.connect(self._on_construction)
        scene.construction_changed.connect(self._on_construction)
        self.xray = False
        self._picker: Any = None
        self.apply_view(scene.views.get("overview"))

    @property
    def picker(self) -> Any:
        """The feature picker (locators are built on first use, once per layer)."""
        if self._picker is None:
            from alatau_twin.render.picking import Picker

            self._picker = Picker(self)
        return self._picker

    def _on_construction(self, *_: Any) -> None:
        """Construction colours recount their legend as the cursor moves: the labels
        change in place while the classes stay the same (a new legend actor per move
        cost ~15 ms), the legend is rebuilt when they change."""
        active = self.scene.color_by is not None
        if active or self._construction_legend:
            entries = self.legend_entries()
            shown = getattr(self, "_legend_shown", None)
            if (
                active
                and self._legend is not None
                and shown is not None
                and [c for _, c in shown] == [c for _, c in entries]
            ):
                for i, (label, _) in enumerate(entries):
                    if label != shown[i][0]:
                        self._legend.SetEntryString(i, label)
                self._legend.Modified()
                self._request()
            else:
                self.refresh_legend()
            self._legend_shown = entries
        self._construction_legend = active

    def _on_selection(self, new: Any, old: Any) -> None:
        for name in {old.layer, new.layer} - {None}:
            adapter = self.adapters.get(name)
            if adapter is not None:
                rows = np.array(new.rows if name == new.layer else (), dtype=np.int64)
                adapter.set_highlight(rows)
        self._request()

    def set_sun(self, when: Any | None, *, shadows: bool = False) -> Any:
        """Light the scene from the real sun at ``when`` (aware datetime), or reset.

        The sun's direction comes from the scene origin's latitude/longitude; below the
        horizon only the sky fill remains (night). Shadows use VTK's shadow-map pass,
        which is costly on software GL: off by default, and a toggle for the user.
        Returns the :class:`SunPosition` (or None).
        """
        from alatau_twin.core.sun import grid_convergence_deg, sun_direction, sun_position

        if when is None:
            self.sun = None
            self.sun_light.SetPosition(-0.5, -0.8, 0.7)
            self.sun_light.SetIntensity(0.85)
            self.fill_light.SetIntensity(0.35)
            self._set_shadows(False)
            self._request()
            return None
        lon, lat = self.scene.frame.to_lonlat(0.0, 0.0)
        pos = sun_position(float(lat), float(lon), when)
        # Scene axes are grid north (UTM); the sun's azimuth is from true north.
        epsg = self.scene.frame.epsg
        convergence = 0.0
        if 32601 <= epsg <= 32660 or 32701 <= epsg <= 32760:
            zone = epsg % 100
            convergence = grid_convergence_deg(float(lat), float(lon), -183.0 + 6.0 * zone)
        direction = sun_direction(pos.azimuth_deg, pos.elevation_deg, convergence)
        self.sun_light.SetPosition(*(float(v) for v in direction))
        self.sun_light.SetFocalPoint(0.0, 0.0, 0.0)
        up = pos.elevation_deg > 0
        # Warm and weak near the horizon, white and strong high up.
        strength = float(np.clip(np.sin(np.radians(max(pos.elevation_deg, 0.0))) * 1.4, 0, 1))
        self.sun_light.SetIntensity(0.25 + 0.75 * strength if up else 0.0)
        self.fill_light.SetIntensity(0.35 if up else 0.15)
        self.sun = (when, pos)
        self._set_shadows(shadows and up)
        self._request()
        return pos

    def _set_shadows(self, on: bool) -> None:
        from alatau_twin.render.adapters import VtkBuildingLayer

        self.shadows = on
        direction = np.array(self.sun_light.GetPosition(), float) if on else None
        terrain = self.scene.terrain
        ground = terrain.display_elevation_at if terrain is not None else None
        for adapter in self.adapters.values():
            if isinstance(adapter, VtkBuildingLayer):
                adapter.set_shadows(direction, ground)

    # Above this many building triangles, the camera draws roofs only while it moves.
    LOD_THRESHOLD_TRIANGLES = 150_000

    @property
    def lod_enabled(self) -> bool:
        from alatau_twin.render.adapters import VtkBuildingLayer

        n = sum(
            a.layer.mesh.n_triangles
            for a in self.adapters.values()
            if isinstance(a, VtkBuildingLayer) and a.layer.visible
        )
        return n > self.LOD_THRESHOLD_TRIANGLES

    def set_lod(self, on: bool) -> None:
        """Coarse buildings and terrain while the camera moves (``on``), full detail
        when still."""
        from alatau_twin.render.adapters import VtkBuildingLayer, VtkTerrainLayer

        for adapter in self.adapters.values():
            if isinstance(adapter, VtkBuildingLayer | VtkTerrainLayer):
                adapter.set_lod(on)

    def set_xray(self, on: bool) -> None:
        """Buildings translucent, to see networks and what lies below them."""
        from alatau_twin.core.layers import BuildingLayer

        self.xray = bool(on)
        for adapter in self.adapters.values():
            if isinstance(adapter.layer, BuildingLayer):
                for actor in adapter.actors:
                    actor.GetProperty().SetOpacity(0.25 if on else 1.0)
        self._request()

    # -- stage ---------------------------------------------------------------------
    def _setup_stage(self) -> None:
        p = self.plotter
        p.set_background(self.theme.sky_bottom, top=self.theme.sky_top)
        # Lights go to the renderer itself: pyvista's add_light would add a copy of a
        # plain vtkLight, and set_sun could no longer move it.
        p.renderer.RemoveAllLights()
        # A warm low sun from the south-west and a cool sky fill from above.
        sun = light(0.85, color="#fff4e0", position=(-0.5, -0.8, 0.7))
        fill = light(0.35, color="#dfe9ff", position=(0.4, 0.6, 1.0))
        for lt in (sun, fill, light(0.15, headlight=True)):
            p.renderer.AddLight(lt)
        self.sun_light, self.fill_light = sun, fill
        self.sun: Any = None  # (datetime, SunPosition) when a real sun is set
        self.shadows = False
        if self.theme.fxaa:
            # Straight to VTK: pyvista's enable_anti_aliasing("fxaa") silently swaps in
            # SSAA (several times the cost) on EGL/OSMesa builds, yet FXAA works there.
            p.renderer.SetUseFXAA(True)

    def set_theme(self, theme: RenderTheme) -> None:
        self.theme = theme
        self.plotter.set_background(theme.sky_bottom, top=theme.sky_top)
        self.stage.set_theme(theme)
        self._request()

    # -- layers --------------------------------------------------------------------
    def _add(self, layer: Layer) -> None:
        adapter = adapter_for(self.plotter, layer, self.theme, self._request)
        self.adapters[layer.name] = adapter
        if self.scene.selection.layer == layer.name:
            adapter.set_highlight(np.array(self.scene.selection.rows, dtype=np.int64))

    def _add_ground(self) -> Any:
        """A plain ground plane under data that came without terrain, so buildings stand
        on something instead of floating in the sky gradient."""
        from alatau_twin.core.layers import TerrainLayer

        if any(isinstance(x, TerrainLayer) for x in self.scene.layers) or not len(
            self.scene.layers
        ):
            return None
        xmin, xmax, ymin, ymax, zmin, _ = self.scene.bounds()
        pad = 0.25 * max(xmax - xmin, ymax - ymin, 100.0)
        plane = pv.Plane(
            center=((xmin + xmax) / 2, (ymin + ymax) / 2, zmin - 0.05),
            i_size=xmax - xmin + 2 * pad,
            j_size=ymax - ymin + 2 * pad,
        )
        actor = mesh_actor(plane, color="#c9cbbf", lighting=False)
        return add_prop(self.plotter, actor, "ground", pickable=False)

    def _on_inserted(self, layer: Layer) -> None:
        self._add(layer)
        self._request()

    def _on_removed(self, layer: Layer) -> None:
        adapter = self.adapters.pop(layer.name, None)
        if adapter is not None:
            adapter.close()
        self._request()

    def _add_labels(self) -> None:
        """District names as screen-space labels at their centres."""
        for layer in self.scene.layers:
            if not isinstance(layer, AreaLayer) or "kind" not in layer.table:
                continue
            rows = np.nonzero(layer.table["kind"] == "district")[0]
            if len(rows) == 0:
                continue
            pts, names = [], []
            fi = layer.mesh.cell_data["feature_index"]
            centers = layer.mesh.points[layer.mesh.triangles].mean(axis=1)
            for r in rows:
                c = centers[fi == r]
                if len(c):
                    top = c.mean(axis=0)
                    pts.append((top[0], top[1], top[2] + 400.0))
                    names.append(str(layer.table["name"][r]))
            if not pts:
                continue
            from alatau_twin.render.overlays import ui_font

            actor = point_labels(
                np.array(pts),
                names,
                # 20 px at 1080 rows and below; a 4K still gets labels of the same
                # proportion instead of specks.
                font_size=max(20, round(20 * self.plotter.window_size[1] / 1080)),
                text_color=self.theme.label_text,
                shape_color=self.theme.label_shape,
                shape_opacity=0.65,
                font_file=ui_font(bold=True),  # DejaVu Sans: Cyrillic names too
            )
            add_prop(self.plotter, actor, f"labels:{layer.name}", pickable=False)
            self._label_actors.append(actor)

    def legend_entries(self) -> list[tuple[str, tuple[int, int, int]]]:
        """(label, colour) pairs for the on-screen legend.

        A layer the user styled (by an attribute, or by construction phase or status:
        ``layer.legend``) shows its classes first, because that is the colouring the
        user just asked for; an overlay's legend (``extra_legend``, e.g. live status)
        follows it, or follows the building uses present (most common first); without an
        overlay, the uses and the networks.
        """
        from alatau_twin.core.style import NETWORK_COLORS, USE_COLORS

        extra = list(self.extra_legend() or []) if self.extra_legend is not None else []
        for layer in self.scene.layers:
            legend = getattr(layer, "legend", None)
            if legend is not None and layer.visible:
                head = f"{layer.name}: {legend.title}"
                items = [(f"{e.label} ({e.count:,})", tuple(e.color)) for e in legend.entries]
                styled = [(head, (0, 0, 0)), *items]
                extra = extra[:8]
                return [*styled[: 18 - len(extra)], *extra]
        entries: list[tuple[str, tuple[int, int, int]]] = []
        counts: dict[str, int] = {}
        for layer in self.scene.building_layers():
            if "use" in layer.table:
                for use, n in layer.table.value_counts("use").items():
                    counts[use] = counts.get(use, 0) + n
        for use in sorted(counts, key=lambda u: (-counts[u], u))[:10]:
            if use in USE_COLORS:
                entries.append((use, USE_COLORS[use]))
        shown_networks = {
            str(v)
            for layer in self.scene.layers
            if layer.visible and "network" in layer.table and layer.n_features
            for v in np.unique(layer.table["network"].astype(str))
        }
        if extra:
            # The overlay explains the networks' colours; the uses still colour buildings.
            extra = extra[:10]
            return [*entries[: 18 - len(extra)], *extra]
        for kind, label in (("power", "power network"), ("water", "water network")):
            if kind in self.scene.networks and kind in shown_networks:
                entries.append((label, NETWORK_COLORS[kind]))
        return entries

    def refresh_legend(self) -> None:
        """Rebuild the legend after a layer's style changed."""
        if self._legend is not None:
            self.plotter.renderer.RemoveViewProp(self._legend)
            self._legend = None
        self._add_legend()
        self._request()

    def _add_legend(self) -> None:
        """A legend box with colour swatches and text in the theme's colour.

        Built on vtkLegendBoxActor with image icons: pyvista's add_legend draws each
        label in its swatch colour, and pale swatches (housing) become unreadable.
        """
        entries = self.legend_entries()
        if not entries:
            return
        legend = vtkLegendBoxActor()
        legend.SetNumberOfEntries(len(entries))
        text = rgb(self.theme.text)
        for i, (label, colour) in enumerate(entries):
            icon = pv.ImageData(dimensions=(8, 8, 1))
            icon.point_data["rgb"] = np.tile(np.array(colour, np.uint8), (64, 1))
            legend.SetEntry(i, icon, label, text)
        legend.UseBackgroundOn()
        legend.SetBackgroundColor(rgb(self.theme.sky_bottom))
        legend.SetBackgroundOpacity(0.8)
        legend.BorderOff()
        legend.GetEntryTextProperty().SetFontSize(14)
        _use_ui_font(legend.GetEntryTextProperty())
        height = min(0.028 * len(entries) + 0.01, 0.6)
        legend.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        legend.GetPositionCoordinate().SetValue(0.87, 0.03)
        legend.GetPosition2Coordinate().SetCoordinateSystemToNormalizedViewport()
        legend.GetPosition2Coordinate().SetValue(0.12, height)
        self.plotter.renderer.AddViewProp(legend)
        self._legend = legend

    # -- camera --------------------------------------------------------------------
    def apply_view(self, view: CameraView | str | None) -> None:
        """Put the camera at a named preset (or fit the scene if there is none)."""
        if isinstance(view, str):
            try:
                view = self.scene.views[view]
            except KeyError:
                names = ", ".join(sorted(self.scene.views)) or "none"
                raise ValueError(f"unknown view {view!r}; this scene has: {names}") from None
        renderer = self.plotter.renderer
        # The raw VTK camera, whatever the plotter: pyvista's `plotter.camera` getter
        # resets the camera and renders twice (~0.9 s for the sample) on first use.
        cam = renderer.GetActiveCamera()
        if view is None:
            # pyvista's isometric view: from (1, 1, 1) off the centre of what is drawn,
            # z up, then fitted to it.
            b = renderer.ComputeVisiblePropBounds()
            centre = np.zeros(3)
            if b[0] <= b[1] and b[2] <= b[3] and b[4] <= b[5]:
                centre = np.array([(b[0] + b[1]) / 2, (b[2] + b[3]) / 2, (b[4] + b[5]) / 2])
            cam.SetPosition(*(centre + 1.0))
            cam.SetFocalPoint(*centre)
            cam.SetViewUp(0.0, 0.0, 1.0)
            renderer.ResetCamera()
        else:
            cam.SetPosition(*view.position)
            cam.SetFocalPoint(*view.focal_point)
            cam.SetViewUp(*view.view_up)
            cam.SetViewAngle(view.view_angle)
            if hasattr(renderer, "camera_set"):
                # A pyvista plotter resets an unset camera on its first render.
                renderer.camera_set = True
        renderer.ResetCameraClippingRange()
        self._request()

    def fly_to_bounds(self, bounds: tuple[float, ...], *, min_size: float = 60.0) -> CameraView:
        """A camera looking at ``bounds`` from the current direction, framing it.

        Returns the target view; the caller applies it at once or animates to it.
        """
        cam = self.plotter.renderer.GetActiveCamera()
        xmin, xmax, ymin, ymax, zmin, zmax = bounds
        centre = np.array([(xmin + xmax) / 2, (ymin + ymax) / 2, (zmin + zmax) / 2])
        radius = max(0.5 * np.linalg.norm([xmax - xmin, ymax - ymin, zmax - zmin]), min_size)
        direction = np.array(cam.GetPosition()) - np.array(cam.GetFocalPoint())
        direction /= max(np.linalg.norm(direction), 1e-9)
        if direction[2] < 0.2:  # never fly in from below the ground
            direction = np.array([0.0, -0.6, 0.8])
        distance = radius / np.sin(np.radians(cam.GetViewAngle() / 2)) * 1.1
        pos = centre + direction * distance
        return CameraView(
            "fly-to",
            tuple(float(v) for v in pos),
            tuple(float(v) for v in centre),
            (0.0, 0.0, 1.0),
            float(cam.GetViewAngle()),
        )

    def feature_view(self, layer_name: str, rows: Any) -> CameraView | None:
        """The fly-to view for some features of a layer (None if they have no extent)."""
        layer = self.scene.layers[layer_name]
        bounds = layer.feature_bounds(np.atleast_1d(np.asarray(rows, dtype=np.int64)))
        return None if bounds is None else self.fly_to_bounds(bounds)

    def preset_view(self, kind: str) -> CameraView:
        """Generic presets around the current focal point: top, oblique, north-up."""
        cam = self.plotter.renderer.GetActiveCamera()
        focal = np.array(cam.GetFocalPoint())
        distance = float(cam.GetDistance())
        if kind == "top":
            return CameraView.orbit("top", tuple(focal), distance, elevation=90.0)
        direction = np.array(cam.GetPosition()) - focal
        elevation = float(
            np.degrees(np.arcsin(direction[2] / max(np.linalg.norm(direction), 1e-9)))
        )
        if kind == "oblique":
            return CameraView.orbit("oblique", tuple(focal), distance, azimuth=20.0, elevation=35.0)
        if kind == "north-up":
            # Keep the height angle, turn so that north points up the screen.
            el = min(max(elevation, 5.0), 89.0)
            return CameraView.orbit("north-up", tuple(focal), distance, elevation=el)
        raise ValueError(f"unknown preset {kind!r}: top, oblique or north-up")

    def current_view(self, name: str = "current") -> CameraView:
        cam = self.plotter.renderer.GetActiveCamera()
        return CameraView(
            name,
            tuple(cam.GetPosition()),
            tuple(cam.GetFocalPoint()),
            tuple(cam.GetViewUp()),
            float(cam.GetViewAngle()),
        )

    # -- output --------------------------------------------------------------------
    def screenshot(self, path: str | None = None, scale: int = 1) -> np.ndarray:
        """Render now and return (and optionally save) the RGB image."""
        self.plotter.renderer.ResetCameraClippingRange()
        # Both plotters' screenshot() renders only if nothing was rendered yet; later
        # calls would return the previous picture (tours take many in a row). A pyvista
        # plotter's render() does nothing before its first frame, which screenshot()
        # then renders, so this is one render either way.
        self.plotter.render()
        img = self.plotter.screenshot(path, scale=scale, return_img=True)
        return np.asarray(img)

    def close(self) -> None:
        self.scene.layers.inserted.disconnect(self._on_inserted)
        self.scene.layers.removed.disconnect(self._on_removed)
        self.scene.selection_changed.disconnect(self._on_selection)
        self.scene.date_changed.disconnect(self._on_construction)
        self.scene.construction_changed.disconnect(self._on_construction)
        if self._picker is not None:
            self._picker.close()
            self._picker = None
        for adapter in self.adapters.values():
            adapter.close()
        self.adapters.clear()
        if self._ground is not None:
            self.plotter.remove_actor(self._ground, render=False)
            self._ground = None
        self.stage.close()
        for actor in self._label_actors:
            self.plotter.remove_actor(actor, render=False)
        self._label_actors.clear()
        if self._legend is not None:
            self.plotter.renderer.RemoveViewProp(self._legend)
            self._legend = None


def _use_ui_font(prop: Any) -> None:
    """DejaVu Sans (Cyrillic too) for a text property."""
    from alatau_twin.render.overlays import ui_font

    font = ui_font(bold=bool(prop.GetBold()))
    if font is not None:
        prop.SetFontFamily(4)  # VTK_FONT_FILE
        prop.SetFontFile(font)
