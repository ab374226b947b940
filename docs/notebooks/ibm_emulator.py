# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # An IBM Quantum run, rehearsed on the emulator, with a fault
#
# `python -m qexp.emulator` is a local stand-in for the IBM Quantum service: the real
# `qiskit-ibm-runtime` client talks to it over HTTP, fake devices run the jobs on Aer, and
# faults come on demand. Here the service fails the first job with an internal error:
# qexp re-submits that job alone, and the run completes.

# %%
import atexit
import os
import subprocess
import sys

emulator = subprocess.Popen(
    [sys.executable, "-m", "qexp.emulator", "--backends", "FakeManilaV2",
     "--job-seconds", "0.2", "--fail-job", "0=internal"],
    stdout=subprocess.PIPE,
    text=True,
)  # fmt: skip
atexit.register(emulator.terminate)  # stopped with the kernel, whatever happens below
settings = [emulator.stdout.readline().strip() for _ in range(8)]
for line in settings:  # `export NAME=VALUE` lines for the client, then qexp's backend.url
    if line.startswith("export "):
        name, value = line.removeprefix("export ").split("=", 1)
        os.environ[name] = value
backend_url = settings[-1]
backend_url.split("=")[0]

# %% [markdown]
# The token reaches qexp only through the environment, as with IBM Quantum itself
# (`QISKIT_IBM_TOKEN`); it never reaches a config, a log or a file.

# %%
from qexp import api

run = api.run(
    "backend=ibm",
    backend_url,
    "backend.name=fake_manila",
    "circuits.num_qubits=[2,3]",
    "primitive.shots=500",
    "partition.max_circuits=1",
    "run.poll_interval=0.1",
    "run.retry_backoff=0.2",
    run_dir="outputs/ibm_rehearsal",
)
run.status

# %% [markdown]
# The manifest keeps every attempt: job 0 failed on the service and was re-submitted.

# %%
import json

manifest = json.loads((run.folder / "manifest.json").read_text())
[(job["index"], [a["error_class"] for a in job["attempts"]]) for job in manifest["jobs"]]

# %%
attempts = [len(job["attempts"]) for job in manifest["jobs"]]
assert attempts == [2, 1], attempts
token = os.environ["QISKIT_IBM_TOKEN"]
assert not any(token.encode() in p.read_bytes() for p in run.folder.rglob("*") if p.is_file())

# %%
run.table()[["num_qubits", "job_id", "top_outcome", "success_probability"]]

# %%
emulator.terminate()
emulator.wait()
