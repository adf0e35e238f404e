from odoo import api, fields, models


class BankCollectAccount(models.Model):
    """A bank account seen at the aggregator (BC-16), and the journal it feeds."""

    _name = "bank.collect.account"
    _description = "Remote bank account"
    _order = "partner_id, item_id, name, id"

    provider_id = fields.Many2one("bank.collect.provider", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="provider_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(
        "res.partner", string="Account owner", required=True, ondelete="restrict",
        help="Contact whose aggregator user sees this account.",
    )
    remote_id = fields.Char(string="Remote id", required=True, readonly=True)
    item_id = fields.Char(string="Connection", readonly=True, help="Aggregator connection (item) of the account.")
    connection_id = fields.Many2one(
        "bank.collect.item", string="Bank connection", readonly=True, index=True, ondelete="set null"
    )
    connection_state = fields.Selection(related="connection_id.state", string="Status")
    account_number = fields.Char(compute="_compute_account_number", help="Account number, taken from the IBAN.")
    name = fields.Char(readonly=True)
    iban = fields.Char(string="IBAN", readonly=True)
    account_type = fields.Char(string="Type", readonly=True)
    balance = fields.Float(readonly=True, digits=(16, 2))
    currency_code = fields.Char(string="Currency", readonly=True)
    parent_id = fields.Many2one(
        "bank.collect.account", string="Debited on", readonly=True, ondelete="set null",
        help="For a deferred-debit card: the account its monthly total is debited on.",
    )
    journal_id = fields.Many2one(
        "account.journal", domain="[('type', '=', 'bank'), ('company_id', '=', company_id)]",
        index=True, ondelete="set null",
    )
    item_status = fields.Integer(string="Connection status", readonly=True)
    item_status_info = fields.Char(string="Connection status detail", readonly=True)
    last_updated_at = fields.Char(
        string="Last change seen", readonly=True, copy=False,
        help="Aggregator timestamp of the latest transaction change collected; the next collection "
        "asks only for later changes.",
    )
    last_sync = fields.Datetime(readonly=True, copy=False)
    # Where the running collection of this account stands, committed with each page so that a
    # killed worker resumes there.
    fetch_todo = fields.Boolean(readonly=True, copy=False)
    fetch_cursor = fields.Char(readonly=True, copy=False, help="Next page of the running collection.")
    fetch_latest = fields.Char(readonly=True, copy=False, help="Latest change seen by the running collection.")

    _sql_constraints = [
        ("remote_unique", "UNIQUE(provider_id, remote_id)", "A remote account is recorded once per aggregator."),
    ]

    @api.depends("name", "iban", "balance", "currency_code")
    def _compute_display_name(self):
        for account in self:
            parts = [account.name or account.remote_id]
            if account.iban:
                parts.append(account.iban)
            account.display_name = " - ".join(parts)

    @api.depends("iban")
    def _compute_account_number(self):
        for account in self:
            iban = account.iban or ""
            # French (and Monaco) IBAN: bank code 5, branch code 5, account number 11, key 2.
            account.account_number = iban[14:25] if iban[:2] in ("FR", "MC") else iban[4:]

    @api.model
    def _bank_collect_upsert(self, provider, partner, remote_accounts, items=None):
        """Create or refresh the records of ``remote_accounts`` (dicts from the provider) in one
        search; returns them in the same order."""
        items = items or {}
        connections = self.env["bank.collect.item"]._bank_collect_upsert(provider, partner, items)
        existing = {
            account.remote_id: account
            for account in self.search([
                ("provider_id", "=", provider.id), ("remote_id", "in", [a["remote_id"] for a in remote_accounts])
            ])
        }
        to_create = []
        for data in remote_accounts:
            vals = {
                "partner_id": partner.id,
                "item_id": data["item_id"],
                "name": data["name"],
                "iban": data["iban"] or False,
                "account_type": data["type"],
                "balance": data["balance"],
                "currency_code": data["currency_code"],
                "item_status": items.get(data["item_id"], {}).get("status", 0),
                "item_status_info": items.get(data["item_id"], {}).get("status_info") or False,
            }
            account = existing.get(data["remote_id"])
            if account:
                changed = {k: v for k, v in vals.items() if account[k] != (v if k != "partner_id" else partner)}
                if changed:
                    account.write(changed)
            else:
                to_create.append({**vals, "provider_id": provider.id, "remote_id": data["remote_id"]})
        for account in self.create(to_create):
            existing[account.remote_id] = account
        for data in remote_accounts:
            parent = existing.get(data.get("parent_remote_id") or "")
            account = existing[data["remote_id"]]
            if account.parent_id != (parent or self.browse()):
                account.parent_id = parent
            connection = connections.get(data["item_id"])
            if connection and account.connection_id != connection:
                account.connection_id = connection
        return self.browse([existing[a["remote_id"]].id for a in remote_accounts])

    def action_unlink_journal(self):
        self.journal_id = False
        return True

    def _bank_code(self):
        """French IBAN bank code (5 digits after the check digits): used to spot a second account
        of a bank the contact already connected."""
        self.ensure_one()
        return (self.iban or "")[4:9]

    def _description_for_choice(self):
        self.ensure_one()
        return self.env._("%(name)s (%(type)s)", name=self.name, type=self.account_type)
