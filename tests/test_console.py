"""What the user sees: results on stdout, one plain line per message on stderr, commands
that work as printed, and a `--help` that lists only the groups a user chooses from."""

from __future__ import annotations

import logging
import os
import re
import shlex
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from conftest import CONF_DIR, REPO, qexp_cli
from emulator import subprocess_env

from qexp import console
from qexp.cli import command

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
BIN = Path(sys.executable).parent
"""This interpreter's scripts folder, where pip put qexp's console scripts."""
NO_QEXP_PATH = "/usr/bin:/bin"
"""A PATH without this installation's console scripts."""


def console_lines(stderr: str) -> list[str]:
    """stderr's messages: each starts `qexp: `, a further line of one message is indented."""
    lines = stderr.splitlines()
    assert all(line.startswith(("qexp: ", "  ")) for line in lines), stderr
    return [line for line in lines if line.startswith("qexp: ")]


# --- the console rule, through the real CLI ---------------------------------------------
def test_a_run_prints_results_on_stdout_and_progress_on_stderr(cli, tmp_path):
    done = cli(f"hydra.run.dir={tmp_path}/run")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("qexp: 4 circuits, sampler (v2) on aer_simulator: 2 done")
    assert f"run folder: {tmp_path}/run" in done.stdout
    progress = console_lines(done.stderr)
    assert "qexp: 4 circuits (ghz) in 2 jobs, sampler (v2) on aer_simulator" in progress
    assert any(line.startswith("qexp: job 1 done [") for line in progress), progress
    assert not TIMESTAMP.search(done.stdout + done.stderr)
    assert "qexp.run.runner" not in done.stdout + done.stderr  # no logger names
    log = (tmp_path / "run/__main__.log").read_text()
    assert TIMESTAMP.search(log) and "[qexp.run.runner][INFO] - 4 circuits (ghz) in 2 jobs" in log


def test_an_error_is_one_plain_line_on_stderr(cli, tmp_path):
    done = cli("primitive.shots=-5", f"hydra.run.dir={tmp_path}/run")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "qexp: error: primitive.shots=-5 is not valid: a positive integer. "
        "Fix: set primitive.shots=1024\n"
    )


@pytest.mark.parametrize(
    "override", ["primitive.shots=abc", "nosuch=1", "circuits=nosuch", "circuits.num_qubits=[2,3"]
)
def test_a_command_line_hydra_refuses_is_bad_input(cli, tmp_path, override):
    """Hydra's own message (on stderr, with the full key), and exit code 2 as for any bad
    input: nothing ran, so 1 (a run that did not complete) would not be true."""
    done = cli(override, f"hydra.run.dir={tmp_path}/run")
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "run").exists()


def test_a_sweep_prints_results_on_stdout_and_its_failures_on_stderr(cli, tmp_path):
    done = cli("-m", "circuits.num_qubits=2,40", f"hydra.sweep.dir={tmp_path}/multi")
    assert done.returncode == 2, done.stderr
    assert "[HYDRA]" not in done.stdout and not TIMESTAMP.search(done.stdout + done.stderr)
    assert "point  overrides" in done.stdout and "total: 2 points" in done.stdout
    lines = console_lines(done.stderr)
    assert "qexp: hydra: Launching 2 jobs locally" in lines
    assert lines[-1] == "qexp: error: 1 sweep point(s) failed:"
    assert done.stderr.endswith(f"  resume with: {command('resume', tmp_path / 'multi')}\n")


@pytest.mark.parametrize("module", ["qexp.status", "qexp.show", "qexp.resume", "qexp.report"])
def test_the_other_commands_report_errors_the_same_way(tmp_path, module):
    done = qexp_cli(str(tmp_path / "nothing"), cwd=tmp_path, module=module)
    assert done.returncode == 1
    assert done.stdout == ""
    assert re.fullmatch(rf"qexp: error: {tmp_path}/nothing[: ].*no run folder.*\n", done.stderr)


