"""Checking a platform's connected accounts against a plan, through the official ``stripe`` package.

:func:`verify_accounts` lists the accounts with a caller's ``stripe.StripeClient`` and compares each
with what the plan requires (:mod:`connectplan.engine.drift`):

- a ``v2`` plan (an active step creates accounts with ``POST /v2/core/accounts``): the accounts
  are listed with ``client.v2.core.accounts.list`` (auto-paging follows ``next_page_url``) and each
  is read again with ``client.v2.core.accounts.retrieve(id, {"include": [...]})``, since the list
  request takes no ``include`` in stripe 16.1.0: the configurations, ``defaults`` and
  ``requirements`` come only with it. When the plan sets payout settings, each account's Balance
  Settings are read too (``client.v1.balance_settings.retrieve`` with ``stripe_account``);
- a ``v1`` plan (the 2024 edition, controller properties): ``client.v1.accounts.list`` (auto-paging
  by ``starting_after``), whose account objects carry ``controller``, ``capabilities`` and
  ``settings.payouts``.

``stripe`` is imported only here and only when a client is made or an error is translated
(the command line's start-up stays light). Rate limits, dropped connections and server errors
are retried by the SDK itself (:data:`MAX_NETWORK_RETRIES`, its exponential backoff); what is
left is one :class:`~connectplan.errors.AppError` with a kind: a refused key or a missing
permission is bad input (exit 2), an unreachable or failing Stripe is unavailable (exit 3).

The key comes from the environment (:data:`KEY_ENV`) or a file (:func:`read_api_key`), never from
the command line, and is never part of a message. :data:`API_BASE_ENV` points the client at
another address: it exists for the test suite's local server and is not a user setting.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from connectplan.engine.drift import (
    DRIFT,
    MATCH,
    OBJECT_TYPES,
    UNKNOWN,
    AccountCheck,
    AccountExpectations,
    account_expectations,
    compare_account,
)
from connectplan.engine.errors import INVALID, NOT_FOUND, UNAVAILABLE
from connectplan.errors import AppError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    import stripe
    from stripe.params.v2.core import AccountRetrieveParams

    from connectplan.engine import Resolution

__all__ = [
    "API_BASE_ENV",
    "KEY_ENV",
    "MAX_NETWORK_RETRIES",
    "VerifyReport",
    "api_key",
    "make_client",
    "read_api_key",
    "verify_accounts",
]

#: where the key is read from when no ``--api-key-file`` is given
KEY_ENV = "STRIPE_API_KEY"
#: for the test suite only: the base address (``http://127.0.0.1:PORT``) the client talks to
API_BASE_ENV = "CONNECTPLAN_STRIPE_API_BASE"
#: how often the SDK retries a rate-limited, failed or dropped request (with its backoff; :func:`_http_client`)
MAX_NETWORK_RETRIES = 3
#: what a v2 account is read with (every ``include`` value of stripe 16.1.0's AccountRetrieveParams
#: that the comparison reads)
V2_INCLUDE = ("configuration.customer", "configuration.merchant", "configuration.recipient", "defaults", "requirements")
LIVE_PREFIXES = ("sk_live_", "rk_live_")
#: accounts asked for a page: v1 lists take 1 to 100; v2 lists state no maximum in the SDK's types,
#: so a modest page every v2 list accepts (the SDK's auto-paging follows next_page_url either way)
PAGE_SIZE = {"v1": 100, "v2": 20}
INSTALL_HINT = "pip install 'connectplan[stripe]'"


@dataclass(frozen=True)
class VerifyReport:
    """The accounts of a platform compared with a plan version; ``checks`` sorted by account id."""

    ref: str
    catalog: str
    expectations: AccountExpectations
    checks: tuple[AccountCheck, ...]

    @property
    def counts(self) -> dict[str, int]:
        """How many accounts were checked, and how many match, drift or cannot be judged."""
        statuses = [c.status for c in self.checks]
        return {"accounts": len(statuses), **{s: statuses.count(s) for s in (MATCH, DRIFT, UNKNOWN)}}

    @property
    def drifted(self) -> bool:
        """True when any account drifts from the plan."""
        return any(c.status == DRIFT for c in self.checks)


def _stripe() -> Any:
    try:
        import stripe
    except ImportError:
        raise AppError(
            f"verify needs the official stripe package, which is not installed; {INSTALL_HINT}", kind=UNAVAILABLE
        ) from None
    return stripe


def api_key(*, key_file: str | None, live: bool, environ: dict[str, str] | None = None) -> str:
    """The Stripe key from ``key_file`` or :data:`KEY_ENV`; a live-mode key only with ``live``."""
    env = os.environ if environ is None else environ
    key = read_api_key(key_file) if key_file else env.get(KEY_ENV, "").strip()
    if not key:
        raise AppError(
            f"no Stripe API key: set {KEY_ENV} or pass --api-key-file FILE "
            "(a restricted key that can read accounts is enough)",
            field="api_key",
        )
    if key.startswith(LIVE_PREFIXES) and not live:
        raise AppError("the Stripe API key is a live-mode key; pass --live to check live accounts", field="live")
    return key


def read_api_key(path: str) -> str:
    """The key kept in ``path`` (its first line, surrounding blanks dropped)."""
    try:
        with open(path, encoding="utf-8") as f:
            key = f.readline().strip()
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not readable text"
        raise AppError(f"cannot read the API key file {path}: {why.lower()}; name a readable file") from None
    if not key:
        raise AppError(f"the API key file {path} is empty; write the key on its first line")
    return key


def make_client(key: str, *, base: str | None = None) -> stripe.StripeClient:
    """A ``stripe.StripeClient`` for ``key`` that retries with the SDK's backoff; ``base`` (or
    :data:`API_BASE_ENV`, for tests) replaces the API address."""
    stripe = _stripe()
    base = base or os.environ.get(API_BASE_ENV) or None
    addresses = {"api": base} if base else None
    return stripe.StripeClient(
        key, base_addresses=addresses, max_network_retries=MAX_NETWORK_RETRIES, http_client=_http_client(stripe)
    )


def _http_client(stripe: Any) -> Any:
    """The SDK's default HTTP client, retrying a rate-limited request too (HTTP 429).

    stripe-python retries connection errors, 409 and 5xx with its exponential backoff, and a 429 only
    when Stripe's ``Stripe-Should-Retry: true`` header asks for it. A drift check reads every account
    (two or three requests each) and can meet Stripe's read rate limit, so this client also retries
    a 429 through the same machinery and backoff (``HTTPClient._should_retry`` of stripe 16.1.0,
    the pinned version), unless Stripe says ``Stripe-Should-Retry: false``.
    """
    default: Any = type(stripe.new_default_http_client())

    class RateLimitRetrying(default):  # type: ignore[misc, valid-type]
        def _should_retry(
            self, response: Any, api_connection_error: Any, num_retries: int, max_network_retries: int | None
        ) -> bool:
            if response is not None and response[1] == 429:
                headers = response[2] or {}
                asked = headers.get("stripe-should-retry") if hasattr(headers, "get") else None
                return asked != "false" and num_retries < (max_network_retries or 0)
            retry: bool = super()._should_retry(response, api_connection_error, num_retries, max_network_retries)
            return retry

    return RateLimitRetrying()


def verify_accounts(
    res: Resolution,
    client: stripe.StripeClient,
    *,
    ref: str,
    limit: int | None = None,
    account: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Compare the platform's connected accounts (at most ``limit``, or only ``account``) with the plan.

    ``progress`` is called with the number of accounts checked so far, after each one.

    Raises
    ------
    AppError
        The plan creates no accounts (invalid input); Stripe refused the key or the permission
        (invalid input); no such ``account`` (not found); Stripe unreachable, failing or still
        rate-limiting after the SDK's retries (unavailable); ``stripe`` not installed (unavailable).
    """
    expected = account_expectations(res)
    catalog = f"{res.catalog.name}@{res.catalog.edition}"
    if expected is None:
        raise AppError(f"{ref} ({catalog}) has no step that creates connected accounts; there is nothing to verify")
    if limit is not None and limit < 1:
        raise AppError(f"--limit must be at least 1, not {limit}", field="limit")
    checks: list[AccountCheck] = []
    try:
        for doc in _accounts(client, expected, limit=limit, account=account):
            checks.append(compare_account(doc, expected))
            if progress is not None:
                progress(len(checks))
    except Exception as exc:
        stripe = sys.modules.get("stripe")
        if stripe is None or not isinstance(exc, stripe.StripeError):
            raise
        raise _translate(exc, stripe, account) from None
    checks.sort(key=lambda c: c.account)
    return VerifyReport(ref, catalog, expected, tuple(checks))


