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
# # A first run and its table
#
# `qexp.api.run` runs one experiment exactly as `python -m qexp` does: the same config
# files, the same checks, the same run folder. Here: GHZ states of 2 to 4 qubits on the
# ideal local simulator, 500 shots each, two circuits per job.

# %%
from qexp import api

run = api.run(
    "circuits=ghz",
    "circuits.num_qubits=[2,3,4]",
    "primitive.shots=500",
    run_dir="outputs/first_run",
)
run

# %% [markdown]
# The run returns a `Run`: its folder, its status and its jobs. Every job is one HDF5 file,
# written the moment its result arrived.

# %%
print(run.folder, run.status, run.jobs)
sorted(p.name for p in (run.folder / "jobs").iterdir())

# %% [markdown]
# `table()` reads the rows every job file stores: one per circuit, with its metadata and
# the field's metrics against the circuit's ideal answer.

# %%
table = run.table()
table[["num_qubits", "top_outcome", "top_probability", "success_probability"]]

# %%
assert (table["success_probability"] == 1.0).all()  # the ideal simulator: all-0 or all-1

# %% [markdown]
# `results()` gives Qiskit's own `PubResult`s, one per circuit in order, and `show()`
# prints what `python -m qexp.show` prints.

# %%
counts = run.results()[0].data.meas.get_counts()
counts

# %%
run.show(circuits=3)

# %% [markdown]
# A value qexp refuses raises the same error the command line prints, with its key:

# %%
try:
    api.run("primitive.shots=-5", run_dir="outputs/refused", quiet=True)
except api.ConfigError as error:
    print(error.key, "->", error)
