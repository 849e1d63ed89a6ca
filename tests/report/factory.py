"""A hand-built AuditResult with every section populated (inventory, transfers, waivers ...).

Reports are tested on this result, not only on the example shop's, so every branch of every
renderer runs: waived and baselined findings, manual, error and not-applicable controls, a
plugin instrument no framework claims, an incomplete run, Chinese text everywhere.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from guardrail.model.audit import (
    Applicability,
    AuditResult,
    Control,
    ControlResult,
    ControlStatus,
    Evidence,
    EvidenceFact,
    Finding,
    FindingStatus,
    FrameworkInfo,
    InputDigest,
    PackVersion,
    RunError,
    Scorecard,
    Target,
    Waiver,
)
from guardrail.model.classification import (
    CcpaLabel,
    GdprLabel,
    GdprSpecialKind,
    PiplLabel,
    PiplSensitiveKind,
    RegimeLabels,
    Sensitivity,
)
from guardrail.model.common import ArticleRef, LocalizedText, Severity, SourceLocation
from guardrail.model.detection import EntityCount
from guardrail.model.inventory import InventoryField, TransferDecision
from guardrail.model.stack import Protection

AT = datetime(2026, 11, 22, tzinfo=UTC)


def T(en: str, zh: str) -> LocalizedText:
    return LocalizedText(en=en, zh=zh)


def R(text: str) -> ArticleRef:
    return ArticleRef.parse(text)


C03 = Control(
    id="C03",
    slug="sensitive-pi-encrypted-at-rest",
    title=T("Sensitive personal information is encrypted at rest", "敏感个人信息静态加密存储"),
    objective=T("Sensitive columns are field-encrypted.", "敏感字段应字段级加密。"),
    severity=Severity.HIGH,
    check="sensitive_pi_encrypted",
    remediation=T("Encrypt the column with AES-256-GCM.", "使用 AES-256-GCM 加密该字段。"),
    fix_command="guardrail protect <url> --policy protect.yaml",
    refs=(
        R("PIPL 51(3)"),
        R("GB/T 35273-2020 6.3?"),
        R("GDPR 32(1)(a)"),
        R("CAL-CIV 1798.150(a)(1)"),
    ),
    frameworks=("pipl", "gdpr", "ccpa"),
)
C06 = Control(
    id="C06",
    slug="logs-without-pi",
    title=T("Logs contain no plaintext personal information", "日志中不含明文个人信息"),
    objective=T("Logs are free of personal data.", "日志不含个人信息。"),
    severity=Severity.HIGH,
    check="logs_without_pi",
    remediation=T("Mask fields in the logger.", "在日志层脱敏。"),
    refs=(R("PIPL 51"), R("GDPR 5(1)(f)"), R("CAL-CIV 1798.100(e)")),
    frameworks=("pipl", "gdpr", "ccpa"),
)
C27 = Control(
    id="C27",
    slug="pipl-transfer-route",
    title=T("PRC outbound transfers use the required mechanism", "个人信息出境采用相应合规路径"),
    objective=T("Each outbound flow has a mechanism.", "每条出境数据流具备合规机制。"),
    severity=Severity.CRITICAL,
    check="pipl_transfer_route",
    remediation=T("Sign the standard contract.", "签订并备案标准合同。"),
    refs=(R("PIPL 38"), R("PIPL 39"), R("XBP 5"), R("ACME-RULES 7")),
    frameworks=("pipl",),
)
C30 = Control(
    id="C30",
    slug="officers-designated",
    title=T("Protection officers are designated", "已指定个人信息保护负责人"),
    objective=T("A DPO is designated and published.", "已指定并公开数据保护官。"),
    severity=Severity.MEDIUM,
    check="officers_designated",
    remediation=T("Publish the DPO contact.", "公开数据保护官联系方式。"),
    refs=(R("GDPR 37"),),
    frameworks=("gdpr",),
)
C40 = Control(
    id="C40",
    slug="dpia-done",
    title=T("Impact assessments are done", "已开展个人信息保护影响评估"),
    objective=T("A DPIA/PIPIA exists for high-risk processing.", "高风险处理已完成影响评估。"),
    severity=Severity.MEDIUM,
    check=None,
    remediation=T("Attest the assessment.", "提交评估证明。"),
    refs=(R("PIPL 55"), R("GDPR 35")),
    frameworks=("pipl", "gdpr"),
)
C41 = Control(
    id="C41",
    slug="ccpa-opt-out",
    title=T("Sale/share opt-out is honoured", "尊重出售/共享选择退出"),
    objective=T("GPC signals are honoured.", "遵从全球隐私控制信号。"),
    severity=Severity.LOW,
    check="ccpa_opt_out",
    remediation=T("Honour GPC.", "遵从 GPC 信号。"),
    refs=(R("CAL-CIV 1798.120"),),
    frameworks=("ccpa",),
)
C50 = Control(
    id="C50",
    slug="retention-enforced",
    title=T("Retention is enforced", "执行保存期限"),
    objective=T("Rows past retention are deleted.", "超期记录已删除。"),
    severity=Severity.LOW,
    check="retention",
    remediation=T("Schedule deletion.", "配置定期删除。"),
    refs=(R("PIPL 19"), R("GDPR 5(1)(e)")),
    frameworks=("pipl", "gdpr"),
)

WAIVER = Waiver(
    control="C06",
    target="file:app_logs:logs/debug.log",
    reason="Debug log is shredded nightly; replacement logger ships in Q1",
    owner="sec-team@example.com",
    expires=date(2027, 3, 31),
    ticket="SEC-42",
)
EXPIRED = Waiver(
    control="C03",
    target="field:shop_db.legacy.card",
    reason="Legacy table being migrated",
    owner="dba@example.com",
    expires=date(2026, 1, 31),
)


def _finding(
    fid: str,
    control: Control,
    target: Target,
    severity: Severity,
    message: LocalizedText,
    *,
    line: int,
    status: FindingStatus = FindingStatus.OPEN,
    waiver: Waiver | None = None,
    evidence: tuple[Evidence, ...] = (),
) -> Finding:
    return Finding(
        id=fid,
        control=control.id,
        title=control.title,
        severity=severity,
        status=status,
        target=target,
        frameworks=control.frameworks,
        refs=control.refs,
        message=message,
        evidence=evidence,
        remediation=control.remediation,
        fix_command=control.fix_command,
        location=SourceLocation(path="stack.yaml", line=line),
        waiver=waiver,
    )


F_CARD = _finding(
    "a" * 32,
    C03,
    Target(kind="field", id="shop_db.payments.card_number"),
    Severity.CRITICAL,
    T(
        "596 of 596 sampled values in payments.card_number are plaintext CREDIT_CARD.",
        "payments.card_number 抽样的 596 个值中有 596 个为明文银行卡号。",
    ),
    line=91,
    evidence=(
        Evidence(
            summary=T("Sampled column values", "字段抽样结果"),
            location=SourceLocation(datastore="shop_db", table="payments", field="card_number"),
            counts=(EntityCount(entity="CREDIT_CARD", count=596),),
            facts=(
                EvidenceFact(name="sampled", value=1000),
                EvidenceFact(name="declared_field_protection", value=True),
                EvidenceFact(name="ratio", value=0.596),
                EvidenceFact(name="owner", value=None),
            ),
            masked_samples=("621200********9199", "=cmd|' /C calc'!A0"),
        ),
    ),
)
F_ID = _finding(
    "b" * 32,
    C03,
    Target(kind="field", id="shop_db.customers.id_number"),
    Severity.HIGH,
    T("483 resident ID numbers are plaintext.", "483 个身份证号为明文。"),
    line=77,
    evidence=(
        Evidence(
            summary=T("Sampled column values", "字段抽样结果"),
            counts=(EntityCount(entity="CN_RESIDENT_ID", count=483),),
            masked_samples=("110***********002X",),
        ),
    ),
)
F_LOG = _finding(
    "c" * 32,
    C06,
    Target(kind="file", id="app_logs:logs/debug.log"),
    Severity.HIGH,
    T(
        "logs/debug.log holds 12 e-mail addresses <b>unescaped?</b> | pipe",
        "日志含 12 个邮箱地址。",
    ),
    line=110,
    status=FindingStatus.WAIVED,
    waiver=WAIVER,
    evidence=(
        Evidence(
            summary=T("Log scan", "日志扫描"),
            location=SourceLocation(path="logs/debug.log", line=31),
            counts=(EntityCount(entity="EMAIL_ADDRESS", count=12),),
            masked_samples=("y***@example.net",),
        ),
    ),
)
F_FLOW = _finding(
    "d" * 32,
    C27,
    Target(kind="flow", id="crm-to-mailwave"),
    Severity.CRITICAL,
    T(
        "Outbound flow crm-to-mailwave (CN→US) has no mechanism.",
        "出境数据流 crm-to-mailwave（CN→US）缺少合规机制。",
    ),
    line=180,
)

FINDINGS = (F_CARD, F_ID, F_LOG, F_FLOW)


def _result(
    control: Control,
    status: ControlStatus,
    *,
    targets_checked: int = 0,
    findings: tuple[Finding, ...] = (),
    note: LocalizedText | None = None,
) -> ControlResult:
    """``control``'s result: its id and frameworks come from the control itself."""
    return ControlResult(
        control=control.id,
        status=status,
        frameworks=control.frameworks,
        targets_checked=targets_checked,
        findings=tuple(f.id for f in findings),
        note=note,
    )


