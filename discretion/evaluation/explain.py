"""A recommendation as a field officer reads it: Chinese legal terms, citations in full."""

from __future__ import annotations

from .result import Recommendation
from ..money import normalise
from ..wording import ABSENT, step_name


def explain(rec: Recommendation) -> str:
    """Plain-text explanation with every step and its citation."""
    r = rec.ruleset
    lines = [
        f"违法行为：{rec.item.name}（{rec.item.code}）",
        f"适用基准：{r.department_name} {r.version} 版（自{r.effective_from}起施行），内容哈希 {r.hash[:16]}",
        f"依据文件：{'；'.join(r.source)}",
        f"结论：{rec.outcome_label}",
    ]
    f = rec.fine
    if f is not None and f.suggested is not None:  # (an evaluated fine always has one; no empty line if not)
        tier = f"，阶次「{f.tier}」" if f.tier else ""
        lines.append(
            f"罚款：建议 {normalise(f.suggested):,}元（{f.placement}{tier}；"
            f"建议幅度 {normalise(f.min):,}–{normalise(f.max):,}元；"
            f"法定幅度 {normalise(f.statutory_min):,}–{normalise(f.statutory_max):,}元）"
        )
    for m in rec.measures:
        lines.append(f"措施：{m.name}（{m.citation}）")
    if rec.options:
        lines.append("可选择适用（须说明理由）：")
        for o in rec.options:
            lines.append(f"  · [{o.id}] {o.label}：{o.effect}（{o.citation}）")
    lines.append("裁量过程：")
    for i, s in enumerate(rec.trace, 1):
        lines.append(f"  {i}. 【{step_name(s.step)}】{s.effect}")
        if s.condition:
            read = "，".join(f"{k}={ABSENT if v is None else v}" for k, v in s.facts.items())
            lines.append(f"     条件：{s.condition}（{read}）")
        if s.citation:
            lines.append(f"     依据：{s.citation}")
    return "\n".join(lines)
