import base64
import uuid
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..sepa import bank, pain008
from .sepa_oneoff_mandate import check_backoffice_access

# fields of an exported debit that must not change any more (the bank has the file)
_LOCKED_FIELDS = frozenset({"amount", "partner_id", "currency_id", "sepa_oneoff_mandate_id", "payment_type"})
# set only by the export itself, in SQL (_sepa_oneoff_mark_exported): never through create/write,
# so that no caller, whatever its context, can take a receipt out of its file and export it again
_EXPORT_FIELDS = frozenset({"sepa_oneoff_batch_id", "sepa_oneoff_exported"})


class AccountPayment(models.Model):
    _inherit = "account.payment"

    sepa_oneoff_mandate_id = fields.Many2one(
        "sepa.oneoff.mandate", string="One-off mandate", readonly=True, copy=False, index="btree_not_null",
        help="Set on receipts created by a one-off SEPA direct debit signed on the portal.",
    )
    sepa_oneoff_batch_id = fields.Many2one(
        "sepa.oneoff.batch", string="Direct debit file", readonly=True, copy=False, index="btree_not_null",
        ondelete="restrict",
    )
    sepa_oneoff_exported = fields.Boolean(
        string="Exported", compute="_compute_sepa_oneoff_exported", store=True,
    )

    _sql_constraints = [
        # a one-off mandate is collected once: one receipt per mandate, whatever runs at the same time
        ("sepa_oneoff_mandate_unique", "unique(sepa_oneoff_mandate_id)",
         "A one-off mandate already has its receipt."),
    ]

    @api.depends("sepa_oneoff_batch_id")
    def _compute_sepa_oneoff_exported(self):
        for payment in self:
            payment.sepa_oneoff_exported = bool(payment.sepa_oneoff_batch_id)

    @api.model_create_multi
    def create(self, vals_list):
        if any(_EXPORT_FIELDS.intersection(vals) for vals in vals_list):
            raise UserError(self.env._("A receipt enters a direct debit file only through the file generation."))
        return super().create(vals_list)

    def write(self, vals):
        if _EXPORT_FIELDS.intersection(vals):
            raise UserError(self.env._(
                "A receipt enters a direct debit file only through the file generation and never leaves it: "
                "a debit sent to the bank can only be returned."
            ))
        if _LOCKED_FIELDS.intersection(vals) and any(self.mapped("sepa_oneoff_batch_id")):
            raise UserError(self.env._(
                "These receipts are already in a direct debit file sent to the bank: their amount, customer "
                "and mandate can no longer be changed."
            ))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_sepa_oneoff_exported(self):
        exported = self.filtered("sepa_oneoff_batch_id")
        if exported:
            raise UserError(self.env._(
                "These receipts are in a direct debit file sent to the bank and cannot be deleted: %(names)s.",
                names=", ".join(exported.mapped("display_name")),
            ))

    def _sepa_oneoff_check_backoffice_access(self, operation):
        check_backoffice_access(
            self, operation, self.env._("These receipts belong to a company you are not working in.")
        )

    # ------------------------------------------------------------------ collection draft (SO-7)
    @api.model
    def action_sepa_oneoff_check_pending(self):
        """Button «Check pending requests»: draft receipts for signed mandates that have none, in
        the companies the user works in."""
        self._sepa_oneoff_check_backoffice_access("create")
        mandates = self.env["sepa.oneoff.mandate"].sudo().search([
            ("state", "=", "signed"), ("payment_id", "=", False), ("company_id", "in", self.env.companies.ids),
        ])
        payments = mandates._sepa_oneoff_create_receipts()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if payments else "info",
                "message": self.env._(
                    "%(count)s pending request(s) added to the collection draft.", count=len(payments)
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------------ SEPA file (SO-8)
    def _sepa_oneoff_check_exportable(self):
        if not self:
            raise UserError(self.env._("Select the one-off direct debit receipts to put in the file."))
        not_oneoff = self.filtered(lambda p: not p.sepa_oneoff_mandate_id)
        if not_oneoff:
            raise UserError(self.env._(
                "Only one-off direct debit receipts can go in a direct debit file; not: %(names)s.",
                names=", ".join(not_oneoff.mapped("display_name")),
            ))
        exported = self.filtered("sepa_oneoff_batch_id")
        if exported:
            raise UserError(self.env._(
                "These receipts were already exported and cannot be debited twice: %(lines)s.",
                lines=", ".join(f"{p.sepa_oneoff_mandate_id.name} ({p.sepa_oneoff_batch_id.name})" for p in exported),
            ))
        not_draft = self.filtered(lambda p: p.state != "draft")
        if not_draft:
            raise UserError(self.env._(
                "Only draft receipts can be exported; not: %(names)s.",
                names=", ".join(not_draft.mapped("display_name")),
            ))
        if len(self.company_id) > 1:
            raise UserError(
                self.env._("A direct debit file belongs to one creditor: select the receipts of one company.")
            )

    def action_sepa_oneoff_export(self):
        """Generate the pain.008 file of the selected draft one-off receipts (sequence type OOFF),
        validated against the XSD of the company's version, on a new batch; the receipts are then locked."""
        payments = self.exists()
        payments._sepa_oneoff_check_backoffice_access("write")
        if payments:
            # rows locked: a second export running at the same time waits, then sees these as exported
            self.env.cr.execute("SELECT id FROM account_payment WHERE id IN %s FOR UPDATE", [tuple(payments.ids)])
            payments.invalidate_recordset(["sepa_oneoff_batch_id"])
        payments._sepa_oneoff_check_exportable()
        company = payments.company_id
        missing = [label for label, value in (
            (self.env._("SEPA creditor identifier (ICS)"), company.sepa_creditor_identifier),
            (self.env._("Creditor IBAN"), company.sepa_oneoff_creditor_iban),
        ) if not value]
        if missing:
            raise UserError(self.env._("Company %(company)s: set %(missing)s before generating a direct debit file.",
                                       company=company.name, missing=", ".join(missing)))
        today = fields.Date.context_today(self)
        earliest = self.env["sepa.oneoff.mandate"]._sepa_oneoff_collection_date(company, today)
        collection_date = max([earliest] + [d for d in payments.sepa_oneoff_mandate_id.mapped("collection_date") if d])
        version = company.sepa_pain_version
        message_id = f"SO{today:%Y%m%d}-{uuid.uuid4().hex[:16].upper()}"
        mandates = payments.sepa_oneoff_mandate_id.sudo()
        debits = []
        for payment, mandate in zip(
            payments, payments.mapped(lambda p: p.sepa_oneoff_mandate_id.sudo()), strict=False
        ):
            debits.append({
                "end_to_end_id": f"{mandate.name[:30]}-{payment.id % 10000:04d}"[:35],
                "mandate_id": mandate.name,
                "mandate_date": fields.Datetime.context_timestamp(self, mandate.signed_at).date()
                if mandate.signed_at else today,
                "collection_date": collection_date,
                "amount_cents": pain008.amount_to_cents(payment.amount),
                "name": mandate.debtor_name,
                "iban": bank.compact(mandate.iban),
                "bic": mandate.bic or "",
                "description": payment.memo or mandate.name,
                "address": mandate._sepa_oneoff_pain_address(),
            })
        creditor = {
            "name": company._sepa_oneoff_creditor_name(),
            "iban": company.sepa_oneoff_creditor_iban,
            "bic": company.sepa_oneoff_creditor_bic or "",
            "creditor_id": company.sepa_creditor_identifier,
            "address": company._sepa_oneoff_creditor_address(),
        }
        try:
            xml_bytes = pain008.build_pain008(creditor, debits, version, message_id, today=today)
        except pain008.Pain008Error as error:
            raise UserError(self._sepa_oneoff_file_error_message(error)) from None
        # files are made here only (sepa.oneoff.batch refuses other creations); the caller's
        # rights on the receipts were checked above
        batch = self.env["sepa.oneoff.batch"].sudo().create({
            "name": message_id,
            "company_id": company.id,
            "pain_version": version,
            "collection_date": collection_date,
            "payment_count": len(payments),
            "amount_total": sum(payments.mapped("amount")),
            "xml_file": base64.b64encode(xml_bytes),
            "xml_filename": f"{message_id}.xml",
        })
        # The receipt date (posting date) is left as is: rewriting it would recompute every receipt's
        # company-currency amounts. Receipts and mandates get the same values, so one UPDATE each: the
        # ORM's flush writes rows by hundreds with per-row values, half the time of a 5,000-debit file.
        # No chatter tracking either (these fields are not tracked; the batch record is the trace).
        self._sepa_oneoff_mark_exported(payments, mandates, batch)
        return {
            "type": "ir.actions.act_window",
            "res_model": "sepa.oneoff.batch",
            "res_id": batch.id,
            "view_mode": "form",
            "target": "current",
        }

    @api.model
    def _sepa_oneoff_mark_exported(self, payments, mandates, batch):
        payments.flush_recordset(["sepa_oneoff_batch_id", "sepa_oneoff_exported"])
        mandates.flush_recordset(["state"])
        stamp = {"now": self.env.cr.now(), "uid": self.env.uid}
        self.env.cr.execute(SQL(
            "UPDATE account_payment SET sepa_oneoff_batch_id = %(batch)s, sepa_oneoff_exported = TRUE, "
            "write_date = %(now)s, write_uid = %(uid)s WHERE id = ANY(%(ids)s)",
            batch=batch.id, ids=payments.ids, **stamp,
        ))
        self.env.cr.execute(SQL(
            "UPDATE sepa_oneoff_mandate SET state = 'exported', write_date = %(now)s, write_uid = %(uid)s "
            "WHERE id = ANY(%(ids)s)",
            ids=mandates.ids, **stamp,
        ))
        payments.invalidate_recordset(["sepa_oneoff_batch_id", "sepa_oneoff_exported", "write_date", "write_uid"])
        mandates.invalidate_recordset(["state", "write_date", "write_uid"])
        batch.invalidate_recordset(["payment_ids"])
        # whatever else depends on them (sepa_oneoff_exported is written above, not recomputed)
        with self.env.protecting([self._fields["sepa_oneoff_exported"]], payments):
            payments.modified(["sepa_oneoff_batch_id"])
        mandates.modified(["state"])

    @api.model
    def _sepa_oneoff_file_error_message(self, error):
        messages = {
            "amount_not_cents": self.env._("the amount is not a number of cents"),
            "amount_out_of_range": self.env._("the amount must be between 0.01 and 999,999,999.99"),
            "bad_identifier": self.env._(
                "the mandate reference or an identifier uses characters the SEPA scheme refuses"
            ),
            "bad_mandate_date": self.env._("the signature date is missing or in the future"),
            "bad_collection_date": self.env._("the collection date is in the past"),
            "missing_name": self.env._("the debtor name is empty"),
            "creditor_bic_required": self.env._("pain.008.001.02 needs the creditor BIC (8 or 11 letters and digits)"),
            "xsd_invalid": self.env._("the file does not match the official schema"),
            "no_debit": self.env._("there is no debit to export"),
        }
        reason = messages.get(error.code, error.code)
        return self.env._("The direct debit file cannot be generated (%(ref)s): %(reason)s. %(detail)s",
                          ref=error.ref or "-", reason=reason, detail=error.detail or "")

    # ------------------------------------------------------------------ posting (SO-9)
    def action_sepa_oneoff_post(self, journal=None):
        """Post the one-off receipts (Odoo's own posting), in `journal` when given, then reconcile
        each with its customer's open invoices, oldest due date first, in one batched reconciliation."""
        self._sepa_oneoff_check_backoffice_access("write")
        payments = self.filtered(lambda p: p.state == "draft")
        if not payments:
            raise UserError(self.env._("Select draft one-off receipts to post."))
        if journal:
            payments.write({"journal_id": journal.id})
        # a journal change recomputes the outstanding account from the new journal's method line,
        # which may have none: without one Odoo posts no journal entry, so nothing could be reconciled
        for payment in payments.filtered(lambda p: not p.outstanding_account_id):
            payment.outstanding_account_id = payment._get_outstanding_account(payment.payment_type)
        # bulk posting of bank-confirmed debits: no chatter tracking per receipt and entry (the
        # mandate keeps the audit trail), which is most of Odoo's posting time after the entries
        payments = payments.with_context(tracking_disable=True)
        payments._sepa_oneoff_generate_journal_entries()
        payments.move_id._sepa_oneoff_subscribe_partners()
        with self.env["account.move"]._sepa_oneoff_bulk_numbering():
            payments.action_post()
            self.env.flush_all()
        payments._sepa_oneoff_reconcile_oldest_first()
        payments.sepa_oneoff_mandate_id.sudo().with_context(tracking_disable=True).write({"state": "collected"})
        return True

    def _sepa_oneoff_generate_journal_entries(self):
        """Create the receipts' journal entries (Odoo's own values) in one batch and link them in one
        query, before Odoo's posting, which then only posts them. Odoo links each entry by a write of
        its own, and each write walks the dependencies of the receipt: for bulk receipts that was about
        a fifth of the posting time."""
        need_move = self.filtered(
            lambda p: not p.move_id and p.outstanding_account_id
            # receipts paid by a saved token wait for the provider's answer (module account_payment)
            and not ("payment_token_id" in p._fields and p.payment_token_id)
        )
        if not need_move:
            return
        moves = self.env["account.move"].create([payment._generate_move_vals() for payment in need_move])
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE account_payment AS payment SET move_id = link.move_id "
            "FROM unnest(%s::int[], %s::int[]) AS link(payment_id, move_id) WHERE payment.id = link.payment_id",
            [need_move.ids, moves.ids],
        )
        need_move.invalidate_recordset(["move_id"])
        moves.invalidate_recordset(["payment_ids"])
        need_move.modified(["move_id"])

    def _sepa_oneoff_reconcile_oldest_first(self):
        payment_lines = self.move_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        )
        if not payment_lines:
            return
        open_lines = self.env["account.move.line"].search([
            ("partner_id", "in", payment_lines.partner_id.ids),
            ("account_id", "in", payment_lines.account_id.ids),
            ("company_id", "in", payment_lines.company_id.ids),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
            ("amount_residual", ">", 0),
            ("move_id.move_type", "in", ("out_invoice", "out_receipt")),
        ], order="date_maturity, date, id")
        available = defaultdict(list)
        for line in open_lines:
            available[(line.partner_id.id, line.account_id.id)].append([line, line.amount_residual])
        plan = []
        for payment_line in payment_lines:
            queue = available[(payment_line.partner_id.id, payment_line.account_id.id)]
            to_cover = -payment_line.amount_residual
            group = payment_line
            while to_cover > 0 and queue:
                entry = queue[0]
                used = min(entry[1], to_cover)
                group |= entry[0]
                entry[1] -= used
                to_cover -= used
                if entry[1] <= 0.000001:
                    queue.pop(0)
            if len(group) > 1:
                plan.append(group)
        if not plan:
            return
        lines = self.env["account.move.line"]
        matched = lines.union(*plan)
        # Odoo looks for cash-basis taxes (VAT on payments) plan by plan, one empty entry creation
        # and posting each; when none of the matched entries has such a tax, there is nothing to find
        has_cash_basis_tax = lines.search_count([
            ("move_id", "in", matched.move_id.ids),
            "|", "|",
            ("tax_line_id.tax_exigibility", "=", "on_payment"),
            ("tax_ids.tax_exigibility", "=", "on_payment"),
            ("tax_ids.children_tax_ids.tax_exigibility", "=", "on_payment"),
        ], limit=1)
        lines.with_context(no_cash_basis=not has_cash_basis_tax)._reconcile_plan(plan)

    def action_sepa_oneoff_return(self):
        """A returned or rejected debit: undo the reconciliation, reverse the posting, mark the
        receipt rejected and its mandate returned."""
        self._sepa_oneoff_check_backoffice_access("write")
        payments = self.filtered(lambda p: p.sepa_oneoff_mandate_id and p.state in ("in_process", "paid"))
        if not payments or payments != self:
            raise UserError(self.env._("Only posted one-off direct debit receipts can be returned."))
        moves = payments.move_id
        moves.line_ids.remove_move_reconcile()
        moves._reverse_moves(
            [{"ref": self.env._("Direct debit returned: %(rum)s", rum=p.sepa_oneoff_mandate_id.name),
              "date": fields.Date.context_today(self)} for p in payments],
            cancel=True,
        )
        super(AccountPayment, payments).write({"state": "rejected"})
        payments.sepa_oneoff_mandate_id.sudo().write({"state": "returned"})
        for payment in payments:
            payment.sepa_oneoff_mandate_id.sudo().message_post(
                body=self.env._("The direct debit was returned by the bank.")
            )
        return True
