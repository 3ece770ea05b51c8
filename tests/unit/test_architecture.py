"""The layered architecture holds: import contracts, and a light `import alatau_twin`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("PySide6", "vtk", "vtkmodules", "pyvista", "pyvistaqt", "geopandas", "pandas")


def test_import_contracts_hold() -> None:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    proc = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 4 kept, 0 broken" in proc.stdout


def _modules_after(code: str) -> set[str]:
    probe = code + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))\n"
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


def test_import_alatau_twin_imports_no_qt_vtk_or_geopandas() -> None:
    mods = _modules_after("import alatau_twin")
    assert not [m for m in mods if m.split(".")[0] in HEAVY]


def test_help_imports_no_qt_vtk_or_geopandas() -> None:
    code = (
        "import contextlib, io\n"
        "from alatau_twin.cli.main import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    try:\n        main(['--help'])\n"
        "    except SystemExit as e:\n        assert e.code == 0\n"
        "assert 'render' in buf.getvalue()\n"
    )
    mods = _modules_after(code)
    assert not [m for m in mods if m.split(".")[0] in HEAVY]


def test_core_model_imports_no_heavy_libraries() -> None:
    mods = _modules_after(
        "import alatau_twin.core.scene, alatau_twin.core.layers, alatau_twin.core.extrude"
    )
    assert not [m for m in mods if m.split(".")[0] in HEAVY]


def test_installed_qt_binding_does_not_leak_none_references() -> None:
    """PySide6 6.12.0 dropped a reference to None on each call returning None; a long
    session then aborts ("none_dealloc"). Guard the pinned version against regressions."""
    code = (
        "import sys\n"
        "from PySide6.QtCore import QObject\n"
        "o = QObject()\n"
        "before = sys.getrefcount(None)\n"
        "for _ in range(2000):\n    o.setObjectName('x')\n"
        "print(before - sys.getrefcount(None))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr[-500:]
    assert abs(int(proc.stdout.strip())) < 50
