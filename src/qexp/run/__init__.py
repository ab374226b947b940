"""Running a plan: one Batch, jobs submitted up front and collected as they finish.

`runner` (a run from start to report), `batch_loop` (submit, poll, retry, cancel),
`failures` (what a failure's cause calls for), `writer` (each result on disk first),
`lock` (one process per run folder), `progress`, `job_tags` (finding a run's jobs on IBM
Quantum again), `shared_batch` (one Batch for a sweep), `resume` (finishing a folder),
`status` (a folder's state, read live).
"""