# --- library messages -------------------------------------------------------------------
@pytest.fixture
def restore_logging():
    """Undoes `qexp.console.setup()` after a test (it sets the whole process's logging)."""
    root = logging.getLogger()
    runtime = logging.getLogger("qiskit_ibm_runtime")
    saved = (root.handlers[:], root.level, runtime.handlers[:], runtime.propagate)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        yield
    root.handlers[:], runtime.handlers[:] = saved[0], saved[2]
    root.setLevel(saved[1])
    runtime.propagate = saved[3]


def test_library_messages_are_one_line_and_only_the_harmless_one_is_dropped(
    restore_logging, capsys
):
    console.setup()  # on pytest's captured stderr
    harmless = next(iter(console.HARMLESS["qiskit_ibm_runtime.qiskit_runtime_service"]))
    service_log = logging.getLogger("qiskit_ibm_runtime.qiskit_runtime_service")
    service_log.warning(harmless)
    service_log.warning("Loading account with the given token.")  # not the same message
    logging.getLogger("qiskit_ibm_runtime.base_runtime_job").warning(harmless)  # other logger
    logging.getLogger("qiskit.transpiler").warning("a real problem")
    logging.getLogger("qiskit.transpiler").info("chatty")  # libraries: warnings only
    logging.getLogger("qexp.execute").info("job 3 submitted")
    logging.getLogger("qexp").error("two\nlines")
    qiskit_file = os.path.join(__import__("qiskit").__path__[0], "transpiler", "passes.py")
    warnings.warn_explicit("an old API", DeprecationWarning, qiskit_file, 1)
    warnings.warn_explicit("odd", UserWarning, "/nowhere/script.py", 1)  # no known module
    assert capsys.readouterr().err.splitlines() == [
        "qexp: warning: qiskit_ibm_runtime: Loading account with the given token.",
        f"qexp: warning: qiskit_ibm_runtime: {harmless}",
        "qexp: warning: qiskit: a real problem",
        "qexp: job 3 submitted",
        "qexp: error: two",
        "  lines",
        "qexp: warning: qiskit: an old API (DeprecationWarning)",
        "qexp: warning: warnings: odd (UserWarning)",
    ]


