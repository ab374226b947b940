from qexp.results import load_run


def test_default_experiment_runs_two_jobs(run, tmp_path):
    report = run()
    assert report.jobs["done"] == 2 and report.complete
    results = load_run(tmp_path / "run")
    assert len(results) == 4
