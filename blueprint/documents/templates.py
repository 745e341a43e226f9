"""Finding and rendering the Jinja2 templates in ``templates/``.

The templates folder sits at the repository root, next to ``blueprint/``. A deployment that ships it
elsewhere (the Lambda bundle) points to it with the ``CLEARANCE_TEMPLATES`` environment variable or
passes the folder explicitly. Templates are rendered with autoescaping on, because their output is
XML markup (see ``markup.py``) and the data (names, court names) must never be read as markup.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from .markup import parse
from .model import Document

TEMPLATES_ENV_VAR = "CLEARANCE_TEMPLATES"


def templates_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The templates folder: the argument, else ``$CLEARANCE_TEMPLATES``, else the repository's."""
    if override:
        path = Path(override)
    elif os.environ.get(TEMPLATES_ENV_VAR):
        path = Path(os.environ[TEMPLATES_ENV_VAR])
    else:
        import blueprint

        path = Path(blueprint.__file__).resolve().parent.parent / "templates"
    if not path.is_dir():
        raise FileNotFoundError(f"templates folder not found: {path}")
    return path


@lru_cache(maxsize=8)
def _environment(folder: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,  # the output is XML markup: escape every value
        undefined=jinja2.StrictUndefined,  # a misspelt field is an error, not a silent blank
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def environment(folder: str | os.PathLike[str] | None = None) -> jinja2.Environment:
    """The Jinja2 environment for a templates folder (cached per folder)."""
    return _environment(str(templates_dir(folder)))


def render_markup(name: str, context: dict[str, Any], folder: str | os.PathLike[str] | None = None) -> str:
    """Render the template ``name`` (relative to the templates folder) to document markup."""
    return environment(folder).get_template(name).render(**context)


def render_document(name: str, context: dict[str, Any], folder: str | os.PathLike[str] | None = None) -> Document:
    """Render the template ``name`` and read the markup into a ``Document``."""
    return parse(render_markup(name, context, folder))
