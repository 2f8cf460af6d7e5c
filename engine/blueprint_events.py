"""The event types a plan's integration subscribes to: what fills the event destination's ``enabled_events``.

The catalogs say *that* the integration listens to events (the ``webhooks`` step), not *which*: that
follows from what the plan chose. :data:`EVENT_GROUPS` is the table: each group names the active
steps or chosen options (``property.option``) that call for it, the v1 event types (snapshot names,
``payment_intent.succeeded``) and the v2 thin event types (``v2.core.account[requirements].updated``)
it adds, and the Stripe page documenting them. Event types are checked against the pinned ``stripe``
package by :func:`connectplan.stripe_api.check_request` (the v1 webhook endpoint's ``enabled_events``
enum; the event destination's thin and snapshot event types), so a misspelt type fails the suite.

How the types land on the requests (:func:`enabled_events`):

- ``POST /v1/webhook_endpoints`` (and an event destination with ``event_payload = snapshot``) gets the
  v1 types, as they are;
- an event destination with ``event_payload = thin`` gets the v2 types, and when no request of the
  blueprint receives the v1 types as snapshots, their thin versions (``v1.`` prefix:
  ``v1.payment_intent.succeeded``), generally available since API version :data:`V1_THIN_EVENTS_SINCE`
  (https://docs.stripe.com/changelog/endive/2026-09-30/thin-events-for-api-v1-resources-generally-available).

>>> g = EventGroup(("charge_type.direct",), ("payment_intent.succeeded",), (), "https://docs.stripe.com/connect/direct-charges")
>>> g.applies({"charge_type.direct"}), g.applies({"charge_type.separate"})
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectplan.engine.resolution import Resolution

__all__ = ["EVENT_GROUPS", "V1_THIN_EVENTS_SINCE", "EventGroup", "PlanEvents", "enabled_events", "plan_events"]

#: The API version from which thin versions of v1 events (``v1.`` prefix) are generally available.
V1_THIN_EVENTS_SINCE = "2026-09-30.endive"


@dataclass(frozen=True)
class EventGroup:
    """Event types called for when any of ``when`` (a step id, or ``property.option`` chosen) holds."""

    when: tuple[str, ...]
    v1: tuple[str, ...]
    v2: tuple[str, ...]
    url: str

    def applies(self, facts: set[str]) -> bool:
        return any(w in facts for w in self.when)


_CHARGES = (
    "direct_charges_connected_account_pays_fees",
    "direct_charges_platform_pays_fees",
    "destination_charges",
    "separate_charges_and_transfers",
)
_REFUNDS = ("direct_refunds_and_disputes", "destination_refunds_and_disputes", "separate_refunds_and_disputes")

#: Which plan choices call for which event types (keys: step ids of the built-in catalogs, or
#: ``property.option``), with the Stripe page for each group.
EVENT_GROUPS: tuple[EventGroup, ...] = (
    # Accounts v1: the account's requirements and capabilities change (https://docs.stripe.com/connect/webhooks)
    EventGroup(
        ("create_accounts_v1_controller",),
        ("account.updated", "capability.updated"),
        (),
        "https://docs.stripe.com/connect/webhooks",
    ),
    # Accounts v2: thin events on the account and its configurations
    EventGroup(
        ("create_accounts_v2", "create_recipient_agreement_accounts", "create_local_merchant_accounts"),
        (),
        ("v2.core.account.updated", "v2.core.account[requirements].updated"),
        "https://docs.stripe.com/api/v2/core/events/event-types",
    ),
    EventGroup(
        ("add_merchant_configuration",),
        (),
        ("v2.core.account[configuration.merchant].capability_status_updated",),
        "https://docs.stripe.com/api/v2/core/events/event-types",
    ),
    EventGroup(
        ("add_recipient_configuration",),
        (),
        ("v2.core.account[configuration.recipient].capability_status_updated",),
        "https://docs.stripe.com/api/v2/core/events/event-types",
    ),
    EventGroup(
        ("add_customer_configuration",),
        (),
        ("v2.core.account[configuration.customer].capability_status_updated",),
        "https://docs.stripe.com/api/v2/core/events/event-types",
    ),
    # the charge, whatever its type (https://docs.stripe.com/payments/payment-intents/verifying-status)
    EventGroup(
        _CHARGES,
        ("payment_intent.payment_failed", "payment_intent.succeeded"),
        (),
        "https://docs.stripe.com/payments/payment-intents/verifying-status",
    ),
    # the application fee of a direct charge
    EventGroup(
        ("fees_direct_application_fee",),
        ("application_fee.created", "application_fee.refunded"),
        (),
        "https://docs.stripe.com/connect/direct-charges",
    ),
    # transfers the platform makes itself: separate charges and transfers, top-ups from its balance
    EventGroup(
        ("separate_charges_and_transfers", "fund_transfers_from_platform_balance"),
        ("transfer.created", "transfer.reversed"),
        (),
        "https://docs.stripe.com/connect/separate-charges-and-transfers",
    ),
    # refunds and disputes of the plan's charges
    EventGroup(
        _REFUNDS,
        ("charge.dispute.closed", "charge.dispute.created", "charge.refunded"),
        (),
        "https://docs.stripe.com/disputes",
    ),
    # the platform is liable for negative balances: it covers dispute debits
    EventGroup(
        ("platform_negative_balance_liability", "liability.platform"),
        ("charge.dispute.created", "charge.dispute.funds_reinstated", "charge.dispute.funds_withdrawn"),
        (),
        "https://docs.stripe.com/connect/risk-management",
    ),
    # payouts to the connected accounts' external accounts
    EventGroup(
        ("control_payouts", "run_manual_payouts"),
        ("payout.failed", "payout.paid"),
        (),
        "https://docs.stripe.com/connect/payouts-connected-accounts",
    ),
    # Instant Payouts draw on the available balance
    EventGroup(
        ("offer_instant_payouts", "instant_payouts.offered_no_markup", "instant_payouts.offered_with_markup"),
        ("balance.available", "payout.failed", "payout.paid"),
        (),
        "https://docs.stripe.com/connect/instant-payouts",
    ),
    # SaaS subscriptions billed to the connected accounts, and subscriptions or invoices they sell
    EventGroup(
        ("bill_saas_subscriptions", "monetization.saas_subscriptions", "customer_products.billing_subscriptions"),
        (
            "customer.subscription.created",
            "customer.subscription.deleted",
            "customer.subscription.updated",
            "invoice.paid",
            "invoice.payment_failed",
        ),
        (),
        "https://docs.stripe.com/billing/subscriptions/webhooks",
    ),
    EventGroup(
        ("customer_products.invoicing",),
        ("invoice.paid", "invoice.payment_failed"),
        (),
        "https://docs.stripe.com/invoicing/integration/workflow-transitions",
    ),
)


@dataclass(frozen=True)
class PlanEvents:
    """The v1 and v2 event types a plan needs (each sorted, no duplicates) and the groups they come from."""

    v1: tuple[str, ...]
    v2: tuple[str, ...]
    groups: tuple[EventGroup, ...]


def plan_events(res: Resolution) -> PlanEvents:
    """The event types the integration of ``res`` subscribes to: those of every group its active
    steps or chosen options call for."""
    facts = {a.step.id for a in res.steps}
    for prop_id, value in res.selection:
        facts.update(f"{prop_id}.{o}" for o in ((value,) if isinstance(value, str) else value))
    groups = tuple(g for g in EVENT_GROUPS if g.applies(facts))
    return PlanEvents(
        tuple(sorted({e for g in groups for e in g.v1})), tuple(sorted({e for g in groups for e in g.v2})), groups
    )


def enabled_events(events: PlanEvents, *, snapshot: bool, v1_elsewhere: bool) -> tuple[str, ...]:
    """The ``enabled_events`` of one request: ``snapshot`` (a v1 webhook endpoint or a snapshot event
    destination) takes the v1 types; a thin destination the v2 types, and the thin versions of the
    v1 types unless ``v1_elsewhere`` (another request receives them as snapshots).

    >>> ev = PlanEvents(("payout.paid",), ("v2.core.account.updated",), ())
    >>> enabled_events(ev, snapshot=True, v1_elsewhere=False)
    ('payout.paid',)
    >>> enabled_events(ev, snapshot=False, v1_elsewhere=False)
    ('v1.payout.paid', 'v2.core.account.updated')
    >>> enabled_events(ev, snapshot=False, v1_elsewhere=True)
    ('v2.core.account.updated',)
    """
    if snapshot:
        return events.v1
    thin = () if v1_elsewhere else tuple(f"v1.{e}" for e in events.v1)
    return tuple(sorted((*thin, *events.v2)))
