"""VTK actors, lights and textures built directly, as pyvista's plotting API built them
(render: VTK, no Qt).

Why: ``pyvista.plotting`` (``add_mesh``, ``add_text``, ``add_point_labels``, ``Light``,
``Color``, ``Texture``) imports matplotlib and costs 0.7-0.9 s at start-up, the largest
share of a headless ``alatau-twin render``. The shared render code builds its props here
and hands them to ``plotter.add_actor``, which both pyvista's plotters (the Qt widget)
and :class:`~alatau_twin.render.headless.HeadlessPlotter` have. Each builder sets the
state the pyvista call it replaces set (compared property by property on pyvista
0.49 / VTK 9.7), so a picture is the same whichever plotter drew it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from vtkmodules.vtkCommonDataModel import vtkDataSet, vtkImageData
from vtkmodules.vtkRenderingAnnotation import vtkCornerAnnotation
from vtkmodules.vtkRenderingCore import (
    vtkActor,
    vtkActor2D,
    vtkDataSetMapper,
    vtkLight,
    vtkTextProperty,
    vtkTexture,
)

Color = str | Sequence[float]


def rgb255(color: Color) -> tuple[int, int, int]:
    """``"#rrggbb"`` or an RGB triple (ints 0-255 or floats 0-1) as ints 0-255."""
    if isinstance(color, str):
        h = color.lstrip("#")
        if len(h) != 6:
            raise ValueError(f"expected a colour as '#rrggbb', got {color!r}")
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
    r, g, b = color
    if all(isinstance(c, int | np.integer) for c in (r, g, b)):
        return int(r), int(g), int(b)
    return round(float(r) * 255), round(float(g) * 255), round(float(b) * 255)


def rgb(color: Color) -> tuple[float, float, float]:
    """``"#rrggbb"`` or an RGB triple (ints 0-255 or floats 0-1) as floats 0-1, as
    ``pv.Color(color).float_rgb`` gave them."""
    if isinstance(color, str) or all(isinstance(c, int | np.integer) for c in color):
        r, g, b = rgb255(color)
        return r / 255, g / 255, b / 255
    r, g, b = color
    return float(r), float(g), float(b)


def mesh_actor(
    dataset: vtkDataSet,
    *,
    scalars: str | None = None,
    color: Color | None = None,
    opacity: float = 1.0,
    ambient: float = 0.0,
    diffuse: float = 1.0,
    specular: float = 0.0,
    specular_power: float = 100.0,
    lighting: bool = True,
    line_width: float = 1.0,
    point_size: float = 5.0,
    texture: vtkTexture | None = None,
) -> vtkActor:
    """An actor drawing ``dataset`` as ``plotter.add_mesh(dataset, ...)`` drew it.

    ``scalars`` names an (n, 3) uint8 array drawn as colours directly (``scalars=...,
    rgb=True``): no lookup table, per cell or per point as the array lives. The
    defaults are pyvista's (specular power 100, point size 5), and shading is flat
    (``smooth_shading=False``) as every caller asked. A ``texture`` (with no
    ``scalars``) is drawn on white. Without a ``color`` the material is white, as the
    headless plotter's theme had it; the app's pyvista theme had light blue, which
    tinted only the faint specular highlights of RGB-coloured buildings (a handful of
    pixels by a few levels).
    """
    mapper = vtkDataSetMapper()
    mapper.SetInputData(dataset)
    # pyvista's theme default; it only matters for mapped (non-RGB) scalars.
    mapper.SetInterpolateScalarsBeforeMapping(True)
    if scalars is not None:
        if dataset.GetCellData().GetAbstractArray(scalars) is not None:
            mapper.SetScalarModeToUseCellFieldData()
        elif dataset.GetPointData().GetAbstractArray(scalars) is not None:
            mapper.SetScalarModeToUsePointFieldData()
        else:
            raise KeyError(f"no array {scalars!r} in the cell or point data")
        mapper.SelectColorArray(scalars)
        mapper.SetColorModeToDirectScalars()
        mapper.ScalarVisibilityOn()
    else:
        mapper.ScalarVisibilityOff()
    actor = vtkActor()
    actor.SetMapper(mapper)
    prop = actor.GetProperty()
    prop.SetInterpolationToFlat()
    prop.SetColor(*(rgb(color) if color is not None else (1.0, 1.0, 1.0)))
    prop.SetOpacity(float(opacity))
    prop.SetAmbient(float(ambient))
    prop.SetDiffuse(float(diffuse))
    prop.SetSpecular(float(specular))
    prop.SetSpecularPower(float(specular_power))
    prop.SetLighting(bool(lighting))
    prop.SetLineWidth(float(line_width))
    prop.SetPointSize(float(point_size))
    if texture is not None:
        actor.SetTexture(texture)
    return actor


def add_prop(plotter: Any, prop: Any, name: str, *, pickable: bool = True) -> Any:
    """Add ``prop`` to ``plotter`` under ``name`` (replacing a prop of that name), with
    no camera reset and no render: the scene asks for one coalesced render itself."""
    plotter.add_actor(prop, name=name, reset_camera=False, render=False, pickable=pickable)
    return prop


def texture_from_image(image: vtkImageData) -> vtkTexture:
    """A texture showing an image's RGB point data as colours (``pv.Texture(image)``),
    nearest-neighbour sampled as pyvista left it."""
    texture = vtkTexture()
    texture.SetInputDataObject(image)
    texture.SetColorModeToDirectScalars()
    return texture


def light(
    intensity: float,
    *,
    color: Color | None = None,
    position: Sequence[float] = (0.0, 0.0, 1.0),
    headlight: bool = False,
) -> vtkLight:
    """A directional scene light shining from ``position`` towards the origin, or a
    headlight (``pv.Light(light_type=..., intensity=..., color=...)``); white unless
    a ``color`` is given."""
    lt = vtkLight()
    if color is not None:
        c = rgb(color)
        lt.SetAmbientColor(*c)
        lt.SetDiffuseColor(*c)
        lt.SetSpecularColor(*c)
    if headlight:
        lt.SetLightTypeToHeadlight()
    else:
        lt.SetLightTypeToSceneLight()
        lt.SetPosition(*position)
        lt.SetFocalPoint(0.0, 0.0, 0.0)
        lt.SetPositional(False)
    lt.SetIntensity(float(intensity))
    return lt


def _text_property(
    color: Color, font_size: int, *, bold: bool = False, font_file: str | None = None
) -> vtkTextProperty:
    prop = vtkTextProperty()
    prop.SetColor(*rgb(color))
    prop.SetFontSize(int(font_size))
    prop.SetBold(bold)
    prop.SetItalic(False)
    prop.SetShadow(False)
    if font_file is not None:
        prop.SetFontFamily(4)  # VTK_FONT_FILE
        prop.SetFontFile(font_file)
    else:
        prop.SetFontFamilyToArial()
    return prop


# vtkCornerAnnotation's slots, by pyvista's names.
_CORNERS = {"lower_left": 0, "lower_right": 1, "upper_left": 2, "upper_right": 3}


def corner_text(
    text: str, corner: str, *, font_size: int, color: Color, font_file: str | None = None
) -> vtkCornerAnnotation:
    """Text in a corner of the viewport, ``plotter.add_text(text, position=corner,
    font_size=...)``: a corner annotation whose size follows the viewport (the
    ``font_size`` is a linear scale factor of half its value, as pyvista passed it)."""
    actor = vtkCornerAnnotation()
    actor.SetText(_CORNERS[corner], text)
    actor.SetLinearFontScaleFactor(font_size // 2)
    actor.SetTextProperty(_text_property(color, 12, font_file=font_file))
    return actor


def point_labels(
    points: np.ndarray,
    labels: Sequence[str],
    *,
    font_size: int,
    text_color: Color,
    shape_color: Color,
    shape_opacity: float,
    font_file: str | None = None,
) -> vtkActor2D:
    """Bold labels on filled rounded boxes at 3D points, always drawn and without the
    points themselves (``plotter.add_point_labels(points, labels, bold=True,
    shape="rounded_rect", always_visible=True, show_points=False, ...)``)."""
    import pyvista as pv
    from vtkmodules.vtkCommonCore import vtkStringArray
    from vtkmodules.vtkRenderingLabel import vtkLabelPlacementMapper, vtkPointSetToLabelHierarchy

    data = pv.PolyData(np.asarray(points, dtype=float))
    names = vtkStringArray()
    names.SetName("labels")
    for label in labels:
        names.InsertNextValue(str(label))
    data.GetPointData().AddArray(names)
    hierarchy = vtkPointSetToLabelHierarchy()
    hierarchy.SetLabelArrayName("labels")
    hierarchy.SetInputData(data)
    hierarchy.SetTextProperty(_text_property(text_color, font_size, bold=True, font_file=font_file))
    mapper = vtkLabelPlacementMapper()
    mapper.SetInputConnection(hierarchy.GetOutputPort())
    mapper.SetShapeToRoundedRect()
    mapper.SetStyleToFilled()
    mapper.SetBackgroundColor(*rgb(shape_color))
    mapper.SetBackgroundOpacity(float(shape_opacity))
    mapper.SetMargin(3)
    actor = vtkActor2D()
    actor.SetMapper(mapper)
    return actor
