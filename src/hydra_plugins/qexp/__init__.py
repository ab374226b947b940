"""qexp's Hydra plugins: its sweeper and its submitit launchers (Hydra loads plugins only
from the `hydra_plugins` namespace). The logic lives in `qexp.sweep`; these are thin."""
