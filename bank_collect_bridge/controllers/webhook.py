import logging
from datetime import timedelta

from odoo import http
from odoo.http import request

from ..bridge import webhook as bridge_webhook
from ..bridge.const import SIGNATURE_HEADER

_logger = logging.getLogger(__name__)

REFUSAL_LOG_INTERVAL = timedelta(minutes=1)


class BankCollectWebhook(http.Controller):
    """Bridge's events (BC-15): the signature is checked against the raw body, the journals fed
    by the connection are queued for collection (the nightly job's trigger, never a collection
    inside the request) and the answer is immediate."""

    def _answer(self, status, text):
        return request.make_response(text, headers=[("Content-Type", "text/plain")], status=status)

    @http.route("/bank_collect/webhook", type="http", auth="public", methods=["POST"], csrf=False, save_session=False)
    def bank_collect_webhook(self, **kw):
        body = request.httprequest.get_data(cache=False)
        header = request.httprequest.headers.get(SIGNATURE_HEADER)
        Log = request.env["bank.collect.log"].sudo()
        providers = request.env["bank.collect.provider"].sudo().search([("active", "=", True)])
        provider = next((
            p for p in providers if bridge_webhook.verify_signature(body, header, p._bank_collect_webhook_secrets())
        ), None)
        if provider is None:
            remote_addr = request.httprequest.remote_addr
            # one entry a minute per address: forged calls in a loop must not fill the log table
            if Log._webhook_refusal_logged_since(remote_addr, REFUSAL_LOG_INTERVAL):
                _logger.info("Bank collection webhook refused again from %s (already logged)", remote_addr)
            else:
                reason = request.env._("signature missing") if not header else request.env._("signature invalid")
                Log._log("webhook", "refused", detail=request.env._(
                    "Webhook refused: %(reason)s. Further refused calls from this address are logged at most "
                    "once a minute.", reason=reason,
                ))
            return self._answer(401, "invalid signature")
        try:
            event = bridge_webhook.parse_event(body)
        except ValueError as error:
            Log._log("webhook", "failure", company=provider.company_id, detail=str(error))
            return self._answer(400, "invalid body")
        journals = self._schedule(provider, event)
        Log._log(
            "webhook", "success", journal=journals[:1], company=provider.company_id, item_ref=event["item_id"],
            detail=request.env._("%(event)s: %(count)s journals to collect.", event=event["type"], count=len(journals)),
        )
        return self._answer(200, "ok")

    def _schedule(self, provider, event):
        """Record what the event says about the connection and queue its journals' collection."""
        env = request.env
        Account = env["bank.collect.account"].sudo()
        domain = [("provider_id", "=", provider.id), ("journal_id", "!=", False)]
        if event["account_ids"]:
            domain.append(("remote_id", "in", [str(account_id) for account_id in event["account_ids"]]))
        elif event["item_id"] is not None:
            domain.append(("item_id", "=", str(event["item_id"])))
        else:
            return env["account.journal"]
        content = event["content"]
        if event["item_id"] is not None and "status_code" in content:
            item = env["bank.collect.item"].sudo().search([
                ("provider_id", "=", provider.id), ("remote_id", "=", str(event["item_id"]))
            ])
            try:
                values = {
                    "status": int(content["status_code"]), "status_info": content.get("status_code_info") or False,
                }
            except (TypeError, ValueError):
                values = {}
            expiry = provider._bridge_timestamp(content.get("authentication_expires_at"))
            if expiry and values:
                values["authentication_expires_at"] = expiry
            item.write(values)
        journals = Account.search(domain).journal_id.filtered(lambda j: j.bank_collect_link_state == "attached")
        if journals:
            journals._bank_collect_request_sync()
        return journals
