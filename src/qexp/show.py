"""`python -m qexp.show DIR`: a run's or a sweep's results as tables (`qexp.analysis.show`)."""

from qexp.analysis.show import main
from qexp.cli import exit_now

if __name__ == "__main__":
    exit_now(main())