RESULTS = (
    _result(C03, ControlStatus.FAIL, targets_checked=5, findings=(F_CARD, F_ID)),
    _result(C06, ControlStatus.WAIVED, targets_checked=2, findings=(F_LOG,)),
    _result(C27, ControlStatus.FAIL, targets_checked=1, findings=(F_FLOW,)),
    _result(C30, ControlStatus.PASS, targets_checked=1),
    _result(C40, ControlStatus.MANUAL, note=T("No attestation on file.", "尚无书面证明。")),
    _result(
        C41,
        ControlStatus.NOT_APPLICABLE,
        note=T("No sale or sharing declared.", "未声明出售或共享。"),
    ),
    _result(C50, ControlStatus.ERROR, note=T("The retention probe failed.", "保存期限探测失败。")),
)

INVENTORY = (
    InventoryField(
        datastore="shop_db",
        dataset="payments",
        field="card_number",
        entities=("CREDIT_CARD",),
        categories=("user.financial.bank_account",),
        labels=RegimeLabels(
            pipl=PiplLabel(sensitive=True, kinds=(PiplSensitiveKind.FINANCIAL_ACCOUNT,)),
            gdpr=GdprLabel(),
            ccpa=CcpaLabel(sensitive=True, clauses=("(ae)(1)(B)",)),
            gbt_43697="important",
        ),
        sensitivity=Sensitivity.RESTRICTED,
        source="both",
        confidence=0.98,
        protection=Protection(field_encrypted=True, masked_in_display=True),
        purposes=("payment",),
        retention="P5Y",
        recipients=("paygate",),
        transfers=("crm-to-mailwave",),
        owner="payments-team",
    ),
    InventoryField(
        datastore="shop_db",
        dataset="customers",
        field="health_note",
        entities=("MEDICAL",),
        labels=RegimeLabels(
            pipl=PiplLabel(sensitive=True, kinds=(PiplSensitiveKind.MEDICAL_HEALTH,)),
            gdpr=GdprLabel(special=(GdprSpecialKind.HEALTH,)),
        ),
        sensitivity=Sensitivity.RESTRICTED,
        source="declared",
    ),
    InventoryField(
        datastore="shop_db",
        dataset="customers",
        field="email",
        entities=("EMAIL_ADDRESS",),
        source="detected",
        confidence=0.9,
    ),
)

