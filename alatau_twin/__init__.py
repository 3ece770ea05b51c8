"""Alatau Twin: a desktop digital twin of Alatau City, Kazakhstan.

Importing the package is cheap on purpose: no Qt, VTK or geopandas is imported until a
command needs it, so ``alatau-twin --help`` answers at once and the core model can be
used from scripts and tests without a display.
"""

__version__ = "0.1.0"
