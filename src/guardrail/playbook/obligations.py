"""The obligations engine: from an incident and the stack, every notification duty, decided and
explained.

Each obligation is decided with three-valued logic: a trigger that is true makes it
``required``, a trigger that is false makes it ``not_triggered`` (or ``exempt`` when an
exemption applies), and a trigger that depends on a fact nobody knows yet makes it
``conditional`` with the open :class:`Condition` s; the same unknowns are listed for the team.

Deadlines are absolute, time-zone-aware datetimes (UTC) computed from the incident's discovery
or awareness time: hour clocks are elapsed time; day clocks are calendar days that end at 23:59
of the last day in the recipient's statutory time zone. No clock reads the current time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from guardrail.model.common import ArticleRef, LocalizedText
from guardrail.model.incident import (
    Assessment,
    Clock,
    ClockStart,
    Condition,
    Exemption,
    Incident,
    IncidentType,
    IrmGrade,
    NoticeKind,
    Obligation,
    ObligationId,
    ObligationStatus,
    Recipient,
    RecipientKind,
    Regime,
    RiskLevel,
    Timing,
    Unknown,
)
from guardrail.model.inventory import InventoryField
from guardrail.model.stack import Contact, Stack, is_eea
from guardrail.playbook import law
from guardrail.playbook._text import T, all3, any3
from guardrail.playbook.content import CA_82_D, GDPR_33_3, GDPR_34_2, IRM_7, PIPL_57, PROCESSOR
from guardrail.playbook.facts import IncidentData, incident_data
from guardrail.playbook.law import ref

__all__ = ["Decision", "deadline_of", "decide"]

_CRIME_TYPES = frozenset(
    {IncidentType.EXFILTRATION, IncidentType.RANSOMWARE, IncidentType.UNAUTHORISED_ACCESS}
)


@dataclass(frozen=True)
class Decision:
    assessment: Assessment
    obligations: tuple[Obligation, ...]
    unknowns: tuple[Unknown, ...]
    data: IncidentData


def deadline_of(start: datetime, clock: Clock) -> datetime | None:
    """``start`` plus the clock: hours elapsed, or calendar days ending 23:59 local time.

    Calendar days follow the usual rule (Cal. Civ. Code §12 ⚠): the first day is excluded and
    the last included; no holiday extension is applied (conservative).
    """
    if clock.hours is not None:
        # Elapsed time: add in UTC (adding to a zoned datetime would add wall-clock time and
        # be an hour off across a daylight-saving change).
        return start.astimezone(UTC) + timedelta(hours=clock.hours)
    if clock.days is not None:
        tz = ZoneInfo(clock.timezone)
        last = start.astimezone(tz).date() + timedelta(days=clock.days)
        return datetime.combine(last, time(23, 59), tzinfo=tz).astimezone(UTC)
    return None


def _local_date(at: datetime, tz: str) -> object:
    return at.astimezone(ZoneInfo(tz)).date()


def _count(by_region: dict[str, int | None], pred: object) -> tuple[bool, int | None]:
    """(any region matches, their summed count or None if one is not counted)."""
    assert callable(pred)
    hits = [v for r, v in by_region.items() if pred(r) and v != 0]  # 0 = not affected
    if not hits:
        return False, 0
    if any(v is None for v in hits):
        return True, None
    return True, sum(v for v in hits if v is not None)


def _is_cn(region: str) -> bool:
    return region == "CN" or region.startswith("CN-")


def _authority(stack: Stack, roles: tuple[str, ...]) -> Contact | None:
    ir = stack.incident_response
    if ir is None:
        return None
    for role in roles:
        for a in ir.authorities:
            if a.role.lower() == role:
                return a
    return None


def _recipient(
    kind: RecipientKind,
    contact: Contact | None,
    fallback: LocalizedText,
    *,
    region: str | None = None,
    persons: int | None = None,
) -> Recipient:
    if contact is not None:
        return Recipient(
            kind=kind,
            name=T(contact.name, contact.name),
            contact=contact.contact,
            region=contact.region or region,
            configured=True,
            persons=persons,
        )
    return Recipient(kind=kind, name=fallback, region=region, persons=persons)


def _status(trigger: bool | None, exempt: bool | None = False) -> ObligationStatus:
    if trigger is False:
        return ObligationStatus.NOT_TRIGGERED
    if exempt is True:
        return ObligationStatus.EXEMPT
    if trigger is None or exempt is None:
        return ObligationStatus.CONDITIONAL
    return ObligationStatus.REQUIRED


def _ca_clock(
    sb446: bool,
    start: ClockStart,
    *,
    days: int,
    timing: Timing,
    after: ObligationId | None = None,
) -> Clock:
    """A California clock: ``days`` calendar days since SB 446, the ``timing`` word before."""
    if sb446:
        return Clock(start=start, after=after, days=days, timezone=law.TZ_CALIFORNIA)
    return Clock(start=start, after=after, timing=timing, timezone=law.TZ_CALIFORNIA)


def decide(
    incident: Incident,
    stack: Stack,
    *,
    inventory: Sequence[InventoryField] = (),
) -> Decision:
    """Decide every obligation for ``incident``. Pure: same inputs, same result."""
    return _Engine(incident, stack, incident_data(incident, stack, inventory)).run()


class _Engine:
    def __init__(self, incident: Incident, stack: Stack, data: IncidentData) -> None:
        self.i = incident
        self.s = stack
        self.d = data
        self.unknowns: list[Unknown] = []
        self.reasons: list[LocalizedText] = []
        org = stack.organization
        persons = incident.persons.by_region
        regions = data.processing_regions
        # Territorial scope.
        self.prc_processing = any(_is_cn(r) for r in regions)
        self.prc_persons, _ = _count(persons, _is_cn)
        self.prc_operator = self.prc_processing or any(_is_cn(r) for r in org.established_in)
        self.eea_processing = any(is_eea(r) for r in regions)
        self.eea_persons, _ = _count(persons, is_eea)
        self.ca_persons, self.ca_count = _count(persons, lambda r: r == "US-CA")
        self.pipl = self.prc_processing or self.prc_persons
        self.gdpr = self.eea_processing or self.eea_persons
        self.ccpa = self.ca_persons
        total = incident.persons.counted_total
        self.pipl_count = total if self.prc_processing else _count(persons, _is_cn)[1]
        self.gdpr_count = total if self.eea_processing else _count(persons, is_eea)[1]
        self.cii = org.cii_operator if incident.cii is None else incident.cii
        self.breach = incident.is_breach
        self.controller = incident.role == "controller"
        # Data.
        items = data.data
        complete = data.complete
        self.all_unintelligible: bool | None = (
            all3(x.unintelligible for x in items) if items else None
        )
        if self.all_unintelligible is True and not complete:
            self.all_unintelligible = None
        sensitive = [x for x in items if x.pipl_sensitive or x.gdpr_special or x.ccpa_sensitive]
        self.sensitive_exposed = any3(
            [*(not x.unintelligible if x.unintelligible is not None else None for x in sensitive)]
            + ([None] if not complete else [])
        )
        declared_minors: bool | None
        if incident.persons.minors is not None:
            declared_minors = incident.persons.minors
        elif data.minors_declared:
            declared_minors = True
        elif org.offers_services_to_children or not complete:
            declared_minors = None
        else:
            declared_minors = False
        self.minors = declared_minors
        self._risk()

    # ---- assessment ------------------------------------------------------------------------

    def _risk(self) -> None:
        i = self.i
        self.risk_declared = i.risk is not None
        if i.risk is not None:
            self.risk_some: bool | None = i.risk is not RiskLevel.UNLIKELY
            self.risk_high: bool | None = i.risk is RiskLevel.HIGH
            self.reasons.append(
                T(
                    f"Risk to individuals assessed by the team as '{i.risk.value}'"
                    + (f": {i.risk_reason}" if i.risk_reason else "."),
                    f"团队评估对个人权益的风险为“{_RISK_ZH[i.risk]}”"
                    + (f"：{i.risk_reason}" if i.risk_reason else "。"),
                )
            )
            return
        if i.type is IncidentType.RANSOMWARE:
            # Availability is lost whatever the encryption: at least a risk (GDPR Art. 33(1)).
            self.risk_some = True
        else:
            self.risk_some = (
                None if self.all_unintelligible is None else not self.all_unintelligible
            )
        self.risk_high = any3([self.sensitive_exposed, self.minors])
        if self.risk_some is False:
            self.risk_high = False
        if self.risk_high is True:
            self.risk_some = True
        if self.risk_some is False:
            self.reasons.append(
                T(
                    "Every affected data item was encrypted or tokenised and the key was not "
                    "exposed: the breach is unlikely to result in a risk (GDPR Art. 33(1)).",
                    "所有受影响数据均已加密或令牌化且密钥未泄露：该事件不太可能对个人权益造成风险"
                    "（GDPR第33条第1款）。",
                )
            )
        elif self.risk_high is True:
            self.reasons.append(
                T(
                    "Sensitive data (PIPL Art. 28 / GDPR Art. 9 / CCPA sensitive PI) or minors' "
                    "data is exposed in readable form: high risk (GDPR Art. 34(1)).",
                    "敏感个人信息（PIPL第28条 / GDPR第9条 / CCPA敏感个人信息）或未成年人信息以可读"
                    "形式泄露：高风险（GDPR第34条第1款）。",
                )
            )
        elif self.risk_high is False and self.risk_some is True:
            self.reasons.append(
                T(
                    "Readable personal data is exposed but no sensitive category: a risk, not a "
                    "high risk, unless the team finds otherwise (set 'risk: high').",
                    "可读的个人信息泄露但不含敏感类别：存在风险但非高风险，除非团队另有判断"
                    "（可设置 risk: high）。",
                )
            )
        else:
            self.reasons.append(
                T(
                    "The risk level depends on facts still unknown (see the open questions); "
                    "guardrail keeps the dependent notices conditional.",
                    "风险等级取决于尚不明确的事实（见待查明事项）；相关通知暂列为附条件义务。",
                )
            )

    def _scope_reasons(self) -> None:
        for applies, head, why in (
            (
                self.pipl,
                ("PRC rules apply", "适用中国法律"),
                (
                    "personal information is processed in mainland China (PIPL Art. 3 ¶1)",
                    "在中国境内处理个人信息（PIPL第3条第1款）",
                )
                if self.prc_processing
                else (
                    "persons in mainland China are affected (PIPL Art. 3 ¶2)",
                    "涉及中国境内自然人（PIPL第3条第2款）",
                ),
            ),
            (
                self.gdpr,
                ("GDPR applies", "适用GDPR"),
                (
                    "the data is processed in the EEA (GDPR Art. 3(1))",
                    "数据在欧洲经济区内处理（GDPR第3条第1款）",
                )
                if self.eea_processing
                else (
                    "data subjects in the EEA are affected (GDPR Art. 3(2))",
                    "涉及欧洲经济区内的数据主体（GDPR第3条第2款）",
                ),
            ),
        ):
            if applies:
                self.reasons.append(T(f"{head[0]}: {why[0]}.", f"{head[1]}：{why[1]}。"))
        if self.ccpa:
            self.reasons.append(
                T(
                    "California residents are affected: Cal. Civ. Code §1798.82 applies.",
                    "涉及加州居民：适用《加州民法典》第1798.82条。",
                )
            )
        if not self.breach:
            self.reasons.append(
                T(
                    f"A '{self.i.type.value}' incident is unlawful processing, not a personal-data "
                    "breach, unless data reached an unauthorised party "
                    "('unauthorised_disclosure: true'): breach notifications are not triggered.",
                    f"“{_TYPE_ZH[self.i.type]}”属于违法处理而非个人信息泄露，除非数据已被未经授权的"
                    "一方获取（unauthorised_disclosure: true）：不触发泄露通知义务。",
                )
            )

    def _grade(self) -> tuple[IrmGrade | None, bool | None]:
        total = self.i.persons.counted_total
        low = self.i.persons.at_least
        n = total if total is not None else None

        def level(k: int) -> IrmGrade:
            if k >= law.IRM_ESPECIALLY_MAJOR:
                return IrmGrade.ESPECIALLY_MAJOR
            if k >= law.IRM_MAJOR:
                return IrmGrade.MAJOR
            if k >= law.IRM_RELATIVELY_MAJOR:
                return IrmGrade.RELATIVELY_MAJOR
            return IrmGrade.GENERAL

        if n is not None:
            g = level(n)
            return g, g is not IrmGrade.GENERAL
        if low >= law.IRM_RELATIVELY_MAJOR:
            return None, True
        return None, None

    # ---- run -------------------------------------------------------------------------------

    def run(self) -> Decision:
        risk_reasons, self.reasons = self.reasons, []
        self._scope_reasons()
        self.reasons += risk_reasons
        grade, major = self._grade()
        obligations = [
            self._irm_report(major, grade),
            self._pipl_authority(),
            self._pipl_individuals(),
            self._minors(),
            self._police(),
            self._irm_summary(major),
            self._gdpr_authority(),
            self._gdpr_subjects(),
            self._register(),
            *self._california(),
            self._processor(),
        ]
        self._collect_unknowns(obligations, major)
        regimes = tuple(
            r
            for r, on in (
                (Regime.PIPL, self.pipl),
                (Regime.GDPR, self.gdpr),
                (Regime.CCPA, self.ccpa),
            )
            if on
        )
        assessment = Assessment(
            breach=self.breach,
            regimes=regimes,
            cii=self.cii,
            irm_grade=grade,
            risk=self._risk_level(),
            risk_declared=self.risk_declared,
            reasons=tuple(self.reasons),
            data=self.d.data,
            persons_total=self.i.persons.counted_total,
            persons_at_least=self.i.persons.at_least,
            records=self.i.persons.records,
            by_region=dict(self.i.persons.by_region),
        )
        return Decision(assessment, tuple(obligations), tuple(self.unknowns), self.d)

    def _risk_level(self) -> RiskLevel | None:
        if self.risk_high is True:
            return RiskLevel.HIGH
        if self.risk_some is False:
            return RiskLevel.UNLIKELY
        if self.risk_some is True and self.risk_high is False:
            return RiskLevel.RISK
        return None

    def _timed(self, ob: Obligation, *, due_fallback: datetime | None = None) -> Obligation:
        """Resolve ``ob``'s clock: its start, absolute deadline, scheduled due time, sent time.

        ``due`` is the deadline when the law gives a count; for "immediately" it is the clock
        start; for other words without a count it is ``due_fallback`` (an internal target).
        """
        i = self.i
        clock = ob.clock
        assert clock is not None
        start: datetime | None
        if clock.start is ClockStart.DISCOVERY:
            start = i.discovered_at
        elif clock.start is ClockStart.AWARENESS:
            start = i.awareness
        elif clock.start is ClockStart.HANDLING_END:
            start = i.handling_ended_at
        else:
            start = i.sent.get(clock.after.value) if clock.after else None
        deadline = deadline_of(start, clock) if start is not None else None
        due = deadline
        if due is None and start is not None and clock.timing is Timing.IMMEDIATELY:
            due = start
        if due is None:
            due = due_fallback
        sent = i.sent.get(ob.id.value)
        if not ob.status.active:
            deadline = due = None
        return ob.model_copy(
            update={
                "start_at": start.astimezone(UTC) if start else None,
                "deadline": deadline,
                "due": due.astimezone(UTC) if due else None,
                "sent_at": sent.astimezone(UTC) if sent else None,
            }
        )

    # ---- PRC -------------------------------------------------------------------------------

    def _not_prc_reason(self) -> LocalizedText:
        return T(
            "No personal information processed in mainland China and no persons there affected.",
            "未在中国境内处理个人信息，也未涉及中国境内的自然人。",
        )

    def _cac(self) -> Recipient:
        """The provincial CAC, which receives the incident report and its summary."""
        return _recipient(
            RecipientKind.AUTHORITY,
            _authority(self.s, ("irm", "cac", "pipl")),
            T("The provincial cyberspace administration (CAC)", "省级网信部门"),
            region="CN",
        )

    def _irm_report(self, major: bool | None, grade: IrmGrade | None) -> Obligation:
        oid = ObligationId.IRM_REPORT
        hours = law.IRM_CII_HOURS if self.cii else law.IRM_OTHER_HOURS
        clock = Clock(start=ClockStart.DISCOVERY, hours=hours, timezone=law.TZ_PRC)
        reasons: list[LocalizedText] = []
        conditions: tuple[Condition, ...] = ()
        if not self._irm_in_force():
            trigger: bool | None = False
            reasons.append(
                T(
                    "Discovered before 2025-11-01, when the CAC incident-reporting measures took "
                    "effect: no hour clock; report under the rules then in force.",
                    "事件发现于2025年11月1日《国家网络安全事件报告管理办法》施行之前：不适用小时时限，"
                    "按当时有效的规定报告。",
                )
            )
        elif not self.prc_operator:
            trigger = False
            reasons.append(
                T(
                    "The organisation operates no network in mainland China for this data.",
                    "该组织未在中国境内运营处理该数据的网络。",
                )
            )
        elif not self.breach:
            trigger = False
            reasons.append(
                T(
                    "Not a personal-information leak: the PI criterion of the grading guide does "
                    "not apply (its other criteria ⚠ are not encoded; assess them).",
                    "不属于个人信息泄露：不适用分级指南的个人信息标准（其他标准⚠未编码，请自行评估）。",
                )
            )
        else:
            trigger = major
            if major is True:
                names = {
                    IrmGrade.RELATIVELY_MAJOR: ("较大 (relatively major)", "较大"),
                    IrmGrade.MAJOR: ("重大 (major)", "重大"),
                    IrmGrade.ESPECIALLY_MAJOR: ("特别重大 (especially major)", "特别重大"),
                }
                en, zh = names.get(
                    grade or IrmGrade.RELATIVELY_MAJOR, names[IrmGrade.RELATIVELY_MAJOR]
                )
                if grade is None:
                    en, zh = "at least 较大 (relatively major)", "至少为较大"
                reasons.append(
                    T(
                        f"Personal information of at least 1,000,000 persons leaked: level {en} "
                        "under the grading guide (counted over all affected persons ⚠).",
                        f"泄露至少100万人的个人信息：按分级指南为{zh}级事件（按全部受影响人数计算⚠）。",
                    )
                )
                if grade in (IrmGrade.MAJOR, IrmGrade.ESPECIALLY_MAJOR):
                    reasons.append(
                        T(
                            "For 重大 and 特别重大 incidents the provincial CAC escalates to the "
                            "national CAC within 1 hour: expect follow-up questions quickly.",
                            "重大、特别重大事件由省级网信部门在1小时内报告国家网信部门：请准备好尽快答复追问。",
                        )
                    )
            elif major is False:
                reasons.append(
                    T(
                        "Fewer than 1,000,000 persons: below 较大 by the PI criterion. The guide's "
                        "other criteria (⚠ not encoded) could still make it 较大 — assess them.",
                        "不足100万人：按个人信息标准低于较大级。分级指南的其他标准（⚠未编码）仍可能使其达到"
                        "较大级，请评估。",
                    )
                )
            else:
                conditions = self._irm_conditions()
            reasons.append(
                T(
                    f"{'CII operator' if self.cii else 'Operator (not CII)'}: report within "
                    f"{hours} hour{'s' if hours > 1 else ''} of discovery (IRM Art. 4), counted "
                    "from discovery (conservative; the trigger wording is to be confirmed ⚠).",
                    f"{'关键信息基础设施运营者' if self.cii else '非关键信息基础设施运营者'}：自发现起"
                    f"{hours}小时内报告（办法第4条），从发现时起算（从严；触发表述待核实⚠）。",
                )
            )
        status = _status(trigger)
        if self.cii:
            recipient = _recipient(
                RecipientKind.AUTHORITY,
                _authority(self.s, ("cii", "protection_department")),
                T(
                    "The CII protection department and public security",
                    "关键信息基础设施保护工作部门和公安机关",
                ),
                region="CN",
            )
        else:
            recipient = self._cac()
        return self._timed(
            Obligation(
                id=oid,
                regime=Regime.PIPL,
                title=T("Report the incident to the CAC", "向网信部门报告网络安全事件"),
                status=status,
                recipient=recipient,
                clock=clock,
                refs=(ref("IRM 4"), ref("IRM 7?"), ref("NDSR 11")),
                content=IRM_7,
                conditions=conditions if status is ObligationStatus.CONDITIONAL else (),
                reasons=tuple(reasons),
                notice=NoticeKind.AUTHORITY_REPORT,
                owner_role="legal",
                uncertain=True,
            )
        )

    def _gate(
        self, in_scope: bool, why_not: tuple[LocalizedText, LocalizedText, LocalizedText]
    ) -> tuple[bool, list[LocalizedText]]:
        """``(True, [])`` when the regime applies, the incident is a breach and the organisation
        controls the data; otherwise ``False`` with the matching one of ``why_not``."""
        for holds, reason in zip((in_scope, self.breach, self.controller), why_not, strict=True):
            if not holds:
                return False, [reason]
        return True, []

    def _prc_gate(self) -> tuple[bool | None, list[LocalizedText]]:
        return self._gate(
            self.pipl,
            (
                self._not_prc_reason(),
                T(
                    "Not a leak, tampering or loss of personal information (PIPL Art. 57).",
                    "不属于个人信息泄露、篡改、丢失（PIPL第57条）。",
                ),
                T(
                    "As entrusted party (受托人) you notify the processor that entrusted you; it "
                    "notifies the authority and the individuals.",
                    "作为受托人，应通知委托处理的个人信息处理者，由其通知主管部门和个人。",
                ),
            ),
        )

    def _pipl_authority(self) -> Obligation:
        oid = ObligationId.PIPL_AUTHORITY
        trigger, reasons = self._prc_gate()
        clock = Clock(start=ClockStart.DISCOVERY, timing=Timing.IMMEDIATELY, timezone=law.TZ_PRC)
        refs = [ref("PIPL 57"), ref("NDSR 11")]
        if trigger:
            reasons.append(
                T(
                    "PIPL Art. 57: take remedial measures and notify the authority immediately "
                    "(立即); the statute sets no hour count, so it is due from discovery.",
                    "PIPL第57条：应立即采取补救措施并通知履行个人信息保护职责的部门；法律未规定小时数，"
                    "自发现时即应履行。",
                )
            )
            if self.minors is not False:
                refs.append(ref("MINORS-REGS 35"))
        status = _status(trigger)
        return self._timed(
            Obligation(
                id=oid,
                regime=Regime.PIPL,
                title=T(
                    "Notify the personal-information protection authority",
                    "通知履行个人信息保护职责的部门",
                ),
                status=status,
                recipient=_recipient(
                    RecipientKind.AUTHORITY,
                    _authority(self.s, ("pipl", "cac")),
                    T(
                        "The authority performing PI-protection duties (CAC)",
                        "履行个人信息保护职责的部门（网信部门）",
                    ),
                    region="CN",
                ),
                clock=clock,
                refs=tuple(refs),
                content=PIPL_57,
                reasons=tuple(reasons),
                notice=NoticeKind.AUTHORITY_REPORT,
                owner_role="legal",
            )
        )

    def _pipl_individuals(self) -> Obligation:
        oid = ObligationId.PIPL_INDIVIDUALS
        trigger, reasons = self._prc_gate()
        exempt: bool | None = False
        exemptions = []
        if trigger:
            exempt = self.i.harm_avoided_by_measures
            exemptions.append(
                Exemption(
                    ref=ref("PIPL 57"),
                    applies=exempt,
                    reason=T(
                        "Art. 57 ¶2: individual notice may be skipped if the measures taken "
                        "effectively avoid harm; the authority may still require it."
                        + (
                            " The team declared that they do."
                            if exempt
                            else (
                                " The data was unintelligible to the recipient: if the team "
                                "concludes harm is avoided, declare 'harm_avoided_by_measures'."
                                if self.all_unintelligible
                                else ""
                            )
                        ),
                        "第57条第2款：采取措施能够有效避免危害的，可以不通知个人，但主管部门认为可能造成"
                        "危害的，有权要求通知。"
                        + (
                            "团队已声明措施能够有效避免危害。"
                            if exempt
                            else (
                                "数据对获取方不可读：如团队认定可避免危害，请设置 harm_avoided_by_measures。"
                                if self.all_unintelligible
                                else ""
                            )
                        ),
                    ),
                )
            )
            reasons.append(
                T(
                    "PIPL Art. 57: notify the individuals immediately, by phone, SMS, e-mail, "
                    "in-app message or announcement (NDSR Art. 11).",
                    "PIPL第57条：立即通知个人，可通过电话、短信、电子邮件、即时通信或公告（网络数据安全"
                    "管理条例第11条）。",
                )
            )
        clock = Clock(start=ClockStart.DISCOVERY, timing=Timing.IMMEDIATELY, timezone=law.TZ_PRC)
        status = _status(trigger, exempt)
        return self._timed(
            Obligation(
                id=oid,
                regime=Regime.PIPL,
                title=T("Notify the affected individuals (PRC)", "通知受影响的个人（中国）"),
                status=status,
                recipient=Recipient(
                    kind=RecipientKind.INDIVIDUALS,
                    name=T("Affected individuals", "受影响的个人"),
                    region="CN",
                    persons=self.pipl_count,
                ),
                clock=clock,
                refs=(ref("PIPL 57"), ref("NDSR 11")),
                content=PIPL_57,
                exemptions=tuple(exemptions),
                reasons=tuple(reasons),
                notice=NoticeKind.SUBJECT_NOTICE,
                owner_role="communications",
            )
        )

    def _minors(self) -> Obligation:
        oid = ObligationId.MINORS_GUARDIANS
        trigger, reasons = self._prc_gate()
        conditions: tuple[Condition, ...] = ()
        if trigger:
            trigger = self.minors
            if self.minors is None:
                conditions = (
                    Condition(
                        variable="minors_affected",
                        op="==",
                        value=True,
                        text=T("minors' personal information is affected", "涉及未成年人个人信息"),
                    ),
                )
            elif self.minors:
                reasons.append(
                    T(
                        "Minors' personal information is affected: report to the CAC and notify "
                        "the minors and their guardians (a public warning if individual notice is "
                        "hard).",
                        "涉及未成年人个人信息：向网信部门报告，并告知受影响的未成年人及其监护人（难以逐一"
                        "告知的，发布警示信息）。",
                    )
                )
            else:
                reasons.append(T("No minors' data is affected.", "不涉及未成年人个人信息。"))
        clock = Clock(start=ClockStart.DISCOVERY, timing=Timing.PROMPTLY, timezone=law.TZ_PRC)
        status = _status(trigger)
        return self._timed(
            Obligation(
                id=oid,
                regime=Regime.PIPL,
                title=T(
                    "Notify affected minors and their guardians", "告知受影响的未成年人及其监护人"
                ),
                status=status,
                recipient=Recipient(
                    kind=RecipientKind.GUARDIANS,
                    name=T("Affected minors and their guardians", "受影响的未成年人及其监护人"),
                    region="CN",
                ),
                clock=clock,
                refs=(ref("MINORS-REGS 35"), ref("PIPL 31")),
                content=PIPL_57,
                conditions=conditions if status is ObligationStatus.CONDITIONAL else (),
                reasons=tuple(reasons),
                notice=NoticeKind.SUBJECT_NOTICE,
                owner_role="communications",
                uncertain=True,  # the timing word of Art. 35 is not in the fact base
            ),
            due_fallback=self.i.discovered_at,
        )

    def _police(self) -> Obligation:
        oid = ObligationId.POLICE_REPORT
        reasons: list[LocalizedText] = []
        if not self.prc_operator:
            trigger: bool | None = False
            reasons.append(self._not_prc_reason())
        elif self.i.type in _CRIME_TYPES:
            trigger = True
            reasons.append(
                T(
                    "Suspected crime (intrusion, theft of data or extortion): report to public "
                    "security promptly (NDSR Art. 11; IRM Art. 4).",
                    "涉嫌违法犯罪（入侵、窃取数据或勒索）：及时向公安机关报案（网络数据安全管理条例第11条；"
                    "办法第4条）。",
                )
            )
        else:
            trigger = False
            reasons.append(
                T(
                    "No indication of crime for this incident type; report if theft or intrusion "
                    "is suspected.",
                    "此类事件无犯罪迹象；如怀疑存在盗窃或入侵，应报案。",
                )
            )
        clock = Clock(start=ClockStart.DISCOVERY, timing=Timing.PROMPTLY, timezone=law.TZ_PRC)
        status = _status(trigger)
        return self._timed(
            Obligation(
                id=oid,
                regime=Regime.PIPL,
                title=T("Report the suspected crime to public security", "向公安机关报案"),
                status=status,
                recipient=_recipient(
                    RecipientKind.POLICE,
                    _authority(self.s, ("police", "public_security")),
                    T("Local public security organ", "属地公安机关"),
                    region="CN",
                ),
                clock=clock,
                refs=(ref("NDSR 11"), ref("IRM 4")),
                reasons=tuple(reasons),
                owner_role="security",
            ),
            due_fallback=self.i.discovered_at + timedelta(hours=24),
        )

    def _irm_summary(self, major: bool | None) -> Obligation:
        oid = ObligationId.IRM_SUMMARY
        irm = self._irm_gate(major)
        clock = Clock(start=ClockStart.HANDLING_END, days=law.IRM_SUMMARY_DAYS, timezone=law.TZ_PRC)
        reasons = (
            [
                T(
                    "Within 30 days after handling of the incident ends, send a summary: cause, "
                    "impact, measures, accountability and lessons learned (IRM Art. 8).",
                    "事件处置结束后30日内报送总结报告：原因、影响、处置措施、责任追究和整改情况（办法第8条）。",
                )
            ]
            if irm is not False
            else [
                T("No IRM report is due, so no summary either.", "无需按办法报告，也无需报送总结。")
            ]
        )
        status = _status(irm)
        return self._timed(
            Obligation(
                id=oid,
                regime=Regime.PIPL,
                title=T("Send the 30-day summary report to the CAC", "向网信部门报送事件总结报告"),
                status=status,
                recipient=self._cac(),
                clock=clock,
                refs=(ref("IRM 8"),),
                conditions=self._irm_conditions() if status is ObligationStatus.CONDITIONAL else (),
                reasons=tuple(reasons),
                owner_role="incident_lead",
            )
        )

    def _irm_in_force(self) -> bool:
        """Discovered on or after the day the CAC incident-reporting measures took effect."""
        return bool(_local_date(self.i.discovered_at, law.TZ_PRC) >= law.IRM_EFFECTIVE)  # type: ignore[operator]

    def _irm_gate(self, major: bool | None) -> bool | None:
        if not self._irm_in_force() or not self.prc_operator or not self.breach:
            return False
        return major

    def _irm_conditions(self) -> tuple[Condition, ...]:
        return (
            Condition(
                variable="affected_persons",
                op=">=",
                value=law.IRM_RELATIVELY_MAJOR,
                text=T(
                    "at least 1,000,000 persons affected (IRM level 较大 or above)",
                    "受影响人数不少于100万（达到较大级及以上）",
                ),
            ),
        )

    # ---- GDPR ------------------------------------------------------------------------------

    def _gdpr_gate(self) -> tuple[bool, list[LocalizedText]]:
        return self._gate(
            self.gdpr,
            (
                T(
                    "No data processed in the EEA and no data subjects there affected.",
                    "未在欧洲经济区内处理数据，也未涉及该区域的数据主体。",
                ),
                T(
                    "Not a personal-data breach (GDPR Art. 4(12)).",
                    "不属于个人数据泄露（GDPR第4条第12项）。",
                ),
                T(
                    "As processor you notify the controller without undue delay (Art. 33(2)); "
                    "the controller notifies the authority and the data subjects.",
                    "作为处理者，应毫不迟延地通知控制者（第33条第2款）；由控制者通知监管机构和数据主体。",
                ),
            ),
        )

    def _unintelligible_condition(self) -> Condition:
        return Condition(
            variable="data_unintelligible",
            op="==",
            value=False,
            text=T(
                "the data was readable to the recipient (not encrypted, or the key was exposed)",
                "数据对获取方可读（未加密，或密钥已泄露）",
            ),
        )

    def _gdpr_authority(self) -> Obligation:
        oid = ObligationId.GDPR_AUTHORITY
        gate, reasons = self._gdpr_gate()
        trigger: bool | None = gate
        exemptions: list[Exemption] = []
        exempt: bool | None = False
        conditions: tuple[Condition, ...] = ()
        if gate:
            unlikely = None if self.risk_some is None else not self.risk_some
            exemptions.append(
                Exemption(
                    ref=ref("GDPR 33(1)"),
                    applies=unlikely,
                    reason=T(
                        "No notification if the breach is unlikely to result in a risk to the "
                        "rights and freedoms of natural persons (e.g. data unintelligible and "
                        "the key not exposed); document the reasoning (Art. 33(5)).",
                        "个人数据泄露不太可能对自然人的权利和自由造成风险的（如数据不可读且密钥未泄露），"
                        "无需通知；须记录理由（第33条第5款）。",
                    ),
                )
            )
            exempt = unlikely
            if unlikely is None:
                conditions = (self._unintelligible_condition(),)
            reasons.append(
                T(
                    "Notify the lead supervisory authority without undue delay and within 72 "
                    "hours of becoming aware; if later, give the reasons for the delay. "
                    "Information may be provided in phases (Art. 33(4)).",
                    "应在知悉后毫不迟延地、至迟72小时内通知牵头监管机构；逾期须说明理由。信息可分阶段提供"
                    "（第33条第4款）。",
                )
            )
        clock = Clock(
            start=ClockStart.AWARENESS,
            hours=law.GDPR_SA_HOURS,
            timezone=self._gdpr_tz(),
        )
        status = _status(trigger, exempt)
        return self._timed(
            Obligation(
                id=oid,
                regime=Regime.GDPR,
                title=T("Notify the supervisory authority", "通知数据保护监管机构"),
                status=status,
                recipient=_recipient(
                    RecipientKind.AUTHORITY,
                    _authority(self.s, ("gdpr",)),
                    T(
                        "The lead supervisory authority (GDPR Art. 56)",
                        "牵头监管机构（GDPR第56条）",
                    ),
                    region="EU",
                ),
                clock=clock,
                refs=(ref("GDPR 33(1)"), ref("GDPR 33(3)"), ref("GDPR 33(4)")),
                content=GDPR_33_3,
                exemptions=tuple(exemptions),
                conditions=conditions if status is ObligationStatus.CONDITIONAL else (),
                reasons=tuple(reasons),
                notice=NoticeKind.AUTHORITY_REPORT,
                owner_role="dpo",
            )
        )

    def _gdpr_tz(self) -> str:
        a = _authority(self.s, ("gdpr",))
        return law.region_timezone(a.region if a else "EU")

    def _gdpr_subjects(self) -> Obligation:
        oid = ObligationId.GDPR_SUBJECTS
        gate, reasons = self._gdpr_gate()
        trigger: bool | None = gate
        exemptions: list[Exemption] = []
        exempt: bool | None = False
        conditions: list[Condition] = []
        public = False
        if gate:
            trigger = self.risk_high
            a = self.all_unintelligible
            b = self.i.risk_removed
            exemptions += [
                Exemption(
                    ref=ref("GDPR 34(3)(a)"),
                    applies=a,
                    reason=T(
                        "Not required if the data was rendered unintelligible to anyone not "
                        "authorised to access it, such as by encryption (and the key is safe).",
                        "已采取使数据对未经授权者不可读的措施（如加密且密钥安全）的，无需通知。",
                    ),
                ),
                Exemption(
                    ref=ref("GDPR 34(3)(b)"),
                    applies=b,
                    reason=T(
                        "Not required if later measures ensure the high risk is no longer likely "
                        "to materialise.",
                        "后续措施确保高风险不再可能发生的，无需通知。",
                    ),
                ),
                Exemption(
                    ref=ref("GDPR 34(3)(c)"),
                    applies=self.i.individual_notice_disproportionate,
                    reason=T(
                        "If individual notice would involve disproportionate effort, a public "
                        "communication of equal effect replaces it.",
                        "逐一通知需付出不成比例的努力的，以同等效果的公开通告代替。",
                    ),
                ),
            ]
            public = self.i.individual_notice_disproportionate
            exempt = any3([a, b])
            if self.risk_high is None:
                conditions.append(
                    Condition(
                        variable="high_risk",
                        op="==",
                        value=True,
                        text=T(
                            "the breach is likely to result in a high risk to individuals",
                            "泄露可能对个人造成高风险",
                        ),
                    )
                )
            if a is None and exempt is None:
                conditions.append(self._unintelligible_condition())
            if self.risk_high is False:
                reasons.append(
                    T(
                        "No high risk established: notify data subjects only if the assessment "
                        "changes (Art. 34(1)).",
                        "未认定高风险：仅在评估结论改变时通知数据主体（第34条第1款）。",
                    )
                )
            else:
                reasons.append(
                    T(
                        "High risk: communicate the breach to the data subjects without undue "
                        "delay, in clear and plain language (Art. 34(1)-(2)). No hour count; "
                        "guardrail schedules it with the authority notice.",
                        "高风险：应毫不迟延地以清晰平实的语言将泄露情况告知数据主体（第34条第1-2款）。法律"
                        "未规定小时数；guardrail将其与通知监管机构同步安排。",
                    )
                )
        clock = Clock(
            start=ClockStart.AWARENESS, timing=Timing.WITHOUT_UNDUE_DELAY, timezone=self._gdpr_tz()
        )
        status = _status(trigger, exempt)
        return self._timed(
            Obligation(
                id=oid,
                regime=Regime.GDPR,
                title=T("Communicate the breach to the data subjects", "告知受影响的数据主体"),
                status=status,
                recipient=Recipient(
                    kind=RecipientKind.PUBLIC if public else RecipientKind.INDIVIDUALS,
                    name=(
                        T(
                            "The public (a communication of equal effect)",
                            "公众（同等效果的公开通告）",
                        )
                        if public
                        else T("Affected data subjects", "受影响的数据主体")
                    ),
                    region="EU",
                    persons=self.gdpr_count,
                ),
                clock=clock,
                refs=(ref("GDPR 34(1)"), ref("GDPR 34(2)"), ref("GDPR 34(3)")),
                content=GDPR_34_2,
                exemptions=tuple(exemptions),
                conditions=tuple(conditions) if status is ObligationStatus.CONDITIONAL else (),
                reasons=tuple(reasons),
                notice=NoticeKind.SUBJECT_NOTICE,
                owner_role="communications",
            ),
            due_fallback=self.i.awareness + timedelta(hours=law.GDPR_SA_HOURS),
        )

    def _register(self) -> Obligation:
        oid = ObligationId.BREACH_REGISTER
        gate, reasons = self._gdpr_gate()
        if gate:
            reasons.append(
                T(
                    "Document the breach, its effects and the remedial action, whether or not "
                    "it is notified (Art. 33(5)).",
                    "无论是否通知，均须记录泄露事实、影响及补救措施（第33条第5款）。",
                )
            )
        clock = Clock(start=ClockStart.AWARENESS, timing=Timing.PROMPTLY, timezone="UTC")
        status = _status(gate)
        ir = self.s.incident_response
        where = ir.breach_register if ir and ir.breach_register else None
        return self._timed(
            Obligation(
                id=oid,
                regime=Regime.GDPR,
                title=T("Record the breach in the breach register", "在泄露事件登记簿中记录"),
                status=status,
                recipient=Recipient(
                    kind=RecipientKind.REGISTER,
                    name=T(where or "The breach register", where or "泄露事件登记簿"),
                    configured=where is not None,
                ),
                clock=clock,
                refs=(ref("GDPR 33(5)"),),
                reasons=tuple(reasons),
                owner_role="dpo",
            ),
            due_fallback=self.i.awareness + timedelta(hours=law.GDPR_SA_HOURS),
        )

    # ---- California ------------------------------------------------------------------------

    def _ca_elements(self) -> tuple[bool | None, bool | None, list[str]]:
        """(§1798.82(h) personal information involved, readable, elements) in three values."""
        items = self.d.data
        names = [x for x in items if x.entity in law.CA_NAME_ENTITIES or x.category == "user.name"]
        elements = [x for x in items if x.ca_element is not None]
        present: list[bool | None] = []
        readable: list[bool | None] = []
        found: list[str] = []
        for x in elements:
            with_name = x.ca_element == "(h)(2)" or bool(names)
            if not with_name:
                continue
            found.append(f"{x.entity} {x.ca_element}")
            present.append(True)
            if x.ca_element == "(h)(2)":
                readable.append(None if x.unintelligible is None else not x.unintelligible)
            else:
                # Both the element and a name must be readable ((a): unencrypted PI).
                name_readable = any3(
                    None if n.unintelligible is None else not n.unintelligible for n in names
                )
                elem = None if x.unintelligible is None else not x.unintelligible
                readable.append(all3([elem, name_readable]))
        if not self.d.complete:
            present.append(None)
            readable.append(None)
        return any3(present), any3(readable), found

    def _california(self) -> tuple[Obligation, Obligation]:
        i = self.i
        reasons: list[LocalizedText] = []
        exemptions: list[Exemption] = []
        conditions: list[Condition] = []
        sb446 = _local_date(i.discovered_at, law.TZ_CALIFORNIA) >= law.SB446_EFFECTIVE  # type: ignore[operator]
        present, readable, found = self._ca_elements()
        trigger: bool | None
        exempt: bool | None = False
        if not self.ccpa:
            trigger = False
            reasons.append(T("No California residents affected.", "未涉及加州居民。"))
        elif not self.breach:
            trigger = False
            reasons.append(
                T(
                    "No unauthorised acquisition of personal information (§1798.82(g)).",
                    "不存在未经授权获取个人信息的情形（第1798.82(g)条）。",
                )
            )
        elif not self.controller:
            trigger = False
            reasons.append(
                T(
                    "As a business maintaining data it does not own, notify the owner or "
                    "licensee immediately following discovery (§1798.82(b)).",
                    "作为代为保管他人数据的企业，应在发现后立即通知数据所有者或被许可人（第1798.82(b)条）。",
                )
            )
        else:
            trigger = present
            exempt = None if readable is None else not readable
            if present is False:
                reasons.append(
                    T(
                        "No data element of §1798.82(h) (a name with an SSN, ID, account or card "
                        "number, medical, insurance, biometric, genetic or plate data, or login "
                        "credentials) is involved.",
                        "不涉及第1798.82(h)条所列数据要素（姓名与社会安全号码、证件号、账户或卡号、医疗、"
                        "保险、生物识别、基因或车牌数据的组合，或登录凭证）。",
                    )
                )
            else:
                if found:
                    reasons.append(
                        T(
                            "Personal information under §1798.82(h) ⚠ is involved: "
                            + ", ".join(found)
                            + ".",
                            "涉及第1798.82(h)条⚠所定义的个人信息：" + "、".join(found) + "。",
                        )
                    )
                if present is None:
                    conditions.append(
                        Condition(
                            variable="ca_personal_information",
                            op="==",
                            value=True,
                            text=T(
                                "a name with an SSN, ID, account, card, medical or biometric "
                                "number, or login credentials, is involved (§1798.82(h))",
                                "涉及姓名与社会安全号码、证件号、账户、卡号、医疗或生物识别信息的组合，或登录凭证"
                                "（第1798.82(h)条）",
                            ),
                        )
                    )
                exemptions.append(
                    Exemption(
                        ref=ref("CAL-CIV 1798.82(a)?"),
                        applies=exempt,
                        reason=T(
                            "Safe harbour: only unencrypted personal information, or encrypted "
                            "personal information acquired together with the key, triggers notice.",
                            "安全港：仅未加密的个人信息，或连同密钥一并被获取的加密个人信息，才触发通知义务。",
                        ),
                    )
                )
                if exempt is None and present is not None:
                    conditions.append(self._unintelligible_condition())
                if sb446:
                    reasons.append(
                        T(
                            "Notify the residents in the most expedient time possible and within "
                            "30 calendar days of discovery (§1798.82(a) as amended by SB 446), "
                            "counted to 23:59 Pacific time; no holiday extension is applied.",
                            "应以最快方式、自发现起30个日历日内通知居民（经SB 446修订的第1798.82(a)条），"
                            "计至太平洋时间23:59；不因节假日顺延。",
                        )
                    )
                else:
                    reasons.append(
                        T(
                            "Discovered before 2026-01-01: notify in the most expedient time "
                            "possible and without unreasonable delay (no day count before SB 446).",
                            "发现于2026年1月1日之前：应以最快方式、无不合理延迟地通知（SB 446之前无天数规定）。",
                        )
                    )
                if i.law_enforcement_delay:
                    reasons.append(
                        T(
                            "A law enforcement agency asked for a delay (§1798.82(c)): notify as "
                            "soon as it determines notice no longer impedes the investigation, "
                            "and say so in the notice.",
                            "执法机关要求延迟通知（第1798.82(c)条）：在其确认通知不再妨碍调查后尽快通知，并在"
                            "通知中说明。",
                        )
                    )
        clock = _ca_clock(
            sb446, ClockStart.DISCOVERY, days=law.CA_RESIDENTS_DAYS, timing=Timing.MOST_EXPEDIENT
        )
        status = _status(trigger, exempt)
        ca_authority = _authority(self.s, ("ccpa", "ca_ag", "attorney_general"))
        residents = self._timed(
            Obligation(
                id=ObligationId.CA_RESIDENTS,
                regime=Regime.CCPA,
                title=T(
                    "Send the Notice of Data Breach to California residents",
                    "向加州居民发送数据泄露通知（Notice of Data Breach）",
                ),
                status=status,
                recipient=Recipient(
                    kind=RecipientKind.INDIVIDUALS,
                    name=T("Affected California residents", "受影响的加州居民"),
                    region="US-CA",
                    persons=self.ca_count,
                ),
                clock=clock,
                refs=(
                    ref("CAL-CIV 1798.82(a)?"),
                    ref("CAL-CIV 1798.82(d)?"),
                    ref("CAL-CIV 1798.82(h)?"),
                ),
                content=CA_82_D,
                exemptions=tuple(exemptions),
                conditions=tuple(conditions) if status is ObligationStatus.CONDITIONAL else (),
                reasons=tuple(reasons),
                notice=NoticeKind.CA_NOTICE,
                owner_role="communications",
                uncertain=True,
            )
        )
        # The Attorney General's sample copy.
        ag_reasons: list[LocalizedText] = []
        ag_conditions = list(conditions)
        ag_trigger: bool | None
        if status in (ObligationStatus.NOT_TRIGGERED, ObligationStatus.EXEMPT):
            ag_trigger = False
            ag_reasons.append(
                T(
                    "No resident notice is due, so no sample copy either.",
                    "无需通知居民，也无需提交样本。",
                )
            )
        else:
            over = None if self.ca_count is None else self.ca_count > law.CA_AG_MIN_RESIDENTS
            ag_trigger = all3([True if status is ObligationStatus.REQUIRED else None, over])
            if over is None:
                ag_conditions.append(
                    Condition(
                        variable="ca_residents",
                        op=">",
                        value=law.CA_AG_MIN_RESIDENTS,
                        text=T(
                            "more than 500 California residents affected",
                            "受影响的加州居民超过500人",
                        ),
                    )
                )
            if over is False:
                ag_reasons.append(
                    T(
                        "500 California residents or fewer: no sample copy to the Attorney General.",
                        "加州居民不超过500人：无需向总检察长提交样本。",
                    )
                )
            elif sb446:
                ag_reasons.append(
                    T(
                        "More than 500 residents: submit one sample copy of the resident notice to "
                        "the Attorney General within 15 calendar days of notifying the residents "
                        "(§1798.82(f) as amended by SB 446). Until the residents are notified the "
                        "deadline shown is the latest possible one.",
                        "超过500名居民：自通知居民起15个日历日内向总检察长电子提交一份通知样本（经SB 446修订的"
                        "第1798.82(f)条）。在通知居民之前，所示期限为最晚可能期限。",
                    )
                )
            else:
                ag_reasons.append(
                    T(
                        "More than 500 residents: submit one sample copy of the notice to the "
                        "Attorney General electronically (§1798.82(f); no day count before SB 446).",
                        "超过500名居民：向总检察长电子提交一份通知样本（第1798.82(f)条；SB 446之前无天数规定）。",
                    )
                )
        ag_clock = _ca_clock(
            sb446,
            ClockStart.AFTER,
            after=ObligationId.CA_RESIDENTS,
            days=law.CA_AG_DAYS,
            timing=Timing.PROMPTLY,
        )
        ag_status = _status(ag_trigger)
        ag = self._timed(
            Obligation(
                id=ObligationId.CA_ATTORNEY_GENERAL,
                regime=Regime.CCPA,
                title=T(
                    "Submit a sample copy of the notice to the California Attorney General",
                    "向加州总检察长提交通知样本",
                ),
                status=ag_status,
                recipient=_recipient(
                    RecipientKind.ATTORNEY_GENERAL,
                    ca_authority,
                    T("California Attorney General", "加州总检察长"),
                    region="US-CA",
                ),
                clock=ag_clock,
                refs=(ref("CAL-CIV 1798.82(f)?"),),
                content=CA_82_D[:1],
                conditions=tuple(ag_conditions)
                if ag_status is ObligationStatus.CONDITIONAL
                else (),
                reasons=tuple(ag_reasons),
                notice=NoticeKind.CA_NOTICE,
                owner_role="legal",
                uncertain=True,
            )
        )
        if ag.status.active and ag.deadline is None and residents.deadline is not None and sb446:
            latest = deadline_of(residents.deadline, ag_clock)
            ag = ag.model_copy(
                update={"start_at": residents.deadline, "deadline": latest, "due": latest}
            )
        return residents, ag

    # ---- processor -------------------------------------------------------------------------

    def _processor(self) -> Obligation:
        oid = ObligationId.PROCESSOR_TO_CONTROLLER
        i = self.i
        reasons: list[LocalizedText] = []
        refs: list[ArticleRef] = []
        if i.role == "processor" and self.breach:
            trigger = True
            if self.gdpr:
                refs.append(ref("GDPR 33(2)"))
            if self.ccpa:
                refs.append(ref("CAL-CIV 1798.82(b)?"))
            if self.pipl:
                refs.append(ref("PIPL 21"))
                refs.append(ref("PIPL 59?"))
            reasons.append(
                T(
                    "You process this data on behalf of a controller: notify it without undue "
                    "delay (GDPR Art. 33(2)), immediately following discovery for California "
                    "data (§1798.82(b)), and assist it with its own notices (PIPL Arts. 21, 59).",
                    "你方受托代为处理该数据：应毫不迟延地通知控制者（GDPR第33条第2款），涉及加州数据的应在"
                    "发现后立即通知（第1798.82(b)条），并协助其履行通知义务（PIPL第21、59条）。",
                )
            )
        else:
            trigger = False
            reasons.append(
                T(
                    "The organisation is the controller of the affected data."
                    if i.role == "controller"
                    else "Not a personal-data breach.",
                    "本组织是受影响数据的控制者（个人信息处理者）。"
                    if i.role == "controller"
                    else "不属于个人数据泄露。",
                )
            )
        clock = Clock(start=ClockStart.DISCOVERY, timing=Timing.IMMEDIATELY, timezone="UTC")
        status = _status(trigger)
        return self._timed(
            Obligation(
                id=oid,
                regime=Regime.GDPR
                if self.gdpr or not (self.pipl or self.ccpa)
                else (Regime.PIPL if self.pipl else Regime.CCPA),
                title=T("Notify the controller", "通知控制者（委托方）"),
                status=status,
                recipient=Recipient(
                    kind=RecipientKind.CONTROLLER,
                    name=T(i.controller or "The controller", i.controller or "控制者（委托方）"),
                    configured=i.controller is not None,
                ),
                clock=clock,
                refs=tuple(refs) or (ref("GDPR 33(2)"),),
                content=PROCESSOR,
                reasons=tuple(reasons),
                notice=NoticeKind.PROCESSOR_NOTICE,
                owner_role="legal",
            )
        )

    # ---- unknowns --------------------------------------------------------------------------

    def _collect_unknowns(self, obligations: list[Obligation], major: bool | None) -> None:
        active = {o.id for o in obligations if o.status.active}

        def add(uid: str, en: str, zh: str, affects: tuple[ObligationId, ...]) -> None:
            hit = tuple(a for a in affects if a in active)
            if hit or not affects:
                self.unknowns.append(Unknown(id=uid, text=T(en, zh), affects=hit))

        i = self.i
        uncounted = sorted(r for r, v in i.persons.by_region.items() if v is None)
        if uncounted:
            add(
                "persons-uncounted",
                "How many persons are affected in " + ", ".join(uncounted) + "?",
                "以下地区受影响人数尚未统计：" + "、".join(uncounted) + "。",
                (
                    ObligationId.IRM_REPORT,
                    ObligationId.IRM_SUMMARY,
                    ObligationId.CA_ATTORNEY_GENERAL,
                    ObligationId.GDPR_AUTHORITY,
                    ObligationId.PIPL_INDIVIDUALS,
                    ObligationId.GDPR_SUBJECTS,
                    ObligationId.CA_RESIDENTS,
                ),
            )
        if not i.persons.by_region and self.breach:
            add(
                "persons-regions",
                "Where do the affected persons live? List them by region under persons.by_region.",
                "受影响的个人分布在哪些地区？请在 persons.by_region 中按地区列出。",
                (),
            )
        if any(x.unintelligible is None for x in self.d.data):
            add(
                "key-exposure",
                "Was the encryption key (or token vault) exposed together with the data?",
                "加密密钥（或令牌库）是否随数据一并泄露？",
                (
                    ObligationId.GDPR_AUTHORITY,
                    ObligationId.GDPR_SUBJECTS,
                    ObligationId.CA_RESIDENTS,
                    ObligationId.CA_ATTORNEY_GENERAL,
                ),
            )
        for key in self.d.undeclared:
            add(
                f"data-{key}",
                f"What personal data does '{key}' hold? It declares no fields: run "
                "'guardrail audit' and pass its report (--report), or declare the fields.",
                f"“{key}”包含哪些个人信息？该数据集未声明字段：请运行 guardrail audit 并通过 --report "
                "传入报告，或在清单中声明字段。",
                (
                    ObligationId.CA_RESIDENTS,
                    ObligationId.GDPR_SUBJECTS,
                    ObligationId.GDPR_AUTHORITY,
                ),
            )
        if not i.data.complete:
            add(
                "data-scope",
                "Is the list of affected data complete? Scoping is still open.",
                "受影响数据清单是否完整？范围仍在核查中。",
                (
                    ObligationId.CA_RESIDENTS,
                    ObligationId.GDPR_SUBJECTS,
                    ObligationId.GDPR_AUTHORITY,
                ),
            )
        if not self.d.data and not self.d.undeclared and self.breach:
            add(
                "data-none",
                "Which systems, datasets or data were affected? The incident names none.",
                "哪些系统、数据集或数据受到影响？事件未列明。",
                (),
            )
        if self.minors is None:
            add(
                "minors",
                "Are minors (under 14 in the PRC) among the affected persons?",
                "受影响者中是否有未成年人（中国：不满14周岁）？",
                (ObligationId.MINORS_GUARDIANS,),
            )
        if i.handling_ended_at is None:
            add(
                "handling-end",
                "When will handling of the incident end? The 30-day summary runs from then.",
                "事件处置何时结束？30日总结报告期限自处置结束起算。",
                (ObligationId.IRM_SUMMARY,),
            )
        if major is False and self.prc_operator and self.breach:
            add(
                "irm-other-criteria",
                "Do the grading guide's other criteria (systems, services, economic loss ⚠) "
                "make the incident 较大 or worse?",
                "分级指南的其他标准（系统、业务、经济损失⚠）是否使事件达到较大级及以上？",
                (),
            )
        if i.occurred_from is None:
            add(
                "breach-dates",
                "When did the breach happen (date, estimate or range)? The notices must say.",
                "泄露何时发生（日期、估计日期或日期范围）？通知中须说明。",
                (ObligationId.CA_RESIDENTS, ObligationId.GDPR_AUTHORITY, ObligationId.IRM_REPORT),
            )
        if self.risk_high is None:
            add(
                "risk",
                "Is the breach likely to result in a high risk to individuals? Record the "
                "assessment as 'risk' and 'risk_reason'.",
                "泄露是否可能对个人造成高风险？请将评估结论记录在 risk 和 risk_reason 中。",
                (ObligationId.GDPR_SUBJECTS,),
            )
        if ObligationId.CA_RESIDENTS.value not in i.sent:
            add(
                "ca-notice-date",
                "When will the California residents be notified? The Attorney General's 15 days "
                "run from then.",
                "何时通知加州居民？向总检察长提交样本的15日期限自该日起算。",
                (ObligationId.CA_ATTORNEY_GENERAL,),
            )
        for o in obligations:
            if (
                o.status.active
                and o.recipient.kind
                in (
                    RecipientKind.AUTHORITY,
                    RecipientKind.ATTORNEY_GENERAL,
                )
                and not o.recipient.configured
            ):
                role = {
                    Regime.PIPL: "pipl",
                    Regime.GDPR: "gdpr",
                    Regime.CCPA: "ccpa",
                }[o.regime]
                add(
                    f"authority-{o.id.value}",
                    f"Who is the recipient of '{o.title.en}'? Add it to "
                    f"incident_response.authorities (role: {role}).",
                    f"“{o.title.zh}”的接收方是谁？请在 incident_response.authorities 中添加（role: {role}）。",
                    (o.id,),
                )


_RISK_ZH = {RiskLevel.UNLIKELY: "不太可能", RiskLevel.RISK: "存在风险", RiskLevel.HIGH: "高风险"}
_TYPE_ZH = {
    IncidentType.EXFILTRATION: "数据泄露",
    IncidentType.RANSOMWARE: "勒索软件",
    IncidentType.UNAUTHORISED_ACCESS: "未授权访问",
    IncidentType.LOST_DEVICE: "设备丢失",
    IncidentType.MISDIRECTED: "误发",
    IncidentType.VENDOR_BREACH: "受托方事件",
    IncidentType.UNLAWFUL_TRANSFER: "违规提供或出境",
    IncidentType.CONSENT_VIOLATION: "超出同意范围处理",
}
