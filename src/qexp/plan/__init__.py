"""Planning: the composed config in, a `RunPlan` out; nothing is submitted here.

`make` reads the config for the last time and checks it against the circuits and the
backend; `run_plan` holds what it settles. The parts it uses: `partition` (circuits into
jobs, pure), `primitives` (which runtime class, the PUBs), `transpile` and
`transpile_cache` (ISA circuits), `prepare` (worker processes that build each job's PUBs),
`checks` (per-job result checks), `estimate` and `cost` (executions and QPU time before a
run).
"""
