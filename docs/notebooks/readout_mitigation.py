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
# # Readout mitigation against the raw data
#
# `mitigation=m3` calibrates the readout of exactly the physical qubits each job measures,
# in the run's own Batch, and corrects each Sampler job's counts with mthree. The raw
# columns stay as they were; the mitigated ones sit beside them.

# %%
from qexp import api

run = api.run(
    "backend=fake",
    "backend.name=FakeManilaV2",
    "mitigation=m3",
    "circuits.num_qubits=[2,3,4]",
    "primitive.shots=1000",
    run_dir="outputs/mitigated",
    quiet=True,
)
table = run.table()
compared = table[["num_qubits", "success_probability", "success_probability_mitigated"]]
compared

# %%
gain = compared["success_probability_mitigated"] - compared["success_probability"]
assert (gain > 0).all(), compared  # readout errors removed: closer to the ideal 1.0

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(compared["num_qubits"], compared["success_probability"], "o-", label="raw")
ax.plot(compared["num_qubits"], compared["success_probability_mitigated"], "s-", label="m3")
ax.set_xlabel("number of qubits")
ax.set_ylabel("GHZ success probability")
ax.legend()
plt.show()

# %% [markdown]
# The mitigated distributions themselves: `qexp.mitigation.load_mitigated`.

# %%
from qexp.mitigation import load_mitigated

first = next(iter(load_mitigated(run.folder)))
first["circuit_index"], first["mitigation_overhead"]
