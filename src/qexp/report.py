"""`python -m qexp.report DIR`: a run's or a sweep's results as an HTML report with figures
(`qexp.analysis.report`)."""

from qexp.analysis.report import main
from qexp.cli import exit_now

if __name__ == "__main__":
    exit_now(main())
