"""Automated control checks, by name.

Built-in checks are listed explicitly here (no import-time self-registration); plugins add
checks through the ``guardrail.checks`` entry-point group.
"""

from __future__ import annotations

from guardrail import plugins
from guardrail.audit.checks import (
    consent,
    data,
    governance,
    incidents,
    inventory,
    retention,
    rights,
    security,
    transfers,
    transparency,
    vendors,
)
from guardrail.audit.checks.base import CheckContext, CheckFn, Outcome
from guardrail.errors import PluginError

__all__ = ["BUILTIN_CHECKS", "CheckContext", "CheckFn", "Outcome", "resolve_check"]

BUILTIN_CHECKS: dict[str, CheckFn] = {
    "inventory_matches_data": inventory.inventory_matches_data,
    "pi_fields_labelled": inventory.pi_fields_labelled,
    "sensitive_pi_encrypted": data.sensitive_pi_encrypted,
    "tls_endpoints": security.tls_endpoints,
    "analytics_pseudonymised": security.analytics_pseudonymised,
    "no_pii_in_logs": data.no_pii_in_logs,
    "display_masking": security.display_masking,
    "notice_complete": transparency.notice_complete,
    "lawful_basis_recorded": transparency.lawful_basis_recorded,
    "consent_records_complete": consent.consent_records_complete,
    "separate_consent_captured": consent.separate_consent_captured,
    "withdrawal_propagated": consent.withdrawal_propagated,
    "minors_protected": consent.minors_protected,
    "opt_out_links": transparency.opt_out_links,
    "gpc_honoured": consent.gpc_honoured,
    "dsar_process": rights.dsar_process,
    "account_cancellation": rights.account_cancellation,
    "portable_export": rights.portable_export,
    "retention_defined_and_enforced": retention.retention_defined_and_enforced,
    "data_minimisation": transparency.data_minimisation,
    "processor_contracts": vendors.processor_contracts,
    "recipients_disclosed": transparency.recipients_disclosed,
    "transfer_counters": vendors.transfer_counters,
    "prc_outbound_mechanism": transfers.prc_outbound_mechanism,
    "eu_transfer_safeguards": transfers.eu_transfer_safeguards,
    "impact_assessments": governance.impact_assessments,
    "protection_officer_designated": governance.protection_officer_designated,
    "audit_cadence": governance.audit_cadence,
    "incident_plan_drilled": incidents.incident_plan_drilled,
    "breach_playbook_clocks": incidents.breach_playbook_clocks,
    "breach_notice_templates": incidents.breach_notice_templates,
    "breach_register": incidents.breach_register,
    "automated_decisions": governance.automated_decisions,
    "rights_propagated": consent.rights_propagated,
    "large_volume_governance": governance.large_volume_governance,
    "dsar_records_retained": rights.dsar_records_retained,
    "data_localisation": security.data_localisation,
}


def resolve_check(name: str) -> CheckFn:
    if name in BUILTIN_CHECKS:
        return BUILTIN_CHECKS[name]
    fn = plugins.load("guardrail.checks", name)
    if not callable(fn):
        raise PluginError(f"check '{name}' is not callable", hint="register a function")
    checked: CheckFn = fn
    return checked
