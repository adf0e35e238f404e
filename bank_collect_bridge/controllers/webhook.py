import hashlib
import logging
from datetime import datetime, timedelta, timezone

from odoo import fields, http
from odoo.http import request

from ..bridge import webhook as bridge_webhook
from ..bridge.const import SIGNATURE_HEADER
from ..models.bank_collect_webhook_event import EVENT_FRESHNESS

_logger = logging.getLogger(__name__)

REFUSAL_LOG_INTERVAL = timedelta(minutes=1)
# Clocks differ a little: an event dated slightly ahead of ours is accepted.
CLOCK_TOLERANCE = timedelta(minutes=5)


def _event_date(timestamp):
    """Naive UTC datetime of an event's timestamp (seconds), None when absent or unreadable."""
    if isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(timestamp, tz=timezone.utc).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None


class BankCollectWebhook(http.Controller):
    """Bridge's events (BC-15): the signature is checked against the raw body, stale events are
    refused, the event is queued for the providers that know its connection, accounts or user,
    and the collection job is triggered; the answer is immediate. The request writes no row a
    running collection locks: it never waits for one."""

    def _answer(self, status, text):
        return request.make_response(text, headers=[("Content-Type", "text/plain")], status=status)

    def _log_refusal(self, detail, company=None):
        """One entry a minute per address: refused calls in a loop must not fill the log table."""
        Log = request.env["bank.collect.log"].sudo()
        remote_addr = request.httprequest.remote_addr
        if Log._webhook_refusal_logged_since(remote_addr, REFUSAL_LOG_INTERVAL):
            _logger.info("Bank collection webhook refused again from %s (already logged)", remote_addr)
        else:
            Log._log("webhook", "refused", company=company, detail=detail)

    @http.route("/bank_collect/webhook", type="http", auth="public", methods=["POST"], csrf=False, save_session=False)
    def bank_collect_webhook(self, **kw):
        # Cached: when Odoo retries the request (serialization failure), the retry reads it again.
        body = request.httprequest.get_data()
        header = request.httprequest.headers.get(SIGNATURE_HEADER)
        Log = request.env["bank.collect.log"].sudo()
        providers = request.env["bank.collect.provider"].sudo().search([("active", "=", True)])
        # Several companies may share one aggregator application, hence one secret.
        signed_by = providers.filtered(
            lambda p: bridge_webhook.verify_signature(body, header, p._bank_collect_webhook_secrets())
        )
        if not signed_by:
            reason = request.env._("signature missing") if not header else request.env._("signature invalid")
            self._log_refusal(request.env._(
                "Webhook refused: %(reason)s. Further refused calls from this address are logged at most "
                "once a minute.", reason=reason,
            ))
            return self._answer(401, "invalid signature")
        try:
            event = bridge_webhook.parse_event(body)
        except ValueError as error:
            Log._log("webhook", "failure", company=signed_by[:1].company_id, detail=str(error))
            return self._answer(400, "invalid body")
        event_date = _event_date(event["timestamp"])
        now = fields.Datetime.now()
        if not event_date or event_date < now - EVENT_FRESHNESS or event_date > now + CLOCK_TOLERANCE:
            # Replayed or far too late: refused. Answered 200, since a retry would be as stale.
            self._log_refusal(request.env._(
                "Webhook refused: %(event)s dated %(date)s is outside the accepted window (24 hours).",
                event=event["type"], date=event_date or request.env._("unknown"),
            ), company=signed_by[:1].company_id)
            return self._answer(200, "stale event ignored")
        values = self._event_values(event, event_date, body)
        targets = self._event_providers(signed_by, event)
        Queue = request.env["bank.collect.webhook.event"].sudo()
        for provider in targets:
            queued = Queue._bank_collect_enqueue(provider, values)
            journals = self._event_journals(provider, event)
            detail = request.env._(
                "%(event)s: %(count)s journals to collect.", event=event["type"], count=len(journals),
            ) if queued else request.env._("%(event)s: already received, ignored.", event=event["type"])
            Log._log(
                "webhook", "success", journal=journals[:1], company=provider.company_id, item_ref=event["item_id"],
                detail=detail,
            )
        if not targets:
            Log._log("webhook", "success", item_ref=event["item_id"], detail=request.env._(
                "%(event)s: no connection of this database concerned.", event=event["type"],
            ))
        cron = request.env.ref("bank_collect_bridge.ir_cron_bank_collect_nightly", raise_if_not_found=False)
        if targets and cron:
            cron.sudo()._trigger()
        return self._answer(200, "ok")

    def _event_values(self, event, event_date, body):
        content = event["content"]
        values = {
            "event_type": event["type"][:64],
            "event_date": event_date,
            "item_ref": str(event["item_id"]) if event["item_id"] is not None else False,
            "account_refs": ",".join(str(account_id) for account_id in event["account_ids"]),
            "body_hash": hashlib.sha256(body).hexdigest(),
        }
        if event["item_id"] is not None and "status_code" in content:
            try:
                values.update(has_status=True, status=int(content["status_code"]))
            except (TypeError, ValueError):
                return values
            values["status_info"] = str(content.get("status_code_info") or "")[:256] or False
            values["authentication_expires_at"] = request.env["bank.collect.provider"]._bridge_timestamp(
                content.get("authentication_expires_at")
            )
        return values

    def _event_providers(self, signed_by, event):
        """Providers, among those whose secret signed the event, that know the connection, an
        account or the aggregator user the event names."""
        env = request.env
        Account = env["bank.collect.account"].sudo()
        providers = env["bank.collect.provider"].sudo()
        if event["item_id"] is not None:
            providers |= env["bank.collect.item"].sudo().search([
                ("provider_id", "in", signed_by.ids), ("remote_id", "=", str(event["item_id"])),
            ]).provider_id
        if event["account_ids"]:
            providers |= Account.search([
                ("provider_id", "in", signed_by.ids), ("remote_id", "in", [str(a) for a in event["account_ids"]]),
            ]).provider_id
        if event["user_uuid"]:
            partners = env["res.partner"].sudo().with_context(active_test=False).search([
                ("bank_collect_user_uuid", "=", str(event["user_uuid"])),
            ])
            if partners:
                providers |= Account.search([
                    ("provider_id", "in", signed_by.ids), ("partner_id", "in", partners.ids),
                ]).provider_id
        return providers

    def _event_journals(self, provider, event):
        """Journals fed by the accounts or the connection of the event (read only)."""
        domain = [("provider_id", "=", provider.id), ("journal_id", "!=", False)]
        if event["account_ids"]:
            domain.append(("remote_id", "in", [str(account_id) for account_id in event["account_ids"]]))
        elif event["item_id"] is not None:
            domain.append(("item_id", "=", str(event["item_id"])))
        else:
            return request.env["account.journal"]
        accounts = request.env["bank.collect.account"].sudo().search(domain)
        return accounts.journal_id.filtered(lambda j: j.bank_collect_link_state == "attached")
