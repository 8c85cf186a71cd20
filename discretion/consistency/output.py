"""The report as text for a terminal and as CSV files."""

from __future__ import annotations

import csv
from pathlib import Path

from .report import ConsistencyReport

KIND_NAMES = {
    "different_outcome": "同案不同结果",
    "different_penalty_types": "同案不同处罚种类",
    "fine_spread": "同案罚款差距过大",
    "outside_range": "超出建议幅度",
    "mandatory_list_ignored": "未适用应当适用的清单",
    "limitation_ignored": "超过追责期限仍处罚",
    "ruleset_defect": "基准缺陷",
}


def summary_text(r: ConsistencyReport) -> str:
    s = r.summary
    lines = [
        f"案件 {s.cases_read} 件，检查 {s.cases_swept} 件，拒收 {s.rejected} 行；"
        f"裁量情形 {s.keys} 种，求值 {s.evaluations} 次",
        "发现：" + ("，".join(f"{KIND_NAMES.get(k, k)} {v}" for k, v in sorted(s.findings.items())) or "无"),
    ]
    for f in r.findings[:50]:
        lines.append(
            f"  [{f.severity}] {KIND_NAMES.get(f.kind, f.kind)} {f.department}/{f.item} {f.version}：{f.detail}"
        )
        lines.append(f"      情形：{f.key}")
        lines.append(f"      案件：{', '.join(f.cases[:10])}{' …' if len(f.cases) > 10 else ''}")
    if len(r.findings) > 50:
        lines.append(f"  … 另有 {len(r.findings) - 50} 项，见 --json / --csv")
    for g in [*r.units, *r.officers]:
        if g.flagged:
            lines.append(
                f"  偏离：{'单位' if g.kind == 'unit' else '执法人员'} {g.name} 超出幅度 {g.deviations}/{g.cases}"
                f"（其他 {g.others_rate:.1%}，p={g.p_value:.2g}）"
            )
    for j in r.rejected[:20]:
        lines.append(f"  拒收 第{j.line}行 {j.case_id or ''}：{j.reason}")
    return "\n".join(lines)


def write_csv(r: ConsistencyReport, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "findings.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["severity", "kind", "department", "item", "version", "key", "cases", "detail", "citations"])
        for f in r.findings:
            w.writerow(
                [
                    f.severity,
                    f.kind,
                    f.department,
                    f.item,
                    f.version,
                    f.key,
                    ";".join(f.cases),
                    f.detail,
                    ";".join(sorted({x["citation"] for x in f.rules})),
                ]
            )
    with open(folder / "groups.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "kind",
                "name",
                "cases",
                "deviations",
                "rate",
                "others_rate",
                "p_value",
                "median_relative_position",
                "flagged",
            ]
        )
        for g in [*r.units, *r.officers]:
            w.writerow(
                [
                    g.kind,
                    g.name,
                    g.cases,
                    g.deviations,
                    g.rate,
                    g.others_rate,
                    g.p_value,
                    g.median_relative_position,
                    g.flagged,
                ]
            )
    with open(folder / "rejected.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["line", "case_id", "reason"])
        for j in r.rejected:
            w.writerow([j.line, j.case_id or "", j.reason])
