"""The config reference, written from the schemas themselves: a page per config group.

Each key's type and default come from the dataclass field, its meaning from the docstring
under the field (read from the source), each choice's text from its class docstring, and
each page opens with its schema module's docstring. The documentation site builds these
pages on every build (docs/hooks.py), so the reference cannot drift from the code; a field
without a docstring shows as such.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import sys
import textwrap
from pathlib import Path
from typing import Any

from qexp.config.schema import DISCRIMINATORS, GROUPS, OPTIONAL_GROUPS, QexpConfig

SECTIONS = ("partition", "transpile", "run", "metrics")
"""The plain sections of the config (no choice to make), each a page of its own."""


def field_docs(schema: type) -> dict[str, str]:
    """Each field's docstring (the string literal under it in the class body)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(schema)))
    body = next(n for n in tree.body if isinstance(n, ast.ClassDef)).body
    docs: dict[str, str] = {}
    for node, after in zip(body, [*body[1:], None], strict=True):
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        value = after.value if isinstance(after, ast.Expr) else None
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            docs[node.target.id] = inspect.cleandoc(value.value)
    return docs


def default_of(field: dataclasses.Field[Any]) -> str:
    if field.default is not dataclasses.MISSING:
        value = field.default
    elif field.default_factory is not dataclasses.MISSING:
        value = field.default_factory()
    else:
        return "required"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if value == "???":
        return "required"
    return f"`{value!r}`" if not dataclasses.is_dataclass(value) else "(its section)"


def keys_table(schema: type, prefix: str, skip: tuple[str, ...] = ()) -> str:
    """A Markdown table: each key of `schema` under `prefix`, its type, default, meaning."""
    docs = field_docs(schema)
    rows = ["| key | type | schema default | meaning |", "|---|---|---|---|"]
    for field in dataclasses.fields(schema):
        if field.name in skip:
            continue
        meaning = docs.get(field.name, "").replace("\n", " ").replace("|", "\\|")
        kind = str(field.type).replace("|", "\\|")
        rows.append(
            f"| `{prefix}{field.name}` | `{kind}` | {default_of(field)} | {meaning or '-'} |"
        )
    return "\n".join(rows)


def _module_doc(schema: type) -> str:
    return inspect.cleandoc(sys.modules[schema.__module__].__doc__ or "")


def group_page(group: str, conf_dir: Path | None = None) -> str:
    """The page of a config group with choices (`circuits=`, `backend=`, ...)."""
    choices = GROUPS[group]
    first = next(iter(choices.values()))
    lines = [f"# `{group}=`", "", _module_doc(first), ""]
    if group in OPTIONAL_GROUPS:
        lines += [f"Optional: nothing is chosen unless the command line says `{group}=...`.", ""]
    lines += [f"Choices: {', '.join(f'[`{name}`](#{group}{name})' for name in choices)}.", ""]
    key = DISCRIMINATORS[group]
    for name, schema in choices.items():
        lines += [f"## `{group}={name}` {{#{group}{name}}}", ""]
        lines += [inspect.cleandoc(schema.__doc__ or ""), ""]
        lines += [keys_table(schema, f"{group}.", skip=(key,)), ""]
        yaml = conf_dir / group / f"{name}.yaml" if conf_dir else None
        if yaml is not None and yaml.is_file():
            lines += [f"`conf/{group}/{name}.yaml`:", "", "```yaml", yaml.read_text().rstrip()]
            lines += ["```", ""]
        lines += [f"Schema: `{schema.__module__}.{schema.__name__}`.", ""]
    return "\n".join(lines)


def section_page(section: str) -> str:
    """The page of a plain section (`run.*`, `partition.*`, ...)."""
    schema = next(f.type for f in dataclasses.fields(QexpConfig) if f.name == section)
    schema = getattr(sys.modules[QexpConfig.__module__], str(schema))
    lines = [f"# `{section}.*`", "", inspect.cleandoc(schema.__doc__ or ""), ""]
    lines += [keys_table(schema, f"{section}."), "", f"Schema: `{schema.__module__}."]
    lines[-1] += f"{schema.__name__}`."
    return "\n".join(lines) + "\n"


def index_page() -> str:
    """The overview: every group and section, and the top-level keys."""
    lines = [
        "# The config contract",
        "",
        "Every page here is generated from the schemas (`qexp.config`) on each build of",
        "this site: the keys, their types and defaults, and the docstring under each field.",
        "A typo or a wrong type is an error naming the full key; every value range is",
        "checked before anything is submitted. Groups are chosen with `group=choice`, keys",
        "set with `key=value`, on the command line (`circuits=qft circuits.num_qubits=[2,3]`)",
        'or in Python (`api.run("circuits=qft", "circuits.num_qubits=[2,3]")`).',
        "",
        "| page | what it holds |",
        "|---|---|",
    ]
    for group, choices in GROUPS.items():
        lines.append(f"| [`{group}=`]({group}.md) | {', '.join(choices)} |")
    for section in SECTIONS:
        schema = getattr(sys.modules[QexpConfig.__module__], _section_type(section))
        lines.append(f"| [`{section}.*`]({section}.md) | {inspect.cleandoc(schema.__doc__)} |")
    lines += ["", "Top-level keys:", "", keys_table(QexpConfig, "", skip=(*GROUPS, *SECTIONS))]
    return "\n".join(lines) + "\n"


def _section_type(section: str) -> str:
    return str(next(f.type for f in dataclasses.fields(QexpConfig) if f.name == section))


def pages(conf_dir: Path | None = None) -> dict[str, str]:
    """Every page of the reference by its file name: index.md, one per group and section."""
    found = {"index.md": index_page()}
    found.update({f"{group}.md": group_page(group, conf_dir) for group in GROUPS})
    found.update({f"{section}.md": section_page(section) for section in SECTIONS})
    return found
