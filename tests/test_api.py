"""The Python API against the command line: the same overrides give the same files and the
same table, on the ideal simulator (bit for bit, same seed) and on the IBM service's
emulator (the same files, jobs and table; its shots are not seeded, so the physics is
checked instead of the bits).

Each API function runs in this process, as a notebook would call it; each command runs in
a subprocess, as a user would type it.
"""

from __future__ import annotations

import json
import logging
import re
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import qexp_cli
from emulator import subprocess_env
from hydra.types import RunMode

import qexp
from qexp import api
from qexp.console import ConsoleFormatter
from qexp.results import load_run

pytestmark = pytest.mark.slow

PER_RUN = ("run", "run_dir", "job_id")
"""Table columns that name the folder or the service's job: never equal between two runs."""
SMALL = ("circuits.num_qubits=[2,3]", "primitive.shots=300", "partition.max_circuits=1")


def files(folder: Path) -> list[str]:
    """Every file a run or sweep left, by its path inside the folder."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def comparable(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=[c for c in PER_RUN if c in table]).reset_index(drop=True)


def same_bits(a: Path, b: Path) -> None:
    for x, y in zip(load_run(a), load_run(b), strict=True):
        for name in x.data:
            np.testing.assert_array_equal(x.data[name].array, y.data[name].array)


def same_run(api_dir: Path, cli_dir: Path, *, bits: bool = True) -> None:
    assert files(api_dir) == files(cli_dir)
    for saved in (".hydra/config.yaml", ".hydra/overrides.yaml"):
        assert (api_dir / saved).read_text() == (cli_dir / saved).read_text(), saved
    a, c = api.open(api_dir).table(), api.open(cli_dir).table()
    assert list(a.columns) == list(c.columns)
    if bits:
        pd.testing.assert_frame_equal(comparable(a), comparable(c))
        same_bits(api_dir, cli_dir)
    else:
        keep = ["circuit_index", "num_qubits", "generator", "backend", "primitive", "shots"]
        pd.testing.assert_frame_equal(comparable(a)[keep], comparable(c)[keep])


def as_printed(exc: Exception) -> str:
    """An error as the command line prints it: `qexp: error: ...`, further lines indented."""
    record = logging.LogRecord("qexp", logging.ERROR, "", 0, str(exc), None, None)
    return ConsoleFormatter().format(record) + "\n"


def test_import_qexp_is_cheap_and_the_api_loads_on_first_use():
    code = (
        "import sys, qexp; assert 'qexp.api' not in sys.modules and 'hydra' not in sys.modules;"
        "assert callable(qexp.api.run) and 'qexp.api' in sys.modules; print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr
    assert qexp.api is api
    from qexp.run import runner  # the stages keep their names

    assert callable(runner.run) and callable(qexp.plan.make.make_plan)


def test_run_gives_the_command_lines_files_table_and_bits(tmp_path):
    run = api.run(*SMALL, run_dir=tmp_path / "api", quiet=True)
    done = qexp_cli(*SMALL, f"hydra.run.dir={tmp_path / 'cli'}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert run.folder == tmp_path / "api" and run.status == "done" and run.complete
    assert run.jobs == {"done": 2}
    same_run(tmp_path / "api", tmp_path / "cli")
    assert len(run.results()) == 2 and len(run.table()) == 2
    summary = run.summary().replace(str(tmp_path / "api"), "DIR").splitlines()
    printed = done.stdout.replace(str(tmp_path / "cli"), "DIR").splitlines()
    assert summary[1:] == printed[1:]  # the first line has the elapsed time


def test_run_prints_what_the_command_line_prints_unless_quiet(tmp_path, capfd):
    api.run(*SMALL, "run.progress=log", run_dir=tmp_path / "loud")
    out, err = capfd.readouterr()
    assert out.startswith("qexp: 2 circuits, sampler (v2) on aer_simulator: 2 done")
    assert "qexp: job 1 done [" in err
    api.run(*SMALL, "run.progress=log", run_dir=tmp_path / "quiet", quiet=True)
    assert capfd.readouterr() == ("", "")
    log = (tmp_path / "quiet/__main__.log").read_text()
    assert "[qexp.run.runner][INFO] - 2 circuits (ghz) in 2 jobs" in log  # the file keeps it


def test_a_run_leaves_the_callers_logging_and_warnings_as_they_were(tmp_path):
    root = logging.getLogger()
    handlers, level, show = root.handlers[:], root.level, warnings.showwarning
    api.run(*SMALL, run_dir=tmp_path / "run", quiet=True)
    assert root.handlers == handlers and root.level == level
    assert warnings.showwarning is show
    assert not [h for h in logging.getLogger("qexp").handlers if isinstance(h, logging.FileHandler)]


@pytest.mark.parametrize(
    "overrides",
    [
        ("primitive.shots=-5",),  # qexp's own check
        ("circuits.num_qubits=40",),
        ("primitive.shots=abc",),  # Hydra's: a wrong type
        ("nosuch=1",),  # Hydra's: an unknown key
        ("circuits=nosuch",),  # Hydra's: a missing choice
    ],
)
def test_errors_carry_the_command_lines_message_and_key(tmp_path, overrides):
    done = qexp_cli(*overrides, f"hydra.run.dir={tmp_path / 'cli'}", cwd=tmp_path)
    assert done.returncode == 2
    with pytest.raises(api.ConfigError) as raised:
        api.run(*overrides, run_dir=tmp_path / "api", quiet=True)
    assert done.stdout == "" and done.stderr.endswith(as_printed(raised.value))
    key = overrides[0].split("=")[0]
    assert raised.value.key == key and raised.value.exit_code == 2
    assert not list(tmp_path.rglob("*.h5"))


def test_plan_is_the_dry_runs_plan_as_data(tmp_path):
    overrides = ("backend=fake", "backend.name=FakeManilaV2", *SMALL)
    plan = api.plan(*overrides)
    done = qexp_cli(*overrides, "run.dry_run=true", f"hydra.run.dir={tmp_path}/d", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert plan.text == done.stdout.strip()
    assert plan.backend == "fake_manila" and plan.num_circuits == 2
    assert [job.circuits for job in plan.jobs] == [(0,), (1,)]
    assert plan.executions == (300, 300) and plan.estimate.executions == 600
    assert plan.estimate.qpu_seconds is not None and plan.estimate.qpu_seconds > 0
    assert not list(Path.cwd().glob("outputs/*/*/.hydra"))  # plan() writes no folder


def test_sweep_gives_the_command_lines_points_table_and_status(tmp_path):
    overrides = ("circuits.num_qubits=2,3", "primitive.shots=200")
    sweep = api.sweep(*overrides, sweep_dir=tmp_path / "api", quiet=True)
    done = qexp_cli("-m", *overrides, f"hydra.sweep.dir={tmp_path / 'cli'}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert isinstance(sweep, api.Sweep) and sweep.complete
    assert [p.folder.name for p in sweep.points] == ["0", "1"]
    for point in ("0", "1"):
        same_run(tmp_path / "api" / point, tmp_path / "cli" / point)
    a, c = sweep.table(), api.open(tmp_path / "cli").table()
    assert (
        a.attrs["overrides"] == c.attrs["overrides"] == ["circuits.num_qubits", "primitive.shots"]
    )
    pd.testing.assert_frame_equal(comparable(a), comparable(c))
    printed = done.stdout.replace(str(tmp_path / "cli"), "DIR")
    cli_table = printed[printed.index("point  overrides") :].strip()
    assert sweep.status.replace(str(tmp_path / "api"), "DIR") == cli_table


def test_a_sweep_with_a_failed_point_raises_after_every_point(tmp_path):
    with pytest.raises(api.SweepFailed) as raised:
        api.sweep("circuits.num_qubits=2,40", sweep_dir=tmp_path / "s", quiet=True)
    assert raised.value.exit_code == 2 and raised.value.folder == tmp_path / "s"
    assert str(raised.value).startswith("1 sweep point(s) failed:")
    assert "circuits.num_qubits=[40] is not valid" in str(raised.value)
    sweep = api.open(raised.value.folder)
    assert [p.status for p in sweep.points] == ["done", "refused"]


FLAKY = (
    "backend=flaky",
    "backend.base=aer",
    "backend.fail_submissions=[1]",
    "run.max_retries=0",
    *SMALL,
)


def test_resume_and_open_finish_what_the_command_line_finishes(tmp_path):
    """A job whose submission failed: the run raises with its folder; resume (API and
    command line) submits only that job, and both end with the same bits."""
    with pytest.raises(api.RunError) as raised:
        api.run(*FLAKY, run_dir=tmp_path / "api", quiet=True)
    assert raised.value.folder == tmp_path / "api" and raised.value.exit_code == 1
    done = qexp_cli(*FLAKY, f"hydra.run.dir={tmp_path / 'cli'}", cwd=tmp_path)
    assert done.returncode == 1
    first = as_printed(raised.value).splitlines()[0]
    assert first in done.stderr.splitlines()
    opened = api.open(tmp_path / "api")
    assert isinstance(opened, api.Run) and opened.status.startswith("incomplete: 1 done")
    kept = (tmp_path / "api/jobs/job-00000.h5").stat().st_mtime_ns

    resumed = api.resume(tmp_path / "api", quiet=True)
    again = qexp_cli(str(tmp_path / "cli"), cwd=tmp_path, module="qexp.resume")
    assert again.returncode == 0, again.stderr
    assert resumed == opened and resumed.status == "done"
    assert (tmp_path / "api/jobs/job-00000.h5").stat().st_mtime_ns == kept  # never re-run
    same_run(tmp_path / "api", tmp_path / "cli")


def test_a_users_config_folder_works_from_python(tmp_path):
    conf = tmp_path / "my_conf" / "experiment"
    conf.mkdir(parents=True)
    (conf / "tiny.yaml").write_text(
        "# @package _global_\ncircuits:\n  num_qubits: [3]\nprimitive:\n  shots: 100\n"
    )
    run = api.run("experiment=tiny", config_dir=tmp_path / "my_conf", run_dir=tmp_path / "r")
    assert [r.data.meas.num_shots for r in run.results()] == [100]
    with pytest.raises(api.ConfigError, match="not found"):
        api.run(config_dir=tmp_path / "nowhere", quiet=True)


def test_a_run_composes_its_config_once_and_a_config_asking_for_a_sweep_sweeps(
    tmp_path, monkeypatch
):
    """Hydra composes a config once only to read `hydra.mode`, and a composition of qexp's
    takes a quarter of a second before anything else can start: a run composes it once. A
    config that sets `hydra.mode: MULTIRUN` (an experiment with its sweep) still sweeps
    without -m, and sweep syntax without -m is still refused."""
    from hydra._internal.hydra import Hydra

    modes = []
    compose = Hydra.compose_config

    def counted(self, *args, **kwargs):
        modes.append(kwargs["run_mode"])
        return compose(self, *args, **kwargs)

    monkeypatch.setattr(Hydra, "compose_config", counted)
    api.run("circuits.num_qubits=[3]", "primitive.shots=100", run_dir=tmp_path / "r", quiet=True)
    assert modes == [RunMode.RUN]
    monkeypatch.undo()

    conf = tmp_path / "my_conf" / "experiment"
    conf.mkdir(parents=True)
    (conf / "scan.yaml").write_text(
        "# @package _global_\ncircuits:\n  num_qubits: [3]\nprimitive:\n  shots: 100\n"
        "hydra:\n  mode: MULTIRUN\n  sweeper:\n    params:\n      seed: 1,2\n"
    )
    swept = qexp_cli(
        *("--config-dir", str(tmp_path / "my_conf"), "experiment=scan", "run.progress=off"),
        f"hydra.sweep.dir={tmp_path / 's'}",
        cwd=tmp_path,
    )
    assert swept.returncode == 0, swept.stderr
    found = sorted(str(p.relative_to(tmp_path / "s")) for p in (tmp_path / "s").glob("*/jobs/*"))
    assert found == ["0/jobs/job-00000.h5", "1/jobs/job-00000.h5"]
    with pytest.raises(api.ConfigError, match="--multirun"):
        api.run("seed=1,2", run_dir=tmp_path / "r2", quiet=True)


def test_the_run_on_the_ibm_emulator_matches_the_command_lines(
    emulator_factory, tmp_path, monkeypatch
):
    """Through the real IBM client, with a fault: the service fails a job of each run once
    (internal error); both faces re-submit it alone and end with the same files."""
    emu = emulator_factory("--backends", "FakeManilaV2", "--job-seconds", "0.2")
    for name, value in emu.env.items():
        monkeypatch.setenv(name, value)
    overrides = (
        *emu.overrides,
        "backend.name=fake_manila",
        "run.poll_interval=0.1",
        "run.retry_backoff=0.2",
        *SMALL,
    )
    emu.fail_jobs({0: "internal"})
    run = api.run(*overrides, run_dir=tmp_path / "api", quiet=True)
    emu.fail_jobs({3: "internal"})  # the command line's first job (jobs 0-2 were the API's)
    done = qexp_cli(
        *overrides, f"hydra.run.dir={tmp_path / 'cli'}", cwd=tmp_path, env=subprocess_env(emu)
    )
    assert done.returncode == 0, done.stderr
    assert run.complete
    same_run(tmp_path / "api", tmp_path / "cli", bits=False)
    for folder in ("api", "cli"):
        manifest = json.loads((tmp_path / folder / "manifest.json").read_text())
        attempts = [len(job["attempts"]) for job in manifest["jobs"]]
        assert attempts == [2, 1], (folder, attempts)
        table = api.open(tmp_path / folder).table()
        # GHZ on FakeManilaV2's noise: about 0.94 (2 qubits) and 0.84 (3 qubits; 20,000
        # shots), and the service's shots are not seeded: 300 shots leave a standard error
        # of 0.02, so 0.8 failed now and then (0.797 once); 0.7 is five of them below.
        assert (table["success_probability"] > 0.7).all(), table["success_probability"]
    token = emu.env["QISKIT_IBM_TOKEN"]
    for path in (tmp_path / "api").rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_plan_on_the_ibm_emulator_matches_the_dry_run(emulator_factory, tmp_path, monkeypatch):
    emu = emulator_factory("--backends", "FakeManilaV2", "--job-seconds", "0.2")
    for name, value in emu.env.items():
        monkeypatch.setenv(name, value)
    overrides = (*emu.overrides, "backend.name=fake_manila", *SMALL)
    plan = api.plan(*overrides)
    done = qexp_cli(
        *overrides,
        "run.dry_run=true",
        f"hydra.run.dir={tmp_path}/d",
        cwd=tmp_path,
        env=subprocess_env(emu),
    )
    assert done.returncode == 0, done.stderr
    assert plan.text == done.stdout.strip()
    assert plan.backend == "fake_manila" and plan.estimate.qpu_seconds
    assert emu.jobs() == []  # nothing submitted


INTERRUPTED_SCRIPT = """
import sys
from qexp import api
try:
    api.run(*sys.argv[2:], run_dir=sys.argv[1], quiet=True)
