"""What a custom check (`check=custom check._target_=mypkg.checks.fn`) may return or reuse:
`Verdict`, and the built-in checks (`qexp.plan.checks`, where they live)."""

from qexp.plan.checks import Verdict, max_std, success_probability

__all__ = ["Verdict", "max_std", "success_probability"]