def _accounts(
    client: stripe.StripeClient, expected: AccountExpectations, *, limit: int | None, account: str | None
) -> Iterator[Any]:
    """The account documents (plain mappings in Stripe's response shape) to compare."""
    size = min(limit or PAGE_SIZE[expected.api], PAGE_SIZE[expected.api])
    if expected.api == "v1":
        if account:
            yield _plain(client.v1.accounts.retrieve(account))
            return
        yield from _first(_plain(a) for a in client.v1.accounts.list({"limit": size}).auto_paging_iter())(limit)
        return
    listed = () if account else client.v2.core.accounts.list({"limit": size}).auto_paging_iter()
    ids: Iterable[str] = [account] if account else (a.id for a in listed)
    for ident in _first(ids)(limit):
        doc = _plain(
            client.v2.core.accounts.retrieve(ident, cast("AccountRetrieveParams", {"include": list(V2_INCLUDE)}))
        )
        if expected.needs_balance_settings and isinstance(doc, dict) and doc.get("object") == OBJECT_TYPES["v2"]:
            settings = client.v1.balance_settings.retrieve(options={"stripe_account": ident})
            doc["balance_settings"] = _plain(settings)
        yield doc


def _first(items: Iterable[Any]) -> Callable[[int | None], Iterator[Any]]:
    def take(limit: int | None) -> Iterator[Any]:
        for n, item in enumerate(items):
            if limit is not None and n >= limit:
                return
            yield item

    return take