except api.RunInterrupted as exc:
    print("RunInterrupted", exc.folder, exc.exit_code)
    print(exc)
"""


def test_ctrl_c_keeps_what_arrived_and_raises_run_interrupted(tmp_path):
    """A notebook's interrupt is SIGINT to its kernel: the run stops submitting, keeps the
    finished jobs, and raises RunInterrupted with its folder; resume finishes it. 64 jobs:
    local jobs can outpace their writes, and with a dozen all of them sometimes arrived
    before the interrupt was seen (the run then truthfully reads done)."""
    run_dir = tmp_path / "run"
    slow = ("backend=fake", "circuits=random", "circuits.num_qubits=[3]", "circuits.count=64")
    slow += ("partition.max_circuits=1", "primitive.shots=2000")
    proc = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_SCRIPT, str(run_dir), *slow],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while len(list((run_dir / "jobs").glob("job-*.h5"))) < 2:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert out.startswith(f"RunInterrupted {run_dir} 130\ninterrupted (")
    assert f"resume with: {sys.executable} -m qexp.resume {run_dir}" in out
    assert "Traceback" not in err and err == ""  # quiet
    run = api.open(run_dir)
    assert run.status.startswith("incomplete") and run.jobs["done"] >= 2
    assert api.resume(run_dir, quiet=True).status == "done"


def taken_folders(root: Path) -> list[Path]:
    """`root/DATE/TIME` for each of the next 30 seconds (every folder Hydra's default could
    give a run or sweep started now), each holding a file of its own."""
    import datetime

    now = datetime.datetime.now()
    taken = []
    for second in range(30):
        when = now + datetime.timedelta(seconds=second)
        folder = root / f"{when:%Y-%m-%d}" / f"{when:%H-%M-%S}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "mine.txt").write_text("kept")
        taken.append(folder)
    return taken


def test_runs_started_in_the_same_second_each_get_a_folder_of_their_own(tmp_path, monkeypatch):
    """Hydra's default folder is `outputs/DATE/TIME`: a run that finds it taken (another run
    started that second, as a loop in a notebook does) takes `TIME-2`, `TIME-3`, ...,
    and leaves the other folder as it was."""
    monkeypatch.chdir(tmp_path)
    taken = taken_folders(tmp_path / "outputs")
    run = api.run("circuits.num_qubits=[2]", quiet=True)
    assert run.status == "done"
    assert run.folder.name.endswith("-2") and run.folder.with_name(run.folder.name[:-2]) in taken
    assert all(sorted(p.name for p in folder.iterdir()) == ["mine.txt"] for folder in taken)


def test_sweeps_started_in_the_same_second_each_get_a_folder_of_their_own(tmp_path, monkeypatch):
    """The same for a sweep's `multirun/DATE/TIME`: a sweep that finds it taken takes
    `TIME-2`, and every point of the sweep writes into that one folder."""
    monkeypatch.chdir(tmp_path)
    taken = taken_folders(tmp_path / "multirun")
    sweep = api.sweep("circuits.num_qubits=[2]", "seed=1,2", quiet=True)
    made = sweep.folder
    assert made.is_absolute() and made.name.endswith("-2")
    assert made.with_name(made.name[:-2]) in taken
    assert sorted(str(p.relative_to(made)) for p in made.glob("*/jobs/*")) == [
        "0/jobs/job-00000.h5",
        "1/jobs/job-00000.h5",
    ]
    assert all(sorted(p.name for p in folder.iterdir()) == ["mine.txt"] for folder in taken)


def emulator_overrides(emu) -> tuple[str, ...]:
    return (
        *emu.overrides,
        "backend.name=fake_manila",
        "run.poll_interval=0.1",
        "run.retry_backoff=0.2",
    )


def test_sweep_and_open_on_the_ibm_emulator_match_the_command_lines(
    emulator_factory, tmp_path, monkeypatch
):
    emu = emulator_factory("--backends", "FakeManilaV2", "--job-seconds", "0.1")
    for name, value in emu.env.items():
        monkeypatch.setenv(name, value)
    overrides = (*emulator_overrides(emu), "circuits.num_qubits=2,3", "primitive.shots=200")
    sweep = api.sweep(*overrides, sweep_dir=tmp_path / "api", quiet=True)
    done = qexp_cli(
        "-m", *overrides, f"hydra.sweep.dir={tmp_path / 'cli'}", cwd=tmp_path,
        env=subprocess_env(emu),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    opened = api.open(tmp_path / "cli")
    assert isinstance(opened, api.Sweep) and opened.complete and sweep.complete
    for point in ("0", "1"):
        same_run(tmp_path / "api" / point, tmp_path / "cli" / point, bits=False)
    assert len(emu.jobs()) == 4  # a job per point, per face
    printed = done.stdout.replace(str(tmp_path / "cli"), "DIR")
    # The service bills each job its own (the emulator: the estimate times a seeded spread,
    # job by job): the two faces' jobs are billed differently, and all else is alike.
    assert unbilled(sweep.status.replace(str(tmp_path / "api"), "DIR")) == unbilled(
        printed[printed.index("point  overrides") :].strip()
    )


def unbilled(table: str) -> str:
    """A sweep's table with what the service billed (and its ratio to the estimate) masked."""
    table = re.sub(r"\d+(\.\d+)?(?= / ~)", "BILLED", table)
    table = re.sub(r"\d+(\.\d+)? s billed", "BILLED s billed", table)
    return re.sub(r"\(\d+(\.\d+)?x\)", "(RATIO)", table)