TRANSFERS = (
    TransferDecision(
        flow="crm-to-mailwave",
        source="crm",
        destination="mailwave",
        from_region="CN",
        to_region="US",
        regime="pipl",
        route="standard_contract_or_certification",
        mechanisms=(),
        compliant=False,
        reasoning=(
            T(
                "240,000 individuals since 1 January: a standard contract is required.",
                "自1月1日起累计240,000人：需订立标准合同。",
            ),
            T("No separate consent recorded (PIPL Art. 39).", "未取得单独同意（第三十九条）。"),
        ),
    ),
    TransferDecision(
        flow="eu-orders-to-cn",
        source="eu_shop",
        destination="shop_db",
        from_region="DE",
        to_region="CN",
        regime="gdpr",
        route="scc",
        mechanisms=("sccs", "tia-2026-04"),
        compliant=True,
        reasoning=(T("SCCs (2021/914) are signed.", "已签署标准合同条款（2021/914）。"),),
    ),
    TransferDecision(
        flow="eu-orders-to-cn",
        source="eu_shop",
        destination="shop_db",
        from_region="DE",
        to_region="CN",
        regime="pipl",
        route="not_an_export",
        compliant=True,
        reasoning=(
            T("Import into China: PIPL Ch. III does not apply.", "向境内传输：不适用第三章。"),
        ),
    ),
)


