"""The stage around the city: aerial haze, a horizon-matched sky and land beyond the
data (render: VTK, no Qt).

Without these, a 28 x 66 km terrain tile floats as a slab in a blue gradient, which
reads as a test plot. Three small pieces make it read as a landscape:

- *Ground skirt*: a coarse ring of land from the terrain's edge outwards, its height
  and colour continuing the edge's, so the tile has no visible border.
- *Aerial haze* (fog): every surface fades towards the horizon colour with its distance
  beyond the focal point (a fragment-shader addition; VTK's OpenGL2 backend has no fog).
  Things at the focal distance stay crisp, the far terrain and the skirt melt away.
- *Horizon sky*: the gradient background is re-anchored before each frame so that the
  sky's colour *at the horizon line* is exactly the haze colour; the fogged land and
  the sky then meet without a seam at any camera pitch.

All of it is updated from the camera in the renderer's StartEvent, so the Qt widget,
the headless renders and every video frame get it alike; the cost on llvmpipe is a few
milliseconds (one mix per fragment and a few thousand skirt triangles).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyvista as pv  # core data objects only: pyvista.plotting is never imported here

from alatau_twin.render.theme import RenderTheme
from alatau_twin.render.vtkkit import add_prop, mesh_actor, rgb

_FOG_GLSL = """
  {
    // Aerial haze (alatau_twin.render.stage): linear eye depth from the depth buffer.
    float fogZn = gl_FragCoord.z * 2.0 - 1.0;
    float fogLin = (2.0 * fogNear * fogFar) / (fogFar + fogNear - fogZn * (fogFar - fogNear));
    float fogF = clamp((fogLin - fogStart) / max(fogEnd - fogStart, 1.0), 0.0, 1.0);
    fogF = fogF * fogF * (3.0 - 2.0 * fogF) * fogMax;
    gl_FragData[0].rgb = mix(gl_FragData[0].rgb, fogColor, fogF);
  }