def test_resume_on_the_ibm_emulator_matches_the_command_lines(
    emulator_factory, tmp_path, monkeypatch
):
    """The service rejects a job (not retried): both faces stop with it failed; resume
    (API and command line) submits that job alone and both end complete, alike."""
    emu = emulator_factory("--backends", "FakeManilaV2", "--job-seconds", "0.1")
    for name, value in emu.env.items():
        monkeypatch.setenv(name, value)
    overrides = (*emulator_overrides(emu), *SMALL)
    emu.fail_jobs({1: "rejected"})
    with pytest.raises(api.RunError) as raised:
        api.run(*overrides, run_dir=tmp_path / "api", quiet=True)
    assert raised.value.folder == tmp_path / "api"
    emu.fail_jobs({3: "rejected"})  # the command line's second job (0-1 were the API's)
    env = subprocess_env(emu)
    done = qexp_cli(*overrides, f"hydra.run.dir={tmp_path / 'cli'}", cwd=tmp_path, env=env)
    assert done.returncode == 1
    assert as_printed(raised.value).splitlines()[0] in done.stderr.splitlines()
    resumed = api.resume(tmp_path / "api", quiet=True)
    again = qexp_cli(str(tmp_path / "cli"), cwd=tmp_path, env=env, module="qexp.resume")
    assert again.returncode == 0, again.stderr
    assert resumed.complete and api.open(tmp_path / "cli").complete
    same_run(tmp_path / "api", tmp_path / "cli", bits=False)
    assert len(emu.jobs()) == 6  # 2 + 2, and one more each to finish the rejected job


