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
# # A sweep, and its plots
#
# `qexp.api.sweep` runs a `-m` sweep through the same sweeper and launchers as
# `python -m qexp -m ...`: every point into its own folder, `sweep.json` kept up to date,
# a failed point never stopping the others. Here GHZ states of 2 to 5 qubits on a noisy
# fake 5-qubit device, at two numbers of shots.

# %%
from qexp import api

sweep = api.sweep(
    "backend=fake",
    "backend.name=FakeManilaV2",
    "circuits.num_qubits=2,3,4,5",
    "primitive.shots=200,800",
    "partition.max_circuits=1",
    sweep_dir="multirun/ghz_widths",
    quiet=True,
)
print(sweep.status)

# %% [markdown]
# One table for the whole sweep: a row per circuit, and a column for each swept key.

# %%
table = sweep.table()
table.attrs["overrides"]

# %%
by_point = table.groupby(["circuits.num_qubits", "primitive.shots"])["success_probability"].mean()
by_point.unstack()

# %%
assert by_point.loc[(2, 800)] > by_point.loc[(5, 800)]  # wider GHZ states decohere more

# %% [markdown]
# The numbers are ordinary pandas: plot them with matplotlib.

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(5, 3))
for shots, series in by_point.unstack().items():
    ax.plot(series.index, series.values, marker="o", label=f"{shots} shots")
ax.set_xlabel("number of qubits")
ax.set_ylabel("success probability")
ax.set_title("GHZ on FakeManilaV2")
ax.legend()
plt.show()

# %% [markdown]
# `report()` writes the HTML report `python -m qexp.report` writes, with its figures.

# %%
report = sweep.report()
sorted(p.name for p in report.parent.glob("*.png"))
