"""The shape of the code is a contract: the layers, no circles, Hydra kept at the door.

The contracts live in pyproject.toml ([tool.importlinter]); docs/architecture.md explains
them. A RunPlan built from plain dataclasses runs to the same bits as the command line,
with neither Hydra nor OmegaConf ever imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import REPO, qexp_cli

from qexp.results import load_run


def test_the_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


PLAN_WITHOUT_HYDRA = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    from qexp.config.backend import AerBackendConfig
    from qexp.config.circuits import GhzConfig
    from qexp.config.primitive import SamplerConfig
    from qexp.config.schema import PartitionConfig, QexpConfig, RunConfig
    from qexp.config.validate import validate
    from qexp.plan.make import make_plan
    from qexp.run.runner import run_plan

    cfg = QexpConfig(
        circuits=GhzConfig(num_qubits=[2, 3, 4]),
        backend=AerBackendConfig(),
        primitive=SamplerConfig(shots=300),
        partition=PartitionConfig(max_circuits=2),
        run=RunConfig(progress="off"),
        seed=11,
    )
    validate(cfg)
    plan = make_plan(cfg)
    try:
        report = run_plan(plan, Path(sys.argv[1]), "built in Python\\n")
    finally:
        plan.close()
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("hydra", "omegaconf"))
    print(json.dumps({"complete": report.complete, "hydra": loaded}))
    """
)


def test_a_plan_built_in_python_runs_without_hydra_to_the_command_lines_bits(tmp_path):
    script = tmp_path / "plan.py"
    script.write_text(PLAN_WITHOUT_HYDRA)
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "python")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome == {"complete": True, "hydra": []}

    cli = qexp_cli(
        "circuits.num_qubits=[2,3,4]",
        "primitive.shots=300",
        "partition.max_circuits=2",
        "run.progress=off",
        "seed=11",
        f"hydra.run.dir={tmp_path / 'cli'}",
        cwd=tmp_path,
    )
    assert cli.returncode == 0, cli.stderr
    python, command = load_run(tmp_path / "python"), load_run(tmp_path / "cli")
    assert len(python) == len(command) == 3
    for ours, theirs in zip(python, command, strict=True):
        assert ours.data.meas.get_counts() == theirs.data.meas.get_counts()
        assert (ours.data.meas.array == theirs.data.meas.array).all()


CHECK_FIRST = textwrap.dedent(
    """
    import json, sys
    from qexp.plan import prepare

    seen = {}
    survey = prepare.Preparer.survey

    def noted(self, *args, **kwargs):
        later = ("qiskit_aer", "qiskit_ibm_runtime", "rich", "qexp.api.folders", "qexp.run.writer")
        seen["loaded"] = sorted(m for m in later if m in sys.modules)
        return survey(self, *args, **kwargs)

    prepare.Preparer.survey = noted
    from qexp.__main__ import main

    code = main(sys.argv[1:])
    print(json.dumps({"code": code, **seen}))
    """
)


def test_the_command_line_checks_the_files_before_importing_what_the_run_needs_later(tmp_path):
    """The check of the QASM files is what the second core has to do while the main process
    imports: the runtime, Aer, the writer and what reads folders come after it starts."""
    folder = tmp_path / "qasm"
    folder.mkdir()
    bell = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\n'
    for i in range(4):
        (folder / f"c{i}.qasm").write_text(bell + "measure q -> c;\n")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CHECK_FIRST,
            "circuits=qasm",
            f"circuits.path={folder}",
            "partition.max_circuits=2",
            "transpile.workers=2",
            f"hydra.run.dir={tmp_path / 'run'}",
            "run.progress=off",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["code"] == 0
    assert found["loaded"] == []
