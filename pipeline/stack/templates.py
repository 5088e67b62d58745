"""Config templates of the stack, kept in ``deploy/local`` next to the package, and their rendering.

Templates use ``string.Template`` placeholders (``${name}``) so they stay readable as the files they become;
a missing value is an error, never an empty string in a config.
"""

from __future__ import annotations

from pathlib import Path
from string import Template
from xml.sax.saxutils import escape

import pipeline
from pipeline.stack.model import StackError

# The package is installed editable from the repository, so deploy/ sits next to it.
DEPLOY_DIR = Path(pipeline.__file__).resolve().parent.parent / "deploy" / "local"


def render(template: Path, dest: Path, values: dict[str, str]) -> Path:
    """Write ``template`` with ``values`` substituted to ``dest`` (mode 0600: it may hold a password hash)."""
    try:
        text = Template(template.read_text()).substitute(values)
    except FileNotFoundError as exc:
        raise StackError(f"config template {template} is missing (is the repository complete?)") from exc
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.write_text(text)
    tmp.chmod(0o600)
    tmp.replace(dest)
    return dest


def xml_values(values: dict[str, str]) -> dict[str, str]:
    """``values`` escaped for use as XML text."""
    return {key: escape(value) for key, value in values.items()}
