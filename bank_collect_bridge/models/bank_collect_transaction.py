import re
from collections import defaultdict

from odoo import api, fields, models

from ..exceptions import BankCollectError

# Statement lines created per chunk: each chunk commits well within Odoo's time limits.
GENERATE_BATCH = 1000
# Fields compared to tell whether the bank changed a transaction already collected.
COMPARED_FIELDS = ("amount", "date", "label", "clean_label", "purchase_date", "debit_date", "booking_date", "future")
# The dates that may carry the debit day of a deferred-debit card, depending on the bank.
CARD_DEBIT_FIELDS = ("debit_date", "booking_date", "date")
# Label of a checking-account debit that announces itself as a card's monthly total.
CARD_SUMMARY_LABEL = re.compile(
    r"(diff[eé]r|relev[eé]\s+(de\s+)?carte|factur\w*\s+carte|total\w*\s+carte|carte\s+\S+\s+d[eé]bit)",
    re.IGNORECASE,
)


class BankCollectTransaction(models.Model):
    """Staging record of one remote transaction (BC-5): collected once, never imported twice.

    The database refuses a second record of the same remote id for an aggregator, so that no
    concurrent or repeated collection can create a duplicate.
    """

    _name = "bank.collect.transaction"
    _description = "Collected bank transaction"
    _order = "date desc, id desc"
    _rec_name = "label"

    provider_id = fields.Many2one("bank.collect.provider", required=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    journal_id = fields.Many2one("account.journal", required=True, readonly=True, index=True, ondelete="cascade")
    account_id = fields.Many2one(
        "bank.collect.account", string="Remote account", required=True, readonly=True, ondelete="cascade"
    )
    remote_id = fields.Char(string="Remote id", required=True, readonly=True)
    date = fields.Date(required=True, readonly=True)
    purchase_date = fields.Date(readonly=True, help="Date of the operation (card purchase).")
    debit_date = fields.Date(readonly=True, help="Date the amount leaves the account (value date).")
    booking_date = fields.Date(readonly=True, help="Date the bank posted the operation.")
    amount = fields.Float(readonly=True, digits=(16, 2))
    currency_code = fields.Char(string="Currency", readonly=True)
    label = fields.Char(readonly=True, help="Label given by the bank.")
    clean_label = fields.Char(string="Cleaned label", readonly=True, help="Label cleaned by the aggregator.")
    operation_type = fields.Char(readonly=True)
    updated_at = fields.Char(string="Changed at (aggregator)", readonly=True)
    future = fields.Boolean(
        string="Not booked yet", readonly=True,
        help="Announced by the bank but not booked: imported once booked.",
    )
    card_summary = fields.Boolean(
        string="Card monthly total", readonly=True,
        help="Monthly total of a deferred-debit card whose lines are collected in the same journal: not imported.",
    )
    state = fields.Selection(
        [("pending", "Pending"), ("imported", "Imported"), ("ignored", "Ignored"), ("deleted", "Deleted")],
        required=True, default="pending", readonly=True, index=True,
    )
    statement_line_id = fields.Many2one(
        "account.bank.statement.line", string="Statement line", readonly=True, ondelete="set null",
        index="btree_not_null",
    )
    to_review = fields.Boolean(
        readonly=True,
        help="The bank changed or deleted this transaction after its line was reconciled: check it by hand.",
    )

    _sql_constraints = [
        ("remote_unique", "UNIQUE(provider_id, remote_id)", "A remote transaction is collected once per aggregator."),
    ]

    def action_mark_reviewed(self):
        """The accountant checked a transaction the bank changed after reconciliation. Nobody
        writes collected transactions but the collection: the flag is cleared with sudo() once
        the caller is known to be allowed on the transactions and their journals."""
        self.check_access("read")
        self.journal_id._bank_collect_check_caller()
        self.sudo().to_review = False
        return True

    def _bank_collect_apply_change(self, action, values):
        """Apply a change the bank made to an already collected transaction. An unreconciled line
        follows the bank; a reconciled one is never changed silently but flagged for review.
        Returns the counter to bump: "updated", "deleted" or "review"."""
        self.ensure_one()
        line = self.statement_line_id
        if self.state == "imported" and line and line.is_reconciled:
            self.write({"to_review": True})
            what = self.env._("deleted") if action == "delete" else self.env._("changed")
            self.journal_id._bank_collect_record_issue("review", self.env._(
                "The bank %(what)s transaction «%(label)s» of %(date)s (%(amount)s) after its statement line was "
                "reconciled: check it.", what=what, label=self.label, date=self.date, amount=self.amount,
            ))
            return "review"
        if action == "delete":
            if line:
                line.unlink()
            self.write({"state": "deleted"})
            return "deleted"
        self.write(values)
        if self.state == "imported" and line:
            journal = self.journal_id
            line.write({
                "date": journal._bank_collect_line_date(self),
                "payment_ref": (journal.bank_collect_use_clean_label and self.clean_label) or self.label or "/",
                "amount": self.amount,
            })
        return "updated"

    # ------------------------------------------------------------------
    # Staging (BC-5): one page of the aggregator at a time
    # ------------------------------------------------------------------
    @api.model
    def _bank_collect_store(self, journal, provider, account, rows, start):
        """Upsert the staging records of one page of ``account``'s transactions: one query for the
        known remote ids, one batched create for the new ones. Returns the counters."""
        latest = {}
        for tx in rows:
            known = latest.get(tx["remote_id"])
            if not known or tx["updated_at"] >= known["updated_at"]:
                latest[tx["remote_id"]] = tx
        stats = {"new": 0, "updated": 0, "deleted": 0, "review": 0}
        if not latest:
            return stats
        self.flush_model()
        self.env.cr.execute(
            f"""SELECT remote_id, id, state, {", ".join(COMPARED_FIELDS)}
                 FROM bank_collect_transaction
                WHERE provider_id = %s AND remote_id = ANY(%s)""",
            [provider.id, list(latest)],
        )
        existing = {row[0]: row for row in self.env.cr.fetchall()}
        to_create, changed = [], []
        for remote_id, tx in latest.items():
            values = self._bank_collect_values(remote_id, tx)
            row = existing.get(remote_id)
            if row is None:
                if not (tx["deleted"] or (start and values["date"] < start)):
                    to_create.append({
                        **values, "provider_id": provider.id, "company_id": journal.company_id.id,
                        "journal_id": journal.id, "account_id": account.id, "remote_id": remote_id,
                        "currency_code": tx["currency_code"], "operation_type": tx["operation_type"] or False,
                        "updated_at": tx["updated_at"], "state": "pending",
                    })
                continue
            if row[2] == "ignored":
                continue
            if tx["deleted"]:
                if row[2] != "deleted":
                    changed.append((row[1], "delete", values))
                continue
            old = dict(zip(COMPARED_FIELDS, row[3:], strict=True))
            old["clean_label"] = old["clean_label"] or False
            if any(old[key] != values[key] for key in old):
                changed.append((row[1], "update", values))
        if to_create:
            self.create(to_create)
            stats["new"] = len(to_create)
        for transaction_id, action, values in changed:
            stats[self.browse(transaction_id)._bank_collect_apply_change(action, values)] += 1
        return stats

    @api.model
    def _bank_collect_values(self, remote_id, tx):
        try:
            return {
                "date": fields.Date.to_date(tx["date"]),
                "purchase_date": fields.Date.to_date(tx["purchase_date"]),
                "debit_date": fields.Date.to_date(tx["debit_date"]),
                "booking_date": fields.Date.to_date(tx.get("booking_date") or tx["date"]),
                "amount": round(tx["amount"], 2),
                "label": tx["label"],
                "clean_label": tx["clean_label"] or False,
                "future": tx["future"],
            }
        except ValueError:
            raise BankCollectError("malformed", self.env._(
                "The aggregator sent transaction %(id)s with an invalid date (%(dates)s); nothing was imported.",
                id=remote_id, dates=", ".join(str(tx[k]) for k in ("date", "purchase_date", "debit_date")),
            )) from None

    # ------------------------------------------------------------------
    # Deferred-debit cards (BC-5)
    # ------------------------------------------------------------------
    @api.model
    def _bank_collect_mark_card_summaries(self, journal, collected):
        """Leave out the monthly totals of the deferred-debit cards collected in ``journal``: a
        pending debit of the card's account equal to the card lines of its debit day, whichever
        date field carries that day, or to the card lines of the period since the previous total.
        A debit that reads like a card total but matches neither is imported, and an issue says so.
        Returns the number of totals left out."""
        cards = collected.filtered(lambda a: a.account_type == "card")
        parents = cards.parent_id & collected
        if not parents:
            return 0
        self.flush_model()
        totals = self._bank_collect_card_day_totals(cards)
        exact_amounts = sorted({amount for by_day in totals.values() for amount in by_day.values()})
        # Only the debits that could be a total are read: a card operation, or a known total.
        self.env.cr.execute(
            """SELECT t.id, a.id, t.date, t.amount, t.label, t.operation_type
                 FROM bank_collect_transaction t JOIN bank_collect_account a ON a.id = t.account_id
                WHERE t.journal_id = %s AND t.account_id = ANY(%s) AND t.state = 'pending' AND t.amount < 0
                  AND t.future IS NOT TRUE AND (t.operation_type = 'card' OR t.amount = ANY(%s::numeric[]))
                ORDER BY t.account_id, t.date, t.id""",
            [journal.id, parents.ids, exact_amounts],
        )
        matched, unmatched, previous_day = [], [], {}
        for tx_id, account_id, day, amount, label, operation_type in self.env.cr.fetchall():
            by_field = [(key, by_day) for key, by_day in totals.items() if key[0] == account_id]
            exact = any(by_day.get(day) == amount for (__, field), by_day in by_field if field != "purchase_date")
            since = previous_day.get(account_id)
            in_period = since is not None and any(
                round(sum(total for when, total in by_day.items() if since < when <= day), 2) == amount
                for __, by_day in by_field
            )
            announced = operation_type == "card" and bool(CARD_SUMMARY_LABEL.search(label or ""))
            if exact or in_period:
                matched.append(tx_id)
            elif announced:
                unmatched.append((day, amount, label))
            if exact or in_period or announced:
                previous_day[account_id] = day
        if matched:
            self.browse(matched).write({"state": "ignored", "card_summary": True})
        if unmatched:
            journal._bank_collect_record_issue("card_summary", self.env._(
                "%(count)s debits of %(journal)s look like the monthly total of a deferred-debit card but match no "
                "card lines (%(debits)s): they were imported, check that the card's lines are not counted twice.",
                count=len(unmatched), journal=journal.display_name,
                debits="; ".join(f"{day} {amount} {label}" for day, amount, label in unmatched),
            ))
        return len(matched)

    @api.model
    def _bank_collect_card_day_totals(self, cards):
        """{(card's account id, date field): {day: total}} of the card lines collected now or
        earlier, summed in the database (one row per day, whatever the number of lines)."""
        totals = defaultdict(dict)
        for field in (*CARD_DEBIT_FIELDS, "purchase_date"):
            # field comes from the constant list above, never from a request
            self.env.cr.execute(
                f"""SELECT a.parent_id, t.{field}, ROUND(SUM(t.amount)::numeric, 2)
                      FROM bank_collect_transaction t JOIN bank_collect_account a ON a.id = t.account_id
                     WHERE t.account_id = ANY(%s) AND t.state != 'deleted' AND t.card_summary IS NOT TRUE
                       AND t.{field} IS NOT NULL
                  GROUP BY a.parent_id, t.{field}""",
                [cards.ids],
            )
            for parent_id, day, total in self.env.cr.fetchall():
                if total:
                    totals[(parent_id, field)][day] = float(total)
        return totals

    # ------------------------------------------------------------------
    # Statement lines (BC-6), one batch at a time
    # ------------------------------------------------------------------
    @api.model
    def _bank_collect_generate(self, journal, transactions=None, limit=None):
        """Turn pending transactions of ``journal`` (booked ones only) into statement lines with
        one batched create, grouped into statements as the journal says. Returns the lines."""
        if transactions is None:
            transactions = self.search([
                ("journal_id", "=", journal.id), ("state", "=", "pending"), ("future", "=", False),
                ("statement_line_id", "=", False),
            ], order="date, id", limit=limit)
        Line = self.env["account.bank.statement.line"].sudo()
        if not transactions:
            return Line
        currency = journal._bank_collect_currency()
        foreign = {
            c.name: c for c in self.env["res.currency"].with_context(active_test=False).search(
                [("name", "in", list(set(transactions.mapped("currency_code")) - {currency.name}))]
            )
        }
        vals_list = []
        for tx in transactions:
            vals = {
                "journal_id": journal.id,
                "date": journal._bank_collect_line_date(tx),
                "payment_ref": (journal.bank_collect_use_clean_label and tx.clean_label) or tx.label or "/",
                "amount": tx.amount,
                "transaction_type": tx.operation_type or False,
            }
            if tx.currency_code and tx.currency_code != currency.name and tx.currency_code in foreign:
                vals["foreign_currency_id"] = foreign[tx.currency_code].id
                vals["amount_currency"] = tx.amount
                vals["amount"] = foreign[tx.currency_code]._convert(
                    tx.amount, currency, journal.company_id, vals["date"]
                )
            vals_list.append(vals)
        with self.env["account.move"]._bank_collect_bulk_numbering():
            lines = Line.with_context(tracking_disable=True).create(vals_list)
            self.env.flush_all()
        self.env["account.bank.statement"]._bank_collect_group_lines(journal, lines)
        self.env.cr.execute(
            """UPDATE bank_collect_transaction AS t
                  SET state = 'imported', statement_line_id = v.line_id, write_date = now() at time zone 'UTC',
                      write_uid = %s
                 FROM unnest(%s::int[], %s::int[]) AS v(id, line_id)
                WHERE t.id = v.id""",
            [self.env.uid, transactions.ids, lines.ids],
        )
        transactions.invalidate_recordset(["state", "statement_line_id", "write_date", "write_uid"])
        return lines
