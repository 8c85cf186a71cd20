"""Provisions of 《中华人民共和国行政处罚法》 (2021修订) that the evaluator itself applies.

Benchmark-specific provisions live in rulesets (rulesets/general/ for the 总则 entries every
department extends); these are the few the evaluation order is built on, quoted verbatim.
"""

from __future__ import annotations

from .citation import Citation

LAW = "中华人民共和国行政处罚法"

#: 第三十七条 实施行政处罚，适用违法行为发生时的法律、法规、规章的规定。但是，作出行政处罚决定时，
#: 法律、法规、规章已被修改或者废止，且新的规定处罚较轻或者不认为是违法的，适用新的规定。
ART_37 = Citation(
    law=LAW,
    article=37,
    text="实施行政处罚，适用违法行为发生时的法律、法规、规章的规定。但是，作出行政处罚决定时，"
    "法律、法规、规章已被修改或者废止，且新的规定处罚较轻或者不认为是违法的，适用新的规定。",
)

#: 第三十三条第三款 对当事人的违法行为依法不予行政处罚的，行政机关应当对当事人进行教育。
ART_33_3 = Citation(
    law=LAW, article=33, paragraph=3, text="对当事人的违法行为依法不予行政处罚的，行政机关应当对当事人进行教育。"
)

#: 第三十四条 行政机关可以依法制定行政处罚裁量基准，规范行使行政处罚裁量权。行政处罚裁量基准应当向社会公布。
ART_34 = Citation(
    law=LAW,
    article=34,
    text="行政机关可以依法制定行政处罚裁量基准，规范行使行政处罚裁量权。行政处罚裁量基准应当向社会公布。",
)

#: 第二十八条第二款 当事人有违法所得，除依法应当退赔的外，应当予以没收。
ART_28_2 = Citation(
    law=LAW,
    article=28,
    paragraph=2,
    text="当事人有违法所得，除依法应当退赔的外，应当予以没收。违法所得是指实施违法行为所取得的款项。",
)

#: 第九条 行政处罚的种类：（一）警告、通报批评；（二）罚款、没收违法所得、没收非法财物；（三）暂扣许可证件、
#: 降低资质等级、吊销许可证件；（四）限制开展生产经营活动、责令停产停业、责令关闭、限制从业；（五）行政拘留；
#: （六）法律、行政法规规定的其他行政处罚。
ART_9 = Citation(
    law=LAW,
    article=9,
    text="行政处罚的种类：（一）警告、通报批评；（二）罚款、没收违法所得、没收非法财物；"
    "（三）暂扣许可证件、降低资质等级、吊销许可证件；（四）限制开展生产经营活动、责令停产停业、责令关闭、限制从业；"
    "（五）行政拘留；（六）法律、行政法规规定的其他行政处罚。",
)
