"""The config contract: every schema, its value checks, and Hydra's door to them.

`schema` (the whole config) and one module per group (`circuits`, `backend`, `primitive`,
`check`, `mitigation`) are plain dataclasses; `validate` checks their values; `load` turns
Hydra's composed config into them, `registry` puts them in Hydra's ConfigStore, `saved`
reads a run folder's config back, `help` and `selection` serve the command line. Only
`load`, `registry`, `saved` and `help` import Hydra or OmegaConf.
"""
