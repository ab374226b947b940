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
# # Quantum Volume and mirror circuits on a fake device
#
# Two holistic benchmarks, run offline on FakeManilaV2 (a 5-qubit IBM device's noise):
# Quantum Volume circuits, whose verdict is IBM's (mean heavy-output probability above 2/3
# with two-sigma confidence), and randomized mirror circuits, which each expect one known
# bitstring. The counts here are kept small so that the notebook runs in seconds; a real
# verdict wants 100 or more circuits per width.

# %%
from qexp import api
from qexp.results import quantum_volume

qv = api.run(
    "backend=fake",
    "backend.name=FakeManilaV2",
    "circuits=quantum_volume",
    "circuits.num_qubits=[2,3]",
    "circuits.count=8",
    "primitive.shots=400",
    "partition.max_circuits=8",
    run_dir="outputs/quantum_volume",
    quiet=True,
)
verdicts = quantum_volume(qv.table())
verdicts

# %%
assert set(verdicts["num_qubits"]) == {2, 3}
assert (verdicts["mean"] > 0.5).all()  # heavy outputs more often than a coin would give

# %% [markdown]
# Mirror circuits: random layers followed by their inverse, so the ideal outcome is one
# bitstring; their success probability falls with width and depth as errors add up.

# %%
mirror = api.run(
    "backend=fake",
    "backend.name=FakeManilaV2",
    "circuits=mirror",
    "circuits.num_qubits=[2,4]",
    "circuits.count=4",
    "circuits.depth=4",
    "primitive.shots=400",
    "partition.max_circuits=8",
    run_dir="outputs/mirror",
    quiet=True,
)
means = mirror.table().groupby("num_qubits")["success_probability"].mean()
means

# %%
assert means.loc[2] > means.loc[4] > 0.3

# %%
qv.show(circuits=4)
