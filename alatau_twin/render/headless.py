"""A minimal off-screen plotter on bare VTK, for headless renders (render: VTK, no Qt).

Why not ``pv.Plotter(off_screen=True)``: importing ``pyvista.plotting`` pulls in
matplotlib and costs 0.7-0.9 s, a fifth of a 100k-building ``alatau-twin render``.
:class:`HeadlessPlotter` implements only the part of pyvista's Plotter API the render
package uses, with the same meaning, so :class:`~alatau_twin.render.scene_view.SceneView`,
the adapters and the overlays draw into it and into the app's ``ui.gl_viewport.Viewport`` alike.
Which render window VTK creates (EGL or OSMesa) is chosen by
:func:`alatau_twin.render.offscreen.ensure_headless_backend` before one is made.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# The OpenGL and FreeType modules register the factories that turn vtkRenderWindow,
# vtkRenderer, the mappers and text actors into working OpenGL classes.
import vtkmodules.vtkRenderingFreeType
import vtkmodules.vtkRenderingOpenGL2  # noqa: F401
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkRenderingCore import (
    vtkCamera,
    vtkProp,
    vtkRenderer,
    vtkRenderWindow,
    vtkWindowToImageFilter,
)

from alatau_twin.render.vtkkit import Color, rgb


class HeadlessPlotter:
    """An off-screen render window with one renderer, no interactor and no MSAA.

    Actors are added by name as pyvista does: adding a name again replaces the actor
    that had it.
    """

    def __init__(self, size: tuple[int, int]) -> None:
        self.renderer = vtkRenderer()
        # Lights are the scene's to add; VTK would otherwise add one on first render.
        self.renderer.AutomaticLightCreationOff()
        self.ren_win = vtkRenderWindow()
        self.ren_win.SetOffScreenRendering(1)
        self.ren_win.SetMultiSamples(0)  # 3-4x the cost on llvmpipe; FXAA instead
        self.ren_win.AddRenderer(self.renderer)
        self.window_size = size
        self._named: dict[str, vtkProp] = {}
        self._rendered = False

    @property
    def window_size(self) -> list[int]:
        """[width, height] in pixels."""
        return list(self.ren_win.GetSize())

    @window_size.setter
    def window_size(self, size: tuple[int, int] | list[int]) -> None:
        self.ren_win.SetSize(int(size[0]), int(size[1]))

    @property
    def camera(self) -> vtkCamera:
        """The renderer's active camera (raw VTK, unlike pyvista's wrapper)."""
        return self.renderer.GetActiveCamera()

    def set_background(self, color: Color, top: Color | None = None) -> None:
        """A plain background, or a vertical gradient from ``color`` up to ``top``."""
        self.renderer.SetBackground(*rgb(color))
        self.renderer.SetGradientBackground(top is not None)
        if top is not None:
            self.renderer.SetBackground2(*rgb(top))

    def add_actor(
        self,
        actor: vtkProp,
        name: str | None = None,
        reset_camera: bool = False,
        render: bool = False,
        pickable: bool = True,
    ) -> tuple[vtkProp, Any]:
        """Add a prop; a ``name`` already in use replaces that prop.

        Returns ``(actor, property)`` like pyvista (the property is None for props
        without one).
        """
        if name is not None:
            self.remove_actor(name)
            self._named[name] = actor
        actor.SetPickable(pickable)
        self.renderer.AddActor(actor)
        if reset_camera:
            self.renderer.ResetCamera()
        if render:
            self.render()
        return actor, actor.GetProperty() if hasattr(actor, "GetProperty") else None

    def remove_actor(self, actor: vtkProp | str | None, render: bool = False) -> bool:
        """Remove a prop, given itself or its name; False if there was none."""
        if isinstance(actor, str):
            actor = self._named.pop(actor, None)
        else:
            self._named = {k: v for k, v in self._named.items() if v is not actor}
        if actor is None or not self.renderer.HasViewProp(actor):
            return False
        self.renderer.RemoveActor(actor)
        if render:
            self.render()
        return True

    def render(self) -> None:
        self.ren_win.Render()
        self._rendered = True

    def screenshot(
        self, filename: str | None = None, return_img: bool = True, scale: int | None = None
    ) -> np.ndarray | None:
        """The last frame as an (h, w, 3) uint8 array, top row first (rendered first if
        nothing was yet, as pyvista does); saved as PNG to ``filename`` if given."""
        if not self._rendered:
            self.render()
        grab = vtkWindowToImageFilter()
        grab.SetInput(self.ren_win)
        grab.SetScale(int(scale or 1))
        grab.FixBoundaryOn()
        grab.ShouldRerenderOff()
        grab.SetInputBufferTypeToRGB()
        grab.ReadFrontBufferOn()  # the resolved frame, as pyvista reads it
        grab.Update()
        out = grab.GetOutput()
        w, h, _ = out.GetDimensions()
        pixels = vtk_to_numpy(out.GetPointData().GetScalars()).reshape(h, w, -1)
        image = np.ascontiguousarray(pixels[::-1])
        if filename is not None:
            from PIL import Image

            Image.fromarray(image).save(filename)
        return image if return_img else None

    def close(self) -> None:
        """Release the GL context and every prop."""
        self.renderer.RemoveAllViewProps()
        self.renderer.RemoveAllLights()
        self._named.clear()
        self.ren_win.Finalize()