"""
# After the texture is applied (TCoord::Impl follows Light::Impl in VTK's template), so
# both lit meshes and the unlit, textured terrain are hazed.
_FOG_TAG = "//VTK::TCoord::Impl"


def _rgb(color: str) -> np.ndarray:
    return np.array(rgb(color), float)


class Atmosphere:
    """Haze on the given actors plus the horizon-matched sky gradient."""

    # Haze begins at the focal distance and is full at this multiple of it.
    START = 1.05
    END = 3.2

    def __init__(self, plotter: Any, theme: RenderTheme) -> None:
        self.plotter = plotter
        self.renderer = plotter.renderer
        self.theme = theme
        self.actors: list[Any] = []
        self.enabled = True
        self.horizon_y: float | None = None  # screen row of the horizon (tests)
        self._tag = self.renderer.AddObserver("StartEvent", lambda *_: self.update())

    def set_theme(self, theme: RenderTheme) -> None:
        self.theme = theme
        for actor in self.actors:
            actor.GetShaderProperty().GetFragmentCustomUniforms().SetUniform3f(
                "fogColor", list(_rgb(theme.haze))
            )

    def sync(self) -> None:
        """Haze every 3D actor in the renderer (layers come and go; LOD and shadow
        actors appear on first use), forget the ones that left."""
        present = []
        coll = self.renderer.GetActors()
        coll.InitTraversal()
        for _ in range(coll.GetNumberOfItems()):
            actor = coll.GetNextActor()
            if actor is not None:
                present.append(actor)
                self.add(actor)
        self.actors = [a for a in self.actors if a in present]

    def add(self, actor: Any) -> None:
        """Haze ``actor`` (idempotent)."""
        if actor in self.actors or not hasattr(actor, "GetShaderProperty"):
            return
        sp = actor.GetShaderProperty()
        sp.AddFragmentShaderReplacement(_FOG_TAG, True, _FOG_TAG + "\n" + _FOG_GLSL, False)
        u = sp.GetFragmentCustomUniforms()
        u.SetUniform3f("fogColor", list(_rgb(self.theme.haze)))
        for key in ("fogNear", "fogFar", "fogStart", "fogEnd"):
            u.SetUniformf(key, 1.0)
        u.SetUniformf("fogMax", 0.0)
        self.actors.append(actor)

    def remove(self, actor: Any) -> None:
        if actor in self.actors:
            sp = actor.GetShaderProperty()
            sp.ClearFragmentShaderReplacement(_FOG_TAG, True)
            self.actors.remove(actor)

    def update(self) -> None:
        self.sync()
        cam = self.renderer.GetActiveCamera()
        dist = max(float(cam.GetDistance()), 1.0)
        start, end = self.START * dist, self.END * dist
        near, far = cam.GetClippingRange()
        if self.enabled and far < end * 1.02:
            # Let the far plane reach full haze, so nothing is cut off before it melts
            # into the sky (near is left where VTK put it).
            far = end * 1.02
            cam.SetClippingRange(near, far)
        fog_max = 1.0 if self.enabled and not cam.GetParallelProjection() else 0.0
        for actor in self.actors:
            u = actor.GetShaderProperty().GetFragmentCustomUniforms()
            u.SetUniformf("fogNear", float(near))
            u.SetUniformf("fogFar", float(far))
            u.SetUniformf("fogStart", float(start))
            u.SetUniformf("fogEnd", float(end))
            u.SetUniformf("fogMax", fog_max)
        self._sky(cam)

    def _sky(self, cam: Any) -> None:
        """Anchor the vertical gradient: zenith colour at the top of the view, haze
        colour where the horizon crosses the view (clamped when it is off screen)."""
        _w, h = self.renderer.GetSize()
        zenith, haze = _rgb(self.theme.sky_top), _rgb(self.theme.haze)
        pos = np.array(cam.GetPosition(), float)
        fwd = np.array(cam.GetFocalPoint(), float) - pos
        horiz = np.array([fwd[0], fwd[1], 0.0])
        n = float(np.linalg.norm(horiz))
        if h <= 0 or n < 1e-9:
            self.horizon_y = None
            self.renderer.SetBackground(*haze)
            self.renderer.SetBackground2(*zenith)
            return
        far_point = pos + horiz / n * 1e9
        self.renderer.SetWorldPoint(*far_point, 1.0)
        self.renderer.WorldToDisplay()
        y = float(self.renderer.GetDisplayPoint()[1])
        self.horizon_y = y
        # The sky turns from haze to zenith blue over the first ~40 degrees above the
        # horizon, whatever part of that the view shows.
        pitch = math.degrees(math.atan2(float(fwd[2]), n))
        above = pitch + 0.5 * float(cam.GetViewAngle())  # top edge, above the horizon
        k = min(max(above / 40.0, 0.0), 1.0)
        top = haze + (zenith - haze) * (k * (2.0 - k))
        t = min(max(y / h, 0.0), 0.98)
        # c(y) = bottom + (top - bottom) * y / h, with c(horizon) = haze.
        bottom = (haze - top * t) / (1.0 - t)
        self.renderer.SetBackground(*np.clip(bottom, 0.0, 1.0))
        self.renderer.SetBackground2(*np.clip(top, 0.0, 1.0))

    def close(self) -> None:
        self.renderer.RemoveObserver(self._tag)
        for actor in list(self.actors):
            self.remove(actor)


def _circular_mean(values: np.ndarray, width: int) -> np.ndarray:
    """Moving average of ``width`` samples along a closed loop (axis 0)."""
    if width <= 1:
        return values.astype(float)
    v = np.asarray(values, float)
    half = width // 2
    padded = np.concatenate([v[-half:], v, v[: width - half]], axis=0)
    c = np.cumsum(np.concatenate([np.zeros((1, *v.shape[1:])), padded], axis=0), axis=0)
    return (c[width:] - c[:-width])[: len(v)] / width


def skirt_mesh(
    terrain: Any, colours: np.ndarray, reach: float = 4.0, rings: int = 14
) -> pv.PolyData:
    """A ring of land around a terrain grid, continuing its edge outwards.

    ``colours`` is the terrain's (ny, nx, 3) float colour image; the skirt takes the edge
    colours and heights and relaxes them towards their mean with distance, out to
    ``reach`` times the tile's half-size beyond the edge.
    """
    g = terrain.grid
    stride = max(1, int(max(g.nx, g.ny) // 160))
    iy = np.arange(0, g.ny, stride)
    ix = np.arange(0, g.nx, stride)
    if iy[-1] != g.ny - 1:
        iy = np.append(iy, g.ny - 1)
    if ix[-1] != g.nx - 1:
        ix = np.append(ix, g.nx - 1)
    # The edge loop, counter-clockwise: south, east, north, west (corners once).
    loop = (
        [(0, i) for i in ix[:-1]]
        + [(j, g.nx - 1) for j in iy[:-1]]
        + [(g.ny - 1, i) for i in ix[::-1][:-1]]
        + [(j, 0) for j in iy[::-1][:-1]]
    )
    rows = np.array([p[0] for p in loop])
    cols = np.array([p[1] for p in loop])
    ex, ey = g.x[cols], g.y[rows]
    ez = terrain.display_z(g.z[rows, cols].astype(float))
    ec = colours[rows, cols]
    cx, cy = float(g.x.mean()), float(g.y.mean())
    half = 0.5 * max(float(g.x[-1] - g.x[0]), float(g.y[-1] - g.y[0]))
    # Outward direction per edge point: away from the tile's centre, blended with the
    # edge's normal so the corners fan out smoothly.
    dx, dy = ex - cx, ey - cy
    norm = np.hypot(dx, dy)
    dx, dy = dx / norm, dy / norm
    base_z = float(np.median(ez))
    base_c = ec.mean(axis=0)
    m = len(loop)
    steps = np.concatenate([[0.0], np.geomspace(0.01, reach, rings)]) * half
    pts = np.empty((len(steps), m, 3))
    cols_out = np.empty((len(steps), m, 3))
    for k, d in enumerate(steps):
        f = d / (reach * half)
        relax = 1.0 - np.exp(-5.0 * f)
        # Blur the edge along the loop more the further out the ring lies, so hills
        # at the edge do not smear outwards as streaks.
        width = round(min(0.2 * m, 1 + 3.0 * m * f))
        zk, ck = _circular_mean(ez, width), _circular_mean(ec, width)
        pts[k, :, 0] = ex + dx * d
        pts[k, :, 1] = ey + dy * d
        pts[k, :, 2] = zk + (base_z - zk) * relax - (5.0 if k else 0.0)
        cols_out[k] = ck + (base_c - ck) * relax
    faces = []
    for k in range(len(steps) - 1):
        for i in range(m):
            a, b = k * m + i, k * m + (i + 1) % m
            c, d = (k + 1) * m + (i + 1) % m, (k + 1) * m + i
            faces.append((4, a, b, c, d))
    mesh = pv.PolyData(pts.reshape(-1, 3), np.array(faces, np.int64).ravel())
    mesh.point_data["rgb"] = (np.clip(cols_out.reshape(-1, 3), 0, 1) * 255).astype(np.uint8)
    return mesh


def add_skirt(plotter: Any, terrain_adapter: Any) -> Any:
    """Add the skirt for a terrain adapter; returns its actor (or None)."""
    g = terrain_adapter.layer.grid
    image = terrain_adapter.image
    colours = np.asarray(image.point_data["rgb"], float).reshape(g.ny, g.nx, 3) / 255.0
    mesh = skirt_mesh(terrain_adapter.layer, colours)
    actor = mesh_actor(mesh, scalars="rgb", lighting=False)
    # Not part of the scene's bounds: fitting the camera or the clipping range to
    # hundreds of kilometres of filler land would cost depth precision for nothing.
    actor.UseBoundsOff()
    return add_prop(plotter, actor, "stage:skirt", pickable=False)


def horizon_row(plotter: Any) -> float | None:
    """Screen row (pixels from the bottom) of the horizon, or None looking straight down."""
    r = plotter.renderer
    cam = r.GetActiveCamera()
    pos = np.array(cam.GetPosition(), float)
    fwd = np.array(cam.GetFocalPoint(), float) - pos
    horiz = np.array([fwd[0], fwd[1], 0.0])
    if np.linalg.norm(horiz) < 1e-9:
        return None
    p = pos + horiz / np.linalg.norm(horiz) * 1e9
    r.SetWorldPoint(*p, 1.0)
    r.WorldToDisplay()
    y = float(r.GetDisplayPoint()[1])
    return y if math.isfinite(y) else None


class Stage:
    """Skirt + atmosphere for one SceneView (created and closed with it)."""

    def __init__(self, plotter: Any, theme: RenderTheme, terrain_adapter: Any | None) -> None:
        self.plotter = plotter
        self.skirt = add_skirt(plotter, terrain_adapter) if terrain_adapter is not None else None
        self.atmosphere = Atmosphere(plotter, theme)

    def set_theme(self, theme: RenderTheme) -> None:
        self.atmosphere.set_theme(theme)

    def close(self) -> None:
        self.atmosphere.close()
        if self.skirt is not None:
            self.plotter.remove_actor(self.skirt, render=False)
            self.skirt = None