def test_a_run_never_writes_over_another_runs_folder(tmp_path, monkeypatch):
    """Two runs in the same second share Hydra's default folder: the second is refused,
    naming the key, and the first run's jobs are left as they were."""
    first = api.run(*SMALL, run_dir=tmp_path / "run", quiet=True)
    files_before = {p: p.read_bytes() for p in (first.folder / "jobs").iterdir()}
    with pytest.raises(api.ConfigError) as raised:
        api.run(*SMALL, "primitive.shots=100", run_dir=tmp_path / "run", quiet=True)
    assert raised.value.key == "hydra.run.dir"
    assert "a folder holding no run yet" in str(raised.value)
    assert {p: p.read_bytes() for p in (first.folder / "jobs").iterdir()} == files_before
    assert "primitive.shots=100" not in (first.folder / ".hydra/overrides.yaml").read_text()
    assert api.open(first.folder).complete
    done = qexp_cli(*SMALL, f"hydra.run.dir={first.folder}", cwd=tmp_path)
    assert done.returncode == 2 and "hydra.run.dir=" in done.stderr
    # A folder known only once Hydra resolves it, as the default `outputs/DATE/TIME` is:
    # the run itself refuses it (Hydra has written `.hydra/` by then; the jobs are kept).
    monkeypatch.setenv("QEXP_TEST_RUN", str(first.folder))
    with pytest.raises(api.ConfigError, match="a folder holding no run yet"):
        api.run(*SMALL, "hydra.run.dir=${oc.env:QEXP_TEST_RUN}", quiet=True)
    assert {p: p.read_bytes() for p in (first.folder / "jobs").iterdir()} == files_before


def test_the_parts_loaded_on_first_use_are_the_apis_own_and_complete_in_a_notebook():
    """`qexp.api` loads `Run`, `Sweep` and `resume` when first asked for (the command line
    goes through it to a run): they are the same objects, importable and listed by dir()."""
    from qexp.api import Run, Sweep, resume
    from qexp.api.folders import Run as FolderRun
    from qexp.api.folders import Sweep as FolderSweep
    from qexp.api.resuming import resume as resuming

    assert (Run, Sweep, resume) == (FolderRun, FolderSweep, resuming)
    assert {"Run", "Sweep", "resume", "run", "sweep", "open", "plan"} <= set(dir(api))
    with pytest.raises(AttributeError, match="no attribute 'Runs'"):
        api.Runs  # noqa: B018
