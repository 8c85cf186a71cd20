"""Interleaved rounds of two measurements (ours, peer, ours, peer …): median ratio and spread.

On a shared or noisy machine one run of each side measures the machine as much as the code: a burst
of load during one side's run moves the ratio by a third. Alternating the sides in several short
rounds exposes both to the same conditions; the median ratio is the figure, its spread (the lowest
and highest round) says how much to trust it.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Rounds:
    """Per-round rates (things per second) of our side and the peer's, in the order measured."""

    ours: list[float] = field(default_factory=list)
    peer: list[float] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        return [o / p for o, p in zip(self.ours, self.peer, strict=True)]

    def summary(self, ours: str, peer: str, unit: str) -> str:
        r = self.ratios
        lines = [
            f"round {i + 1}: {ours} {o:,.0f} {unit}, {peer} {p:,.0f} {unit}, ratio {o / p:.2f}×"
            for i, (o, p) in enumerate(zip(self.ours, self.peer, strict=True))
        ]
        lines.append(
            f"{ours}: median {statistics.median(self.ours):,.0f} {unit} "
            f"(rounds {min(self.ours):,.0f}–{max(self.ours):,.0f})"
        )
        lines.append(
            f"{peer}: median {statistics.median(self.peer):,.0f} {unit} "
            f"(rounds {min(self.peer):,.0f}–{max(self.peer):,.0f})"
        )
        lines.append(
            f"ratio: median {statistics.median(r):.2f}× over {len(r)} interleaved rounds "
            f"(spread {min(r):.2f}–{max(r):.2f}×)"
        )
        return "\n".join(lines)


def interleave(
    rounds: int,
    ours: Callable[[int], float],
    peer: Callable[[int], float],
    progress: Callable[[str], None] | None = None,
) -> Rounds:
    """Run ours(i) then peer(i) for i in 0..rounds-1; each returns a rate measured in that round."""
    out = Rounds()
    for i in range(rounds):
        out.ours.append(ours(i))
        out.peer.append(peer(i))
        if progress:
            progress(f"round {i + 1}/{rounds}: ratio {out.ours[-1] / out.peer[-1]:.2f}×")
    return out
