"""How large a reader study the eligible images allow (for the "try --cases N" suggestions)."""
from __future__ import annotations

__all__ = ["real_needed", "generated_needed", "largest_study"]


def generated_needed(n: int, *, task: str, fraction_generated: float) -> int:
    """Generated images used by ``n`` cases (a 2AFC case is a pair: one of each)."""
    return n if task == "2afc" else int(round(n * fraction_generated))


def real_needed(n: int, *, task: str, fraction_generated: float) -> int:
    """Real patches used by ``n`` cases."""
    return n if task == "2afc" else n - generated_needed(n, task=task, fraction_generated=fraction_generated)


def largest_study(eligible: int, cases: int, training: int, *, task: str = "single",
                  fraction_generated: float = 0.5, n_generators: int = 1,
                  generated: bool = False) -> tuple[int, int] | None:
    """The largest (assessment, training) case counts, in the asked ratio, that ``eligible`` images cover.

    ``generated`` says the short side is one generator's images (shared
    equally among ``n_generators``) rather than the real patches. None when
    not even one assessment case fits.
    """
    def need(n: int) -> int:
        if generated:
            total = generated_needed(n, task=task, fraction_generated=fraction_generated)
            return -(-total // max(n_generators, 1))  # the largest share
        return real_needed(n, task=task, fraction_generated=fraction_generated)

    share = training / max(cases + training, 1)
    for a in range(cases, 0, -1):
        t = min(training, int(round(a * share / max(1 - share, 1e-9)))) if training else 0
        if need(a) + need(t) <= eligible:
            return a, t
    return None
