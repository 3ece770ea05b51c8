"""The 3D viewport widget: pyvistaqt's ``QtInteractor`` with opaque frames (ui).

pyvistaqt 0.13 copies each VTK frame into the ``QOpenGLWidget``'s framebuffer and then
clears that framebuffer's alpha channel to 1 over the whole widget, because VTK leaves
the background's alpha at 0 and a desktop compositor would otherwise show the windows
behind through it. On llvmpipe that clear is one more full-window pass per frame: at
1920x1080 (presentation mode) each such pass costs several milliseconds of the ~65 ms a
slide transition frame may take. Here the renderers draw an opaque background
(``SetBackgroundAlpha(1)``; translucent actors blend their alpha towards 1 over it), so
the frame is already opaque and the extra clear is skipped. ``tests/qt`` checks that
grabbed frames have alpha 255 everywhere.
"""

from __future__ import annotations

from typing import Any

from pyvistaqt import QtInteractor

# OpenGL enums used by the copy (from the GL headers).
_GL_DRAW_FRAMEBUFFER = 0x8CA9
_GL_SCISSOR_TEST = 0x0C11
_GL_COLOR_BUFFER_BIT = 0x00004000
_GL_LINEAR = 0x2601


class Viewport(QtInteractor):
    """``QtInteractor`` whose frames are opaque, so they need no alpha clear."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.make_opaque()

    def make_opaque(self) -> None:
        """Opaque backgrounds in every renderer (call again after adding renderers)."""
        renderers = self.render_window.GetRenderers()
        renderers.InitTraversal()
        for _ in range(renderers.GetNumberOfItems()):
            renderers.GetNextItem().SetBackgroundAlpha(1.0)

    def _blit(self, target_id: int, rect: Any) -> None:
        """Copy VTK's frame into the widget's framebuffer, scaled to fill it.

        Overrides pyvistaqt's private hook (pyvistaqt is pinned below 0.14): the same
        copy, without the alpha clear that follows it there. Falls back to pyvistaqt's
        version when the GL helper it relies on is missing.
        """
        rw = getattr(self, "_RenderWindow", None)
        gl = getattr(self, "_gl", None)
        if rw is None or gl is None or not hasattr(gl, "draw_buffer_attachment0"):
            super()._blit(target_id, rect)
            return
        gl.glBindFramebuffer(_GL_DRAW_FRAMEBUFFER, target_id)
        gl.draw_buffer_attachment0()
        scissor = bool(gl.glIsEnabled(_GL_SCISSOR_TEST))
        if scissor:  # the scissor box would crop the copy
            rw.GetState().vtkglDisable(_GL_SCISSOR_TEST)
            gl.glDisable(_GL_SCISSOR_TEST)
        w, h = rw.GetSize()
        rw.BlitDisplayFramebuffer(
            0, 0, 0, w, h, rect.x(), rect.y(), rect.width(), rect.height(),
            _GL_COLOR_BUFFER_BIT, _GL_LINEAR,
        )  # fmt: skip
        if scissor:
            rw.GetState().vtkglEnable(_GL_SCISSOR_TEST)
            gl.glEnable(_GL_SCISSOR_TEST)
