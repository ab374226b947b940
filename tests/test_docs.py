"""The documentation site: it builds with warnings as errors, and every code block on it runs.

Python blocks run page by page, in one namespace per page, in a folder holding real runs:
the example folders the pages name (`outputs/DATE/TIME`) are replaced by runs made here,
and a block about job files runs inside a run folder (schema 1's inside one holding a
schema-1 file). Each `python -m qexp` / `qexp` command in a shell block is composed and
checked as the command line would before running it (a sweep: its first and last point);
commands about a user's own config folder are left out, as are other programs' lines.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, qexp_cli

from qexp import api
from qexp.config.reference import field_docs, pages
from qexp.config.schema import GROUPS, QexpConfig
from qexp.sweep.points import split_points

pytestmark = pytest.mark.slow

DOCS = REPO / "docs"
PAGES = sorted(DOCS.glob("*.md"))
FOLDER = re.compile(r"(?:outputs|multirun)/\d{4}-\d{2}-\d{2}/\d{2}-\d{2}-\d{2}")


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.DOTALL | re.MULTILINE)


def test_the_site_builds_with_warnings_as_errors(tmp_path):
    mkdocs = Path(sys.executable).with_name("mkdocs")
    done = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    site = tmp_path / "site"
    for page in ("config/circuits", "config/run", "reference", "api", "notebooks/first_run"):
        assert (site / page / "index.html").is_file(), page
    reference = (site / "reference/index.html").read_text()
    assert "qexp.api.run" in reference and "load_table" in reference
    circuits = (site / "config/circuits/index.html").read_text()
    assert "circuits.num_qubits" in circuits and "conf/circuits/ghz.yaml" in circuits


def test_the_config_reference_has_every_key_of_every_schema_with_its_docstring():
    text = "\n".join(pages(REPO / "conf").values())
    schemas = [s for choices in GROUPS.values() for s in choices.values()]
    schemas += [f.type for f in dataclasses.fields(QexpConfig) if dataclasses.is_dataclass(f.type)]
    sections = {"partition", "transpile", "run", "metrics"}
    for group, choices in GROUPS.items():
        for name, schema in choices.items():
            assert f"## `{group}={name}`" in text
            for field in dataclasses.fields(schema):
                if field.name not in ("name", "kind"):
                    assert f"`{group}.{field.name}`" in text, (group, field.name)
            for doc in field_docs(schema).values():
                assert doc.replace("\n", " ").replace("|", "\\|") in text
    for section in sections:
        assert f"# `{section}.*`" in text
    assert "`run.progress`" in text and "`transpile.optimization_level`" in text


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real folders for the examples: a run, a mitigated run, a schema-1 job file."""
    root = tmp_path_factory.mktemp("docs")
    run = api.run(run_dir=root / "run", quiet=True).folder
    m3 = api.run(
        "mitigation=m3",
        "backend=fake",
        "circuits.num_qubits=[2,3]",
        "primitive.shots=400",
        run_dir=root / "m3",
        quiet=True,
    ).folder
    v1 = root / "v1"
    (v1 / "jobs").mkdir(parents=True)
    shutil.copy(REPO / "tests/data/v1-sampler.h5", v1 / "jobs/job-00000.h5")
    return {"root": root, "run": run, "m3": m3, "v1": v1}


def python_pages() -> list[Path]:
    return [page for page in PAGES if blocks(page.read_text(), "python")]


@pytest.mark.parametrize("page", python_pages(), ids=lambda p: p.name)
def test_every_python_block_on_the_page_runs(page, folders, monkeypatch):
    names: dict = {}
    for number, code in enumerate(blocks(page.read_text(), "python")):
        example = folders["m3"] if page.name == "mitigation.md" else folders["run"]
        code = FOLDER.sub(str(example), code)
        if "jobs/job-00000.h5" in code:  # a block that reads a job file, inside its run
            monkeypatch.chdir(folders["v1"] if "pub_00000" in code else folders["run"])
        else:
            monkeypatch.chdir(folders["root"])
        where = f"{page.name}, python block {number + 1}"
        exec(compile(ast.parse(code, where), where, "exec"), names)


def commands() -> list[tuple[str, list[str]]]:
    """Each qexp command line shown in a shell block of the site: (page, arguments)."""
    found = []
    for page in PAGES:
        for block in blocks(page.read_text(), "bash"):
            for line in block.replace("\\\n", " ").splitlines():
                words = shlex.split(line, comments=True)
                if words[:3] == ["python", "-m", "qexp"]:
                    args = words[3:]
                elif words[:1] == ["qexp"]:
                    args = words[1:]
                else:
                    continue  # another program, or another qexp command
                if any("my_conf" in a or a.startswith("--") for a in args) or "$(" in line:
                    continue  # a user's own folder, Hydra's own flags, a shell expansion
                found.append((page.name, args))
    return found


@pytest.mark.parametrize(("page", "args"), commands(), ids=lambda x: " ".join(x)[:60])
def test_every_qexp_command_on_the_site_composes_and_passes_the_checks(page, args):
    sweep = "-m" in args
    args = [a for a in args if a != "-m"]
    points = split_points(args) if sweep else [args]
    for point in {0: points[0], -1: points[-1]}.values():
        api.compose(*point)  # raises the command line's ConfigError if it would refuse


def test_the_getting_started_command_runs_as_shown(tmp_path):
    done = qexp_cli("hydra.run.dir=run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("qexp: 4 circuits, sampler (v2) on aer_simulator: 2 done")
