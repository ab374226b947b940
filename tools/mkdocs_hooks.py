"""MkDocs hooks of qexp's site (mkdocs.yml `hooks:`): the config reference, generated.

Each build writes the pages of `config/` from the schemas (`qexp.config.reference`), so the
reference on the site is always the code's own; nothing generated is kept in the repository.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

from qexp.config.reference import pages

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"


def on_files(files: Files, config: Any) -> Files:
    for name, text in pages(CONF_DIR).items():
        files.append(File.generated(config, f"config/{name}", content=text))
    return files