def make_result(*, errors: bool = False) -> AuditResult:
    return AuditResult(
        guardrail_version="0.1.0",
        organization="Silkroute Goods (Shanghai) Co., Ltd. / 丝路优品（上海）有限公司",
        stack="stack.yaml",
        started=AT,
        finished=AT,
        at=AT,
        frameworks=(
            FrameworkInfo(
                id="pipl",
                title=T("PRC Personal Information Protection Law", "《个人信息保护法》"),
                version="PIPL 2021",
            ),
            FrameworkInfo(
                id="gdpr",
                title=T("EU General Data Protection Regulation", "欧盟《通用数据保护条例》"),
                version="(EU) 2016/679",
            ),
            FrameworkInfo(
                id="ccpa",
                title=T("California Consumer Privacy Act / CPRA", "美国加州《消费者隐私法》"),
                version="CCPA/CPRA",
            ),
        ),
        applicability=(
            Applicability(
                framework="pipl",
                applies=True,
                reasons=(
                    T(
                        "Processes PI in mainland China (PIPL Art. 3 ¶1).",
                        "在境内处理个人信息（第三条第一款）。",
                    ),
                ),
                refs=(R("PIPL 3"),),
            ),
            Applicability(
                framework="gdpr",
                applies=True,
                reasons=(
                    T(
                        "Has an establishment in the EEA (GDPR Art. 3(1)).",
                        "在欧洲经济区设有营业机构（第3条第1款）。",
                    ),
                ),
                refs=(R("GDPR 3"),),
            ),
            Applicability(
                framework="ccpa",
                applies=False,
                reasons=(T("Revenue below the threshold.", "收入低于门槛。"),),
                refs=(R("CAL-CIV 1798.140(d)"),),
            ),
        ),
        controls=(C03, C06, C27, C30, C40, C41, C50),
        results=RESULTS,
        findings=FINDINGS,
        scorecards=(
            Scorecard(framework="pipl", failed=2, waived=1, manual=1, errors=1),
            Scorecard(framework="gdpr", passed=1, failed=1, waived=1, manual=1, errors=1),
            Scorecard(framework="ccpa", failed=1, waived=1, not_applicable=1),
        ),
        errors=(
            RunError(
                stage="collect:shop_db",
                message="retention probe failed: table 'orders' is locked",
                hint="retry when the migration ends",
            ),
        )
        if errors
        else (),
        inputs=(
            InputDigest(path="stack.yaml", sha256="1" * 64),
            InputDigest(path="data/shop.db", sha256="2" * 64),
        ),
        packs=(
            PackVersion(id="controls", version="2026.11"),
            PackVersion(id="pipl", version="PIPL 2021"),
        ),
        inventory=INVENTORY,
        transfers=TRANSFERS,
        waivers=(WAIVER, EXPIRED),
    )