@pytest.mark.slow
def test_the_ibm_clients_harmless_message_stays_off_the_console(ibm_emulator, tmp_path):
    """`backend.url` makes qexp pass the token to the real client, which then says that a
    saved account will not be used: true, intended, and kept in the log file only."""
    run_dir = tmp_path / "run"
    done = qexp_cli(
        *ibm_emulator.overrides,
        "backend.name=fake_manila",
        "circuits.num_qubits=2",
        "run.poll_interval=0.1",
        "run.progress=off",
        f"hydra.run.dir={run_dir}",
        cwd=tmp_path,
        env=subprocess_env(ibm_emulator),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("qexp: 1 circuits, sampler (executor) on fake_manila")
    assert "Loading account" not in done.stderr
    console_lines(done.stderr)
    log = (run_dir / "__main__.log").read_text()
    assert "[qiskit_ibm_runtime.qiskit_runtime_service][WARNING] - Loading account" in log


# --- commands that work as printed ------------------------------------------------------
def script(folder: Path, name: str, shebang: str) -> Path:
    path = folder / name
    path.write_text(f"{shebang}\nimport sys\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_command_is_this_installations_console_script_when_on_path(monkeypatch):
    if not (BIN / "qexp-resume").is_file():
        pytest.skip(f"qexp's console scripts are not in {BIN}")
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{NO_QEXP_PATH}")
    assert command("resume", "runs/a b") == "qexp-resume 'runs/a b'"
    assert command("run") == "qexp"


def test_command_is_this_interpreter_without_a_console_script(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert (
        command("resume", "runs/a b") == f"{shlex.quote(sys.executable)} -m qexp.resume 'runs/a b'"
    )
    assert command("show", "d") == f"{shlex.quote(sys.executable)} -m qexp.show d"


def test_command_skips_a_console_script_of_another_interpreter(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    script(tmp_path, "qexp-status", "#!/usr/bin/python3")  # another installation's
    assert command("status", "d").startswith(shlex.quote(sys.executable))
    script(tmp_path, "qexp-show", f"#!{sys.executable}")
    assert command("show", "d") == "qexp-show d"
    # pip's form for interpreter paths too long for a shebang line
    script(
        tmp_path, "qexp-report", f"#!/bin/sh\n'''exec' \"{sys.executable}\" \"$0\" \"$@\"\n' '''"
    )
    assert command("report", "d") == "qexp-report d"


def test_no_message_in_the_source_spells_a_bare_python_command():
    """Every command a message prints comes from `qexp.cli.command` (docstrings aside)."""
    import ast

    found = []
    for path in sorted((REPO / "src").rglob("*.py")):
        tree = ast.parse(path.read_text())
        docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
        texts = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and id(n) not in docs]
        for node in texts:
            if isinstance(node.value, str) and re.search(r"(?<![/\w])python3? ", node.value):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {node.value[:60]!r}")
    assert not found, "\n".join(found)


@pytest.mark.slow
@pytest.mark.parametrize("installed", [True, False], ids=["console-script", "interpreter"])
def test_the_commands_a_run_prints_work_as_printed(tmp_path, installed):
    """The run's last line says how to look at it; pasted into a shell, it does."""
    if installed and not (BIN / "qexp-show").is_file():
        pytest.skip(f"qexp's console scripts are not in {BIN}")
    path = f"{BIN}{os.pathsep}{NO_QEXP_PATH}" if installed else NO_QEXP_PATH
    done = qexp_cli(f"hydra.run.dir={tmp_path}/run", cwd=tmp_path, env={"PATH": path})
    assert done.returncode == 0, done.stderr
    look = re.search(r"look: (.+?)   plots: (.+)$", done.stdout, re.MULTILINE)
    assert look, done.stdout
    show = look.group(1)
    assert show.startswith("qexp-show " if installed else f"{sys.executable} -m qexp.show ")
    shown = subprocess.run(
        show, shell=True, cwd=tmp_path, env={**os.environ, "PATH": path}, capture_output=True
    )
    assert shown.returncode == 0, shown.stderr
    assert b"GHZ" in shown.stdout or b"ghz" in shown.stdout, shown.stdout


# --- --help --------------------------------------------------------------------------------
def test_help_lists_only_the_groups_a_user_chooses_from(cli):
    done = cli("--help")
    assert done.returncode == 0, done.stderr
    section = done.stdout.split("== Configuration groups ==")[1].split("== Config ==")[0]
    listed = dict(line.split(": ", 1) for line in section.splitlines() if ": " in line)
    listed.pop("Compose your configuration from those groups (group=option)", None)
    app_groups = ["backend", "check", "circuits", "experiment", "mitigation", "primitive"]
    assert sorted(listed) == sorted([*app_groups, "hydra/launcher"])
    for group in app_groups:
        files = sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))
        assert listed[group].split(", ") == files
    assert {"slurm", "local", "joblib"} <= set(listed["hydra/launcher"].split(", "))
    assert "schema" not in done.stdout
    assert f"Usage: {command('run')} [group=choice]" in done.stdout
    assert f"{command('resume')} DIR" in done.stdout


def test_the_python_api_leaves_the_programs_warnings_and_logging_alone(monkeypatch):
    """Only a qexp command takes library output over; a run started from Python imports the
    runtime without touching the calling program's warnings or the runtime's own handler."""
    import qiskit_ibm_runtime  # noqa: F401  (imported already, as in a program that uses it)

    from qexp import console

    def programs_own(*args, **kwargs):
        pass

    runtime = logging.getLogger("qiskit_ibm_runtime")
    screen = logging.StreamHandler()
    monkeypatch.setattr(runtime, "handlers", [screen])  # as the runtime sets itself up
    monkeypatch.setattr(runtime, "propagate", False)
    monkeypatch.setattr(warnings, "showwarning", programs_own)
    console.import_runtime()
    assert warnings.showwarning is programs_own
    assert runtime.handlers == [screen] and runtime.propagate is False