def _plain(obj: Any) -> Any:
    """A response object as plain data (what the comparison reads)."""
    to_dict = getattr(obj, "to_dict", None)
    return to_dict() if callable(to_dict) else obj


def _translate(exc: Exception, stripe: Any, account: str | None) -> AppError:
    """A ``stripe`` error as one line with a kind; never with the key, nor the server's own words."""
    status = getattr(exc, "http_status", None)
    if isinstance(exc, stripe.AuthenticationError):
        return AppError(
            f"Stripe refused the API key (HTTP {status or 401}); check {KEY_ENV} or --api-key-file", kind=INVALID
        )
    if isinstance(exc, stripe.PermissionError):
        return AppError(
            f"the API key may not read connected accounts (HTTP {status or 403}); "
            "use a secret key or a restricted key with read access to Connect accounts",
            kind=INVALID,
        )
    if isinstance(exc, stripe.InvalidRequestError) and status == 404 and account:
        return AppError(f"Stripe has no connected account {account!r} on this platform (HTTP 404)", kind=NOT_FOUND)
    retries = f"after {MAX_NETWORK_RETRIES} retries"
    if isinstance(exc, stripe.RateLimitError):
        return AppError(f"Stripe is still rate-limiting {retries} (HTTP 429); try again later", kind=UNAVAILABLE)
    if isinstance(exc, stripe.APIConnectionError):
        return AppError(
            f"cannot reach Stripe {retries} (connection failed); check the network and retry", kind=UNAVAILABLE
        )
    what = f"HTTP {status}" if status else type(exc).__name__
    if status and status < 500:
        return AppError(f"Stripe refused the request ({what}); check the key's account and the plan", kind=INVALID)
    return AppError(f"Stripe answered with an error {retries} ({what}); try again later", kind=UNAVAILABLE)
