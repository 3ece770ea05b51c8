"""The user interface in English, Russian and Kazakh through Qt's translations (ui: Qt).

Translations are Qt Linguist files (``resources/i18n/alatau_<lang>.ts``, compiled to
``.qm`` with ``pyside6-lrelease``; both are committed, and a missing or stale ``.qm`` is
rebuilt from its ``.ts`` on first use when lrelease is available). They are loaded into
a ``QTranslator`` and every text goes through ``QCoreApplication.translate``.

The window's menus, actions, docks and toolbars are written in English in many places
by several features. Rather than wrap each string, :func:`retranslate` walks the
window's widgets and translates each title by its *English source text* (remembered on
the object the first time), so switching languages at run time works both ways and a
menu added by a feature tomorrow is translated as soon as its text is in the ``.ts``.
The walker uses the context ``MainWindow`` for all of them.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, QTranslator
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QToolBar,
    QWidgetAction,
)

LANGUAGES: dict[str, str] = {"en": "English", "ru": "Русский", "kk": "Қазақша"}
CONTEXT = "MainWindow"
_SOURCE = "alatau_i18n_source"  # dynamic property holding an object's English text


def i18n_dir() -> Path:
    """``resources/i18n`` beside the package (source checkout or installed data)."""
    return Path(__file__).resolve().parents[2] / "resources" / "i18n"


def _lrelease() -> str | None:
    exe = shutil.which("pyside6-lrelease")
    if exe:
        return exe
    try:
        import PySide6

        cand = Path(PySide6.__file__).parent / "lrelease"
        return str(cand) if cand.exists() else None
    except ImportError:
        return None


def compile_translations(folder: Path | None = None) -> list[Path]:
    """Compile every ``.ts`` in ``folder`` to ``.qm`` (needs lrelease); returns the
    written files."""
    folder = folder or i18n_dir()
    exe = _lrelease()
    if exe is None:
        raise RuntimeError("pyside6-lrelease not found (it comes with PySide6-Essentials)")
    out = []
    for ts in sorted(folder.glob("alatau_*.ts")):
        qm = ts.with_suffix(".qm")
        subprocess.run([exe, "-silent", str(ts), "-qm", str(qm)], check=True)
        out.append(qm)
    return out


def qm_file(lang: str) -> Path | None:
    """The compiled translation for ``lang``; rebuilt when older than its ``.ts``."""
    ts = i18n_dir() / f"alatau_{lang}.ts"
    qm = ts.with_suffix(".qm")
    if ts.exists() and (not qm.exists() or qm.stat().st_mtime < ts.stat().st_mtime):
        exe = _lrelease()
        if exe is not None:
            try:
                subprocess.run([exe, "-silent", str(ts), "-qm", str(qm)], check=True)
            except (OSError, subprocess.CalledProcessError):
                pass  # a read-only install: use the committed .qm
    return qm if qm.exists() else None


class Translations(QObject):
    """Owns the installed QTranslator and switches languages."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.language = "en"
        self._translator: QTranslator | None = None

    def set_language(self, lang: str) -> bool:
        """Install ``lang`` (``en`` removes translations); False if it cannot load."""
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; choose from {sorted(LANGUAGES)}")
        app = QCoreApplication.instance()
        if self._translator is not None and app is not None:
            app.removeTranslator(self._translator)
            self._translator = None
        self.language = "en"
        if lang == "en":
            return True
        path = qm_file(lang)
        translator = QTranslator(self)
        if path is None or not translator.load(str(path)):
            return False
        if app is not None:
            app.installTranslator(translator)
        self._translator = translator
        self.language = lang
        return True


def _source(obj: QObject, current: str) -> str:
    """The English text of a title: stored on first sight, so it survives switches."""
    stored = obj.property(_SOURCE)
    if isinstance(stored, str) and stored:
        return stored
    obj.setProperty(_SOURCE, current)
    return current


def tr_source(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text) if text else text


def retranslate(window: QMainWindow) -> int:
    """Translate the titles of menus, actions, docks and toolbars in ``window`` from
    their English source texts; returns how many objects were visited."""
    n = 0
    seen: set[int] = set()

    def action(a: QAction) -> None:
        nonlocal n
        if id(a) in seen or a.isSeparator():
            return
        seen.add(id(a))
        menu = a.menu()
        if menu is not None:
            menu_(menu)
            return
        text = a.text()
        if not text and not a.property(_SOURCE):
            return
        a.setText(tr_source(_source(a, text)))
        n += 1

    def menu_(m: QMenu) -> None:
        nonlocal n
        if id(m) in seen:
            return
        seen.add(id(m))
        m.setTitle(tr_source(_source(m, m.title())))
        n += 1
        for a in m.actions():
            action(a)

    for a in window.menuBar().actions():
        action(a)
    for dock in window.findChildren(QDockWidget):
        dock.setWindowTitle(tr_source(_source(dock, dock.windowTitle())))
        n += 1
    for bar in window.findChildren(QToolBar):
        bar.setWindowTitle(tr_source(_source(bar, bar.windowTitle())))
        n += 1
        for a in bar.actions():
            if not isinstance(a, QWidgetAction):  # plain actions shown as tool buttons
                action(a)
        for w in bar.findChildren(QCheckBox) + bar.findChildren(QLabel):
            if w.text():
                w.setText(tr_source(_source(w, w.text())))
                n += 1
    return n


def install_language_menu(window: Any, translations: Translations, settings: Any) -> QMenu:
    """A View > Language menu (English, Русский, Қазақша) persisted in QSettings."""
    view_menu = getattr(window, "view_menu", None) or window.menuBar().addMenu("&View")
    menu = view_menu.addMenu("&Language")
    menu.setObjectName("languageMenu")
    group = QActionGroup(menu)
    window.language_actions = {}
    for code, name in LANGUAGES.items():
        a = QAction(name, window)
        a.setCheckable(True)
        a.setData(code)
        a.triggered.connect(lambda _=False, c=code: switch_language(window, c))
        group.addAction(a)
        menu.addAction(a)
        window.language_actions[code] = a
    window.translations = translations
    window.i18n_settings = settings
    return menu


def switch_language(window: Any, lang: str) -> bool:
    """Switch the running window's language and remember it."""
    translations: Translations = window.translations
    ok = translations.set_language(lang)
    for code, a in getattr(window, "language_actions", {}).items():
        a.setChecked(code == translations.language)
    retranslate(window)
    settings = getattr(window, "i18n_settings", None)
    if ok and settings is not None:
        settings.setValue("language", lang)
    return ok


def install_i18n(window: Any) -> Translations:
    """Language menu, the saved language applied, and retranslation whenever menus are
    rebuilt (a new scene's places, a saved view) or a menu is about to show."""
    settings = window.settings
    translations = Translations(window)
    install_language_menu(window, translations, settings)
    lang = str(settings.value("language", "en") or "en")
    if lang not in LANGUAGES:
        lang = "en"

    def refresh(*_: Any) -> None:
        if translations.language != "en":
            retranslate(window)

    def start() -> None:
        # After the window is built: menus other features add after us are covered.
        for a in window.menuBar().actions():
            if a.menu() is not None:
                a.menu().aboutToShow.connect(refresh)
        if lang != "en" or translations.language != "en":
            switch_language(window, lang)
        else:
            window.language_actions["en"].setChecked(True)

    window.scene_loaded.connect(refresh)
    window.language_actions[lang].setChecked(True)
    QTimer.singleShot(0, window, start)
    return translations
