from datetime import timedelta

from odoo import api, fields, models

# Events older than this are refused by the webhook (Bridge retries a delivery for less long);
# applied events are kept as long, to recognise a repeated delivery.
EVENT_FRESHNESS = timedelta(hours=24)


class BankCollectWebhookEvent(models.Model):
    """An event of the aggregator's webhook (BC-15), queued by the webhook and applied by the
    collection job. The webhook only inserts here: it never waits for the row locks of a
    running collection (journal, connections), and a repeated delivery is recorded once."""

    _name = "bank.collect.webhook.event"
    _description = "Bank aggregator event"
    _order = "event_date, id"

    provider_id = fields.Many2one("bank.collect.provider", required=True, readonly=True, ondelete="cascade", index=True)
    event_type = fields.Char(required=True, readonly=True)
    event_date = fields.Datetime(required=True, readonly=True, help="Time of the event, given by the aggregator.")
    item_ref = fields.Char(string="Connection", readonly=True)
    account_refs = fields.Char(string="Accounts", readonly=True, help="Aggregator account ids, separated by commas.")
    has_status = fields.Boolean(readonly=True)
    status = fields.Integer(readonly=True)
    status_info = fields.Char(readonly=True)
    authentication_expires_at = fields.Datetime(readonly=True)
    body_hash = fields.Char(required=True, readonly=True)
    state = fields.Selection(
        [("pending", "To apply"), ("done", "Applied")], required=True, default="pending", readonly=True, index=True,
    )

    _sql_constraints = [
        ("delivery_unique", "UNIQUE(provider_id, body_hash)", "An event is recorded once per aggregator."),
    ]

    @api.model
    def _bank_collect_enqueue(self, provider, values):
        """Queue one event for ``provider``; False when the same delivery was already queued.
        A plain INSERT ... ON CONFLICT: a duplicate neither raises nor waits."""
        self.env.cr.execute(
            """INSERT INTO bank_collect_webhook_event
                   (provider_id, event_type, event_date, item_ref, account_refs, has_status, status, status_info,
                    authentication_expires_at, body_hash, state, create_uid, create_date, write_uid, write_date)
               VALUES (%(provider)s, %(event_type)s, %(event_date)s, %(item_ref)s, %(account_refs)s, %(has_status)s,
                       %(status)s, %(status_info)s, %(authentication_expires_at)s, %(body_hash)s, 'pending',
                       %(uid)s, now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC')
               ON CONFLICT (provider_id, body_hash) DO NOTHING
               RETURNING id""",
            {
                "provider": provider.id, "uid": self.env.uid,
                "event_type": values["event_type"], "event_date": values["event_date"],
                "item_ref": values.get("item_ref") or None, "account_refs": values.get("account_refs") or None,
                "has_status": bool(values.get("has_status")), "status": values.get("status") or 0,
                "status_info": values.get("status_info") or None,
                "authentication_expires_at": values.get("authentication_expires_at") or None,
                "body_hash": values["body_hash"],
            },
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _bank_collect_process(self):
        """Apply the queued events, oldest first: a connection's status changes only when the
        event is newer than what is known of it; the journals they concern are collected next."""
        events = self.sudo().search([("state", "=", "pending")])
        if events:
            item_refs = [ref for ref in events.mapped("item_ref") if ref]
            account_refs = [ref for refs in events.mapped("account_refs") if refs for ref in refs.split(",")]
            items = self.env["bank.collect.item"].sudo().search([
                ("provider_id", "in", events.provider_id.ids), ("remote_id", "in", item_refs),
            ])
            items_by_key = {(item.provider_id.id, item.remote_id): item for item in items}
            accounts = self.env["bank.collect.account"].sudo().search([
                ("provider_id", "in", events.provider_id.ids), ("journal_id", "!=", False),
                "|", ("remote_id", "in", account_refs), ("item_id", "in", item_refs),
            ])
            journals = self.env["account.journal"]
            for event in events:
                item = items_by_key.get((event.provider_id.id, event.item_ref))
                if item and event.has_status and (not item.status_date or event.event_date > item.status_date):
                    values = {
                        "status": event.status, "status_info": event.status_info, "status_date": event.event_date,
                    }
                    if event.authentication_expires_at:
                        values["authentication_expires_at"] = event.authentication_expires_at
                    item.write(values)
                journals |= accounts.filtered(
                    lambda account, event=event: event._bank_collect_concerns(account)
                ).journal_id
            journals.filtered(lambda j: j.bank_collect_link_state == "attached").sudo().write(
                {"bank_collect_sync_requested": True}
            )
            events.write({"state": "done"})
        self.sudo().search([
            ("state", "=", "done"), ("event_date", "<", fields.Datetime.now() - 2 * EVENT_FRESHNESS),
        ]).unlink()
        return len(events)

    def _bank_collect_concerns(self, account):
        """Whether this event is about ``account``: named by id, else through its connection."""
        if account.provider_id != self.provider_id:
            return False
        if self.account_refs:
            return account.remote_id in self.account_refs.split(",")
        return bool(self.item_ref) and account.item_id == self.item_ref
