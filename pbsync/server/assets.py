"""The preview's front-end files, served at the paths PYBOSSA's default theme uses.

PYBOSSA 4.0.2's theme loads `static/js/vendor/jquery-2.2.3.js` and `static/js/vendor/bootstrap.js`
(Bootstrap 3.3.6) before `static/js/pybossa/pybossa.js`, and presenters may link those paths
themselves (the classic soundcloud and vimeo presenters load
`/static/js/pybossa-player/dist/pybossa-player.min.js`), so the preview answers the same paths.

Where the files come from:
- jQuery and Bootstrap: the installed Flask-Bootstrap 3.3.7.1 package (Bootstrap 3.3.7, whose JS
  accepts jQuery 1.9 to 2.x, and jQuery 1.12.4). jQuery 2 is jQuery 1.x without old-IE support:
  the API presenters use, `.load(fn)` and `.bind()` included, is the same. Nothing third-party is
  copied into this repository, and nothing is fetched at run time: the preview works offline.
  `jquery-2.2.3.js` therefore holds jQuery 1.12.4; the name is the theme's, kept so the page's
  script list matches PYBOSSA's.
- `pybossa.js`, `flashmessages.js` (`pybossaNotify`) and `pybossa-player.min.js` (`PybossaPlayer`,
  a plain link instead of the SoundCloud/Vimeo widgets) are this project's own, in `static/`.
- Modernizr and cookieconsent are not served: the preview page does not load them, and
  presenters do not call them.
"""

from __future__ import annotations

import functools
import importlib.resources
import logging
from pathlib import Path

from flask import Blueprint, Response, abort, send_file

log = logging.getLogger(__name__)

bp = Blueprint("assets", __name__)

#: this package's own front-end files
OWN_DIR = Path(__file__).with_name("static")

#: PYBOSSA static path -> file under Flask-Bootstrap's `static/` folder
VENDOR_FILES = {
    "js/vendor/jquery-2.2.3.js": "jquery.js",
    "js/vendor/jquery-2.2.3.min.js": "jquery.min.js",
    "js/vendor/bootstrap.js": "js/bootstrap.js",
    "js/vendor/bootstrap.min.js": "js/bootstrap.min.js",
    "css/bootstrap.css": "css/bootstrap.css",
    "css/bootstrap.min.css": "css/bootstrap.min.css",
    "css/bootstrap-theme.min.css": "css/bootstrap-theme.min.css",
}
#: Bootstrap's CSS asks for its icon font at `../fonts/<name>`
VENDOR_FONTS = "fonts/"

#: PYBOSSA static path -> file in `OWN_DIR`
OWN_FILES = {
    "js/pybossa/pybossa.js": "pybossa.js",
    "js/flashmessages.js": "flashmessages.js",
    "js/pybossa-player/dist/pybossa-player.min.js": "pybossa-player.js",
}
#: the preview's live reload and watch-status banner (not a PYBOSSA file)
PREVIEW_SCRIPT = "preview.js"

#: explicit types: Python's mimetypes table differs between versions (js) and lacks fonts
CONTENT_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".eot": "application/vnd.ms-fontobject",
    ".svg": "image/svg+xml",
}


@functools.cache
def vendor_dir() -> Path:
    """Return Flask-Bootstrap's `static` folder (imported once, when first asked for).

    Raises:
        RuntimeError: when the package is not installed as plain files (a zip, say).
    """
    root = importlib.resources.files("flask_bootstrap") / "static"
    if not isinstance(root, Path) or not root.is_dir():
        raise RuntimeError(f"Flask-Bootstrap's static files are not a folder: {root}")
    return root


def resolve(path: str) -> Path | None:
    """Return the file served at `/static/<path>`, or None for a path the preview does not serve."""
    if path in OWN_FILES:
        return OWN_DIR / OWN_FILES[path]
    if path in VENDOR_FILES:
        return vendor_dir() / VENDOR_FILES[path]
    if path.startswith(VENDOR_FONTS):
        name = path[len(VENDOR_FONTS) :]
        fonts = vendor_dir() / "fonts"
        # a name from a fixed listing, so no path from the request ever reaches the filesystem
        found = {p.name: p for p in fonts.iterdir() if p.is_file()}
        return found.get(name)
    return None


def _send(path: Path) -> Response:
    # max_age=0: a browser revalidates (ETag, 304) and so never keeps an old pybossa.js
    return send_file(path, mimetype=CONTENT_TYPES.get(path.suffix), max_age=0)


@bp.route("/static/<path:path>", methods=["GET"])
def static_file(path: str) -> Response:
    """Serve a front-end file at PYBOSSA's path (404 for any other path)."""
    found = resolve(path)
    if found is None or not found.is_file():
        abort(404)
    return _send(found)


@bp.route(f"/_pbsync/preview/{PREVIEW_SCRIPT}", methods=["GET"])
def preview_script() -> Response:
    """Serve the preview page's live-reload script."""
    return _send(OWN_DIR / PREVIEW_SCRIPT)
