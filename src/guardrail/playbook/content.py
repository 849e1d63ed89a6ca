"""Mandatory content of breach notices, by source, and what each notice template must cover.

The obligations engine attaches these items to obligations; the notice templates
(``reports/templates/playbook/notices.yaml``) mark which items each section covers; the library
lint (audit control C34) checks every required item is covered and the California notice keeps
its statutory title and headings.
"""

from __future__ import annotations

from typing import Final

from guardrail.model.incident import ContentItem, NoticeKind
from guardrail.playbook._text import T
from guardrail.playbook.law import ref

__all__ = [
    "CA_82_D",
    "CA_HEADINGS",
    "CA_TITLE",
    "GDPR_33_3",
    "GDPR_34_2",
    "IRM_7",
    "NOTICE_COVERS",
    "PIPL_57",
    "PROCESSOR",
    "item",
]


def item(id: str, en: str, zh: str, provision: str) -> ContentItem:
    return ContentItem(id=id, text=T(en, zh), ref=ref(provision))


# Mandatory content, by source.
PIPL_57 = (
    item(
        "pipl-57-1",
        "Categories of personal information involved, the cause and the possible harm",
        "发生或者可能发生个人信息泄露、篡改、丢失的信息种类、原因和可能造成的危害",
        "PIPL 57(1)",
    ),
    item(
        "pipl-57-2",
        "Remedial measures taken and measures individuals can take to reduce harm",
        "个人信息处理者采取的补救措施和个人可以采取的减轻危害的措施",
        "PIPL 57(2)",
    ),
    item(
        "pipl-57-3",
        "Contact details of the personal information processor",
        "个人信息处理者的联系方式",
        "PIPL 57(3)",
    ),
)
IRM_7 = (
    item(
        "irm-7-unit",
        "The reporting unit and an overview of the affected systems",
        "事发单位概况及受影响系统基本情况",
        "IRM 7?",
    ),
    item("irm-7-time", "Time of discovery", "事件发现时间", "IRM 7?"),
    item("irm-7-type", "Type and level of the incident", "事件类型和级别", "IRM 7?"),
    item(
        "irm-7-impact",
        "Impact and harm caused (persons and personal information involved)",
        "已造成的影响和危害（涉及的人数及个人信息）",
        "IRM 7?",
    ),
    item("irm-7-measures", "Measures taken and their effect", "已采取的处置措施及效果", "IRM 7?"),
    item(
        "irm-7-supplement",
        "Items still unknown at the deadline: report what is known, supplement later",
        "时限内原因或影响尚不明确的，先报告已知情况，后续补报",
        "IRM 7?",
    ),
)
GDPR_33_3 = (
    item(
        "gdpr-33-3-a",
        "Nature of the breach; categories and approximate number of data subjects and of records",
        "数据泄露的性质，涉及的数据主体及记录的类别和大致数量",
        "GDPR 33(3)(a)",
    ),
    item(
        "gdpr-33-3-b",
        "Name and contact details of the DPO or other contact point",
        "数据保护官或其他联系人的姓名和联系方式",
        "GDPR 33(3)(b)",
    ),
    item(
        "gdpr-33-3-c",
        "Likely consequences of the breach",
        "数据泄露可能造成的后果",
        "GDPR 33(3)(c)",
    ),
    item(
        "gdpr-33-3-d",
        "Measures taken or proposed, including to mitigate adverse effects",
        "已采取或拟采取的措施，包括减轻不利影响的措施",
        "GDPR 33(3)(d)",
    ),
)
GDPR_34_2 = (
    item(
        "gdpr-34-2",
        "In clear and plain language: the nature of the breach and the information of "
        "Art. 33(3)(b)-(d)",
        "以清晰平实的语言说明泄露的性质及第33条第3款(b)至(d)项信息",
        "GDPR 34(2)",
    ),
    *GDPR_33_3[1:],
)
CA_82_D = (
    item(
        "ca-title",
        'Titled "Notice of Data Breach", with the headings "What Happened", "What Information '
        'Was Involved", "What We Are Doing", "What You Can Do" and "For More Information"',
        "标题为“Notice of Data Breach”，并使用法定小标题 What Happened、What Information Was "
        "Involved、What We Are Doing、What You Can Do、For More Information",
        "CAL-CIV 1798.82(d)(1)?",
    ),
    item(
        "ca-contact",
        "Name and contact information of the notifying business",
        "发出通知的企业名称和联系方式",
        "CAL-CIV 1798.82(d)(2)(A)?",
    ),
    item(
        "ca-categories",
        "Types of personal information involved",
        "涉及的个人信息类型",
        "CAL-CIV 1798.82(d)(2)(B)?",
    ),
    item(
        "ca-dates",
        "Date, estimated date or date range of the breach, and the date of the notice",
        "泄露发生的日期、估计日期或日期范围，以及通知日期",
        "CAL-CIV 1798.82(d)(2)(C)?",
    ),
    item(
        "ca-delay",
        "Whether notification was delayed because of a law enforcement investigation",
        "是否因执法调查而延迟通知",
        "CAL-CIV 1798.82(d)(2)(D)?",
    ),
    item(
        "ca-description",
        "A general description of the breach incident",
        "对泄露事件的概括说明",
        "CAL-CIV 1798.82(d)(2)(E)?",
    ),
    item(
        "ca-bureaus",
        "Toll-free numbers and addresses of the major credit reporting agencies, if a Social "
        "Security, driver's license or California ID number was exposed",
        "如泄露社会安全号码、驾照号码或加州身份证号码，提供主要征信机构的免费电话和地址",
        "CAL-CIV 1798.82(d)(2)(F)?",
    ),
    item(
        "ca-idtheft",
        "An offer of identity theft prevention and mitigation services for at least 12 months "
        "at no cost, if the business was the source and such numbers were exposed",
        "如企业为泄露源且上述号码被泄露，免费提供不少于12个月的身份盗用预防和缓解服务",
        "CAL-CIV 1798.82(d)(2)(G)?",
    ),
    item(
        "ca-type",
        "Plain language, at least 10-point type",
        "使用平实语言，字号不小于10磅",
        "CAL-CIV 1798.82(d)(1)?",
    ),
)
PROCESSOR = (
    item(
        "processor-nature",
        "Nature of the breach, categories and approximate numbers of data subjects and records",
        "泄露性质、涉及的数据主体及记录的类别和大致数量",
        "GDPR 33(2)",
    ),
    item(
        "processor-time",
        "When the breach happened and when it was discovered",
        "事件发生时间和发现时间",
        "GDPR 33(2)",
    ),
    item(
        "processor-measures",
        "Measures taken or proposed, and the support offered to the controller",
        "已采取或拟采取的措施，以及向控制者提供的协助",
        "GDPR 33(2)",
    ),
    item(
        "processor-contact",
        "A contact point for further information",
        "进一步信息的联系人",
        "GDPR 33(2)",
    ),
)


# Cal. Civ. Code §1798.82(d)(1) ⚠: the title and the headings, verbatim.
CA_TITLE: Final = "Notice of Data Breach"
CA_HEADINGS: Final = (
    "What Happened",
    "What Information Was Involved",
    "What We Are Doing",
    "What You Can Do",
    "For More Information",
)


def _ids(*groups: tuple[ContentItem, ...]) -> frozenset[str]:
    return frozenset(i.id for g in groups for i in g)


# What each notice template must cover, whatever the incident.
NOTICE_COVERS: Final[dict[NoticeKind, frozenset[str]]] = {
    NoticeKind.AUTHORITY_REPORT: _ids(PIPL_57, IRM_7, GDPR_33_3),
    NoticeKind.SUBJECT_NOTICE: _ids(PIPL_57, GDPR_34_2),
    NoticeKind.CA_NOTICE: _ids(CA_82_D) - {"ca-title"},
    NoticeKind.PROCESSOR_NOTICE: _ids(PROCESSOR),
}
