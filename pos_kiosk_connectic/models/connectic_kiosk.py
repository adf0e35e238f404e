import hashlib
import logging
import posixpath
import re
import threading
from collections import defaultdict
from contextlib import contextmanager

import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.misc import formatLang

from odoo.addons.base.models.res_partner import _tz_get

from ..kiosk import files as kiosk_files
from ..kiosk.sftp import KioskSftp, SftpError, fetch_host_key, fingerprint, key_line, parse_host_key

_logger = logging.getLogger(__name__)

PAYMENTS_FILE_NAME = re.compile(r"payments_[A-Za-z0-9_-]+\.csv")
# Namespace of the advisory lock taken while a kiosk's files are imported (key 2: kiosk id).
IMPORT_LOCK_NAMESPACE = 0x4B494F  # "KIO"
MEGABYTE = 1024 * 1024
# Largest value of an Integer (int4) column: the size recorded for a refused file is capped to it.
MAX_INT4 = 2**31 - 1
METHOD_JOURNAL_FIELDS = {"CASH": "journal_cash_id", "CARD": "journal_card_id", "CHEQUE": "journal_cheque_id"}


class ConnecticKiosk(models.Model):
    """SFTP access and mapping of one company's payment kiosk (PK-1), nightly exchange (PK-2, PK-3)."""

    _name = "connectic.kiosk"
    _description = "Connectic payment kiosk"
    _order = "company_id, id"

    name = fields.Char(required=True, default="Kiosk")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    active = fields.Boolean(default=True, help="Untick to stop the nightly export and import.")
    sftp_host = fields.Char(string="SFTP host", required=True, default="localhost")
    sftp_port = fields.Integer(string="SFTP port", required=True, default=22)
    sftp_user = fields.Char(string="SFTP user")
    sftp_password = fields.Char(string="SFTP password", groups="base.group_system", copy=False)
    sftp_private_key = fields.Text(
        string="SFTP private key", groups="base.group_system", copy=False,
        help="Private key in OpenSSH or PEM format, without passphrase. Used before the password.",
    )
    sftp_host_key = fields.Text(
        string="Server host key",
        help="Public host key of the SFTP server (`type base64`, as in a .pub or known_hosts line). "
             "A server showing another key is refused.",
    )
    sftp_host_key_fingerprint = fields.Char(
        string="Host key fingerprint", compute="_compute_sftp_host_key_fingerprint"
    )
    path_outbound = fields.Char(string="Customers folder (outbound)", required=True, default="outbound")
    path_inbound = fields.Char(string="Payments folder (inbound)", required=True, default="inbound")
    path_archive = fields.Char(string="Archive folder", required=True, default="archive")
    path_error = fields.Char(string="Error folder", required=True, default="error")
    entity_code = fields.Char(string="Entity code", help="Code of the company in the kiosk files, e.g. G001.")
    tz = fields.Selection(
        _tz_get, string="Kiosk time zone", required=True, default="Europe/Paris",
        help="Time zone of the payment times written by the kiosk.",
    )
    journal_cash_id = fields.Many2one(
        "account.journal", string="Cash journal", check_company=True,
        domain="[('type', 'in', ('cash', 'bank'))]",
    )
    journal_card_id = fields.Many2one(
        "account.journal", string="Card journal", check_company=True,
        domain="[('type', 'in', ('cash', 'bank'))]",
    )
    journal_cheque_id = fields.Many2one(
        "account.journal", string="Cheque journal", check_company=True,
        domain="[('type', 'in', ('cash', 'bank'))]",
    )
    payments_max_size_mb = fields.Float(
        string="Largest payments file (MB)", required=True, default=20.0, digits=(12, 3),
        help="A payments file over this size is refused without being read: it is moved to the error folder "
             "with a report.",
    )
    last_export_date = fields.Datetime(readonly=True, copy=False)
    last_export_count = fields.Integer(string="Customers exported", readonly=True, copy=False)
    last_import_date = fields.Datetime(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    file_ids = fields.One2many("connectic.kiosk.file", "kiosk_id", string="Payments files")
    file_count = fields.Integer(compute="_compute_file_count")

    _sql_constraints = [
        ("sftp_port_range", "CHECK(sftp_port > 0 AND sftp_port < 65536)", "The SFTP port must be between 1 and 65535."),
        ("payments_max_size_positive", "CHECK(payments_max_size_mb > 0)",
         "The largest payments file size must be greater than zero."),
    ]

    @api.depends("sftp_host_key")
    def _compute_sftp_host_key_fingerprint(self):
        for kiosk in self:
            try:
                kiosk.sftp_host_key_fingerprint = (
                    fingerprint(parse_host_key(kiosk.sftp_host_key)) if kiosk.sftp_host_key else False
                )
            except SftpError:
                kiosk.sftp_host_key_fingerprint = self.env._("Invalid key")

    def _compute_file_count(self):
        counts = dict(self.env["connectic.kiosk.file"]._read_group(
            [("kiosk_id", "in", self.ids)], ["kiosk_id"], ["__count"]
        ))
        for kiosk in self:
            kiosk.file_count = counts.get(kiosk, 0)

    @api.constrains("sftp_host_key")
    def _check_sftp_host_key(self):
        for kiosk in self.filtered("sftp_host_key"):
            try:
                parse_host_key(kiosk.sftp_host_key)
            except SftpError as error:
                raise ValidationError(self.env._(
                    "The server host key of %(kiosk)s is not a public key line such as "
                    "'ssh-ed25519 AAAA…' (%(reason)s).", kiosk=kiosk.name, reason=error.params.get("reason"),
                )) from None

    @api.constrains("entity_code", "path_outbound", "path_inbound", "path_archive", "path_error")
    def _check_entity_and_paths(self):
        for kiosk in self:
            if kiosk.entity_code and not re.fullmatch(r"[A-Za-z0-9_-]{1,20}", kiosk.entity_code):
                raise ValidationError(self.env._(
                    "The entity code %(code)s may contain only letters, digits, '-' and '_' (20 at most).",
                    code=kiosk.entity_code,
                ))
            folders = [kiosk.path_inbound, kiosk.path_archive, kiosk.path_error]
            if len({f.rstrip("/") for f in folders}) != len(folders):
                raise ValidationError(
                    self.env._("The payments, archive and error folders must be three different folders.")
                )

    def _check_admin_access(self):
        """The kiosk buttons use the SFTP secrets and create records as superuser, and JSON-RPC runs them on
        any id: only an administrator allowed to change these kiosks, in his current companies, may."""
        if self.env.su:
            return
        if not self.env.user.has_group("base.group_system"):
            raise AccessError(self.env._("Only administrators may run the SFTP actions of the payment kiosks."))
        self.check_access("write")
        foreign = self.filtered(lambda kiosk: kiosk.company_id not in self.env.companies)
        if foreign:
            raise AccessError(self.env._(
                "Kiosk %(kiosk)s belongs to company %(company)s, which is not among your current companies.",
                kiosk=foreign[0].name, company=foreign[0].company_id.name,
            ))

    # ------------------------------------------------------------------------------------------
    # SFTP
    # ------------------------------------------------------------------------------------------
    def _sftp(self):
        self.ensure_one()
        secrets = self.sudo()
        return KioskSftp(
            self.sftp_host, self.sftp_port, self.sftp_user, self.sftp_host_key,
            password=secrets.sftp_password or None, private_key=secrets.sftp_private_key or None,
        )

    def _sftp_error_message(self, error):
        """A translated sentence for an SftpError (its parameters never hold a secret)."""
        params = {"host": self.sftp_host, "port": self.sftp_port, "user": self.sftp_user or "", **error.params}
        if error.kind == "host_key_unknown":
            return self.env._(
                "No host key is pinned for %(host)s:%(port)s. The server shows the key %(fingerprint)s; "
                "check it with the server's administrator, then use «Fetch host key» or paste it in the "
                "settings.", **params,
            )
        if error.kind == "host_key_changed":
            return self.env._(
                "Connection refused: the server %(host)s:%(port)s shows the host key %(fingerprint)s "
                "instead of the pinned key %(expected)s. The server may have been reinstalled or "
                "impersonated; check with its administrator before changing the pinned key.", **params,
            )
        if error.kind == "auth":
            return self.env._("The SFTP server %(host)s:%(port)s refused the login of user %(user)s "
                              "(wrong password or key).", **params)
        if error.kind == "connect":
            return self.env._("Cannot reach the SFTP server %(host)s:%(port)s: %(reason)s.", **params)
        if error.kind == "config":
            return self.env._("The kiosk SFTP settings are incomplete or invalid (%(field)s: %(reason)s).", **params)
        return self.env._("SFTP operation %(action)s on %(path)s failed: %(reason)s.", **params)

    @contextmanager
    def _sftp_session(self):
        """An open SFTP session; an SftpError becomes a translated UserError."""
        try:
            with self._sftp() as client:
                yield client
        except SftpError as error:
            raise UserError(self._sftp_error_message(error)) from None

    def action_test_connection(self):
        self.ensure_one()
        self._check_admin_access()
        folders = [self.path_outbound, self.path_inbound, self.path_archive, self.path_error]
        try:
            with self._sftp() as client:
                missing = [folder for folder in folders if not client.exists(folder)]
        except SftpError as error:
            return self._notification(self.env._("Connection failed"), self._sftp_error_message(error), "danger")
        if missing:
            return self._notification(
                self.env._("Connected, folders missing"),
                self.env._("Connected to %(host)s:%(port)s, but these folders do not exist: %(folders)s.",
                           host=self.sftp_host, port=self.sftp_port, folders=", ".join(missing)),
                "warning",
            )
        return self._notification(
            self.env._("Connection succeeded"),
            self.env._("Connected to %(host)s:%(port)s as %(user)s; the host key matches and the four folders exist.",
                       host=self.sftp_host, port=self.sftp_port, user=self.sftp_user),
            "success",
        )

    def action_fetch_host_key(self):
        """Pin the key the server shows now; only when none is pinned (a changed key is never replaced here)."""
        self.ensure_one()
        self._check_admin_access()
        if self.sftp_host_key:
            raise UserError(self.env._("A host key is already pinned. Clear the field first if the server's key "
                                       "really changed."))
        try:
            key = fetch_host_key(self.sftp_host, self.sftp_port)
        except SftpError as error:
            raise UserError(self._sftp_error_message(error)) from None
        self.sftp_host_key = key_line(key)
        return self._notification(
            self.env._("Host key pinned"),
            self.env._("Pinned host key %(fingerprint)s of %(host)s:%(port)s. Compare it with the fingerprint given "
                       "by the server's administrator.", fingerprint=fingerprint(key), host=self.sftp_host,
                       port=self.sftp_port),
            "info",
        )

    @api.model
    def _notification(self, title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind, "sticky": kind != "success"},
        }

    @api.model
    def _auto_commit(self):
        """Whether progress is committed as it goes: not inside a test's shared transaction (Odoo's own
        `testing` thread flag, as mail and account_edi use)."""
        return not getattr(threading.current_thread(), "testing", False)

    def _commit(self):
        """Commit progress so that a later crash loses nothing."""
        if self._auto_commit():
            # Deliberate: each imported file is committed before its remote move (see
            # _import_remote_files), and each kiosk's nightly job on its own.
            self.env.cr.commit()  # pylint: disable=invalid-commit

    # ------------------------------------------------------------------------------------------
    # Export of the customers file (PK-2)
    # ------------------------------------------------------------------------------------------
    def _check_ready(self):
        self.ensure_one()
        if not self.entity_code:
            raise UserError(self.env._("Set the entity code of kiosk %(kiosk)s first.", kiosk=self.name))

    def _customer_rows(self):
        """(ref, name, street, zip, city, balance) of every customer with a reference, balances
        computed in one grouped query."""
        self.ensure_one()
        partners = self.env["res.partner"].search_fetch(
            [("ref", "!=", False), ("ref", "!=", ""), ("company_id", "in", [False, self.company_id.id])],
            ["ref", "complete_name", "street", "zip", "city"], order="ref, id",
        )
        balances = self.env["res.partner"]._connectic_balances(self.company_id)
        return [
            (p.ref, p.complete_name, p.street, p.zip, p.city, balances.get(p.id, 0.0))
            for p in partners
        ]

    def _customers_file(self):
        self._check_ready()
        rows = self._customer_rows()
        today = fields.Date.context_today(self.with_context(tz=self.tz))
        name = kiosk_files.customers_file_name(self.entity_code, today)
        return name, kiosk_files.write_customers(self.entity_code, self.currency_id.name, rows), len(rows)

    def action_export_customers(self):
        self._check_admin_access()
        for kiosk in self:
            kiosk = kiosk.with_company(kiosk.company_id)
            name, data, count = kiosk._customers_file()
            with kiosk._sftp_session() as client:
                client.upload_atomic(kiosk.path_outbound, name, data)
            self.env["ir.attachment"].create({
                "name": name, "raw": data, "mimetype": "text/csv",
                "res_model": kiosk._name, "res_id": kiosk.id,
            })
            kiosk.write({"last_export_date": fields.Datetime.now(), "last_export_count": count, "last_error": False})
            _logger.info("kiosk %s: %s customers exported to %s", kiosk.id, count, name)
        return True

    @api.model
    def _cron_export_customers(self):
        for kiosk in self.search([("active", "=", True)]):
            self._run_job(kiosk, kiosk.action_export_customers)

    def _run_job(self, kiosk, job):
        """Run one kiosk's job in its own transaction: any failure, foreseen or not (an SFTP protocol
        error, a unique violation), is undone, recorded on the kiosk and told to the notification
        group, and never stops the other kiosks."""
        in_test = not self._auto_commit()
        try:
            if in_test:  # no commit happens there: a savepoint undoes the failed job
                with self.env.cr.savepoint():
                    job()
            else:  # the job commits file by file: undo only what followed its last commit
                job()
        except Exception as error:  # noqa: BLE001 - one kiosk's failure must never stop the others
            if not in_test:
                self.env.cr.rollback()
            if isinstance(error, UserError | ValidationError):
                message = error.args[0]
                _logger.warning("kiosk %s: %s", kiosk.id, message)
            else:
                _logger.exception("kiosk %s: unexpected error in the nightly job", kiosk.id)
                message = self.env._(
                    "Unexpected error %(error)s: %(reason)s. Nothing of the failed step was kept; the details "
                    "are in the server log.", error=type(error).__name__, reason=str(error).strip(),
                )
            kiosk.last_error = message
            kiosk._notify_error(message)
        self._commit()

    def _notified_partners(self):
        """Partners of the kiosk notifications group's users who work in the kiosk's company (PK-4)."""
        self.ensure_one()
        group = self.env.ref("pos_kiosk_connectic.group_kiosk_notification")
        return group.users.filtered(lambda user: self.company_id in user.company_ids).partner_id

    def _notify_error(self, message):
        """Tell the notification group that a nightly job of this kiosk failed."""
        self.ensure_one()
        partners = self._notified_partners()
        if partners:
            # sudo: the cron's user need not be allowed to post notifications on a kiosk.
            self.env["mail.thread"].sudo().message_notify(
                model=self._name, res_id=self.id, partner_ids=partners.ids,
                subject=self.env._("Payment kiosk %(kiosk)s: nightly job failed", kiosk=self.name), body=message,
            )

    # ------------------------------------------------------------------------------------------
    # Import of payments files (PK-3)
    # ------------------------------------------------------------------------------------------
    def action_import_payments(self):
        self._check_admin_access()
        processed = self.env["connectic.kiosk.file"]
        for kiosk in self:
            processed |= kiosk.with_company(kiosk.company_id)._import_remote_files()
        states = dict(processed._fields["state"]._description_selection(self.env))
        summary = "\n".join(f"{f.name}: {states[f.state]}" for f in processed)
        kind = "warning" if "rejected" in processed.mapped("state") else "info"
        return self._notification(self.env._("Payments import"), summary or self.env._("No new payments file."), kind)

    @api.model
    def _cron_import_payments(self):
        for kiosk in self.search([("active", "=", True)]):
            self._run_job(kiosk, kiosk.with_company(kiosk.company_id)._import_remote_files)

    def _take_import_lock(self):
        """Take this kiosk's import lock until the transaction ends, or refuse: two workers (nightly job,
        button, manual upload) never import the same kiosk at once. A transaction lock is released by
        whatever ends the transaction, commit or rollback: an aborted import never leaves it taken."""
        self.ensure_one()
        if not self._try_import_lock():
            raise UserError(
                self.env._("An import of kiosk %(kiosk)s is already running; try again later.", kiosk=self.name)
            )

    def _try_import_lock(self):
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (IMPORT_LOCK_NAMESPACE, self.id))
        return self.env.cr.fetchone()[0]

    def _commit_keeping_lock(self):
        """Commit, then take the import lock again (the commit released it). False when another worker
        took it in between: that worker carries on and finds what was committed here."""
        if not self._auto_commit():
            return True
        self._commit()
        return self._try_import_lock()

    def _payments_max_size(self):
        """Largest payments file accepted, in bytes."""
        return int(self.payments_max_size_mb * MEGABYTE)

    def _import_remote_files(self):
        """Import every new payments file of the inbound folder, then move it away.

        Each file is committed before its remote move: if the move fails (or the process dies), the
        next run finds the file recorded by name and SHA-256 and only archives it. A file over the size
        limit is refused without being downloaded.
        """
        self.ensure_one()
        self._check_ready()
        self._take_import_lock()
        done = self.env["connectic.kiosk.file"]
        with self._sftp_session() as client:
            names = [n for n in client.list_files(self.path_inbound) if PAYMENTS_FILE_NAME.fullmatch(n)]
            for name in names:
                remote_path = posixpath.join(self.path_inbound, name)
                try:
                    size = client.size(remote_path)
                    data = client.read(remote_path) if size <= self._payments_max_size() else None
                except SftpError as error:
                    if not client.exists(remote_path):
                        continue  # taken away by someone else meanwhile: nothing to do
                    raise UserError(self._sftp_error_message(error)) from None
                if data is None:
                    kiosk_file = self._reject_oversized(name, size, origin="sftp")
                else:
                    kiosk_file = self._import_file(name, data, origin="sftp")
                done |= kiosk_file
                if not self._commit_keeping_lock():
                    _logger.info("kiosk %s: another worker took over the import after %s", self.id, name)
                    return done
                self._move_remote(client, kiosk_file, remote_path)
                if not self._commit_keeping_lock():
                    _logger.info("kiosk %s: another worker took over the import after %s", self.id, name)
                    return done
        self.write({"last_import_date": fields.Datetime.now(), "last_error": False})
        return done

    def _move_remote(self, client, kiosk_file, remote_path):
        if kiosk_file.state == "rejected":
            client.upload_atomic(self.path_error, f"{kiosk_file.name}.errors.txt",
                                 kiosk_file.error_report.encode("utf-8"))
            target = client.move(remote_path, self.path_error)
        else:
            target = client.move(remote_path, self.path_archive)
        kiosk_file.remote_path = target

    def _import_file(self, name, data, origin, owner=None):
        """Record, check and import one payments file: all its payments or none.

        Returns the connectic.kiosk.file (state imported, duplicate or rejected).
        """
        self.ensure_one()
        self._check_ready()
        self._take_import_lock()
        if len(data) > self._payments_max_size():
            return self._reject_oversized(name, len(data), origin, owner)
        KioskFile = self.env["connectic.kiosk.file"].sudo()
        sha256 = hashlib.sha256(data).hexdigest()
        values = {
            "kiosk_id": self.id, "name": name, "sha256": sha256, "origin": origin,
            "user_id": owner.id if owner else False, "size": len(data),
        }
        previous = KioskFile.search([("kiosk_id", "=", self.id), ("name", "=", name),
                                     ("sha256", "=", sha256), ("state", "=", "imported")], limit=1)
        if previous:
            # Archived without importing, and told like any other file: the group may be waiting
            # for this night's receipts, and a kiosk sending a file twice is worth knowing.
            kiosk_file = KioskFile.create({**values, "state": "duplicate", "duplicate_of_id": previous.id})
            kiosk_file._notify_users()
            return kiosk_file
        parsed = kiosk_files.parse_payments(data, self.entity_code, self.currency_id.name)
        errors = parsed.errors
        partner_by_line = {}
        if parsed.valid:
            errors, partner_by_line = self._check_in_database(parsed.payments)
        attachment_values = {"name": name, "raw": data, "mimetype": "text/csv", "res_model": KioskFile._name}
        if errors:
            kiosk_file = KioskFile.create({
                **values, "state": "rejected", "error_count": len(errors),
                "error_report": self._error_report(name, errors),
            })
        else:
            with self.env.cr.savepoint():
                kiosk_file = KioskFile.create({
                    **values, "state": "imported", "line_count": len(parsed.payments),
                    "amount_total": float(parsed.total),
                })
                self._create_payments(kiosk_file, parsed.payments, partner_by_line, owner)
        kiosk_file.attachment_id = self.env["ir.attachment"].sudo().create(
            {**attachment_values, "res_id": kiosk_file.id}
        )
        kiosk_file._notify_users()
        return kiosk_file

    def _reject_oversized(self, name, size, origin, owner=None):
        """Record a payments file refused for its size, unread (no SHA-256, no copy), and tell the users."""
        limit = self._payments_max_size()
        error = kiosk_files.LineError(0, "", "file_too_large", {
            "size": formatLang(self.env, size, digits=0), "limit": formatLang(self.env, limit, digits=0),
        })
        kiosk_file = self.env["connectic.kiosk.file"].sudo().create({
            "kiosk_id": self.id, "name": name, "origin": origin, "user_id": owner.id if owner else False,
            "size": min(size, MAX_INT4), "state": "rejected", "error_count": 1,
            "error_report": self._error_report(name, [error]),
        })
        kiosk_file._notify_users()
        return kiosk_file

    def _check_in_database(self, payments):
        """Errors needing the database: customer reference and transaction already imported by this
        kiosk (two queries for the whole file)."""
        refs = {p.account_ref for p in payments}
        partners = self.env["res.partner"].sudo().search_fetch(
            [("ref", "in", list(refs)), ("company_id", "in", [False, self.company_id.id])], ["ref"]
        )
        by_ref = defaultdict(list)
        for partner in partners:
            by_ref[partner.ref].append(partner.id)
        # A kiosk's transaction ids are its own: another kiosk may use the same ones.
        imported = set(self.env["account.payment"].sudo().search_fetch(
            [("connectic_kiosk_id", "=", self.id),
             ("connectic_transaction_id", "in", [p.transaction_id for p in payments])],
            ["connectic_transaction_id"],
        ).mapped("connectic_transaction_id"))
        errors, partner_by_line = [], {}
        for payment in payments:
            matches = by_ref.get(payment.account_ref, [])
            if not matches:
                errors.append(kiosk_files.LineError(payment.line, "account_ref", "unknown_customer",
                                                    {"value": payment.account_ref}))
            elif len(matches) > 1:
                errors.append(kiosk_files.LineError(payment.line, "account_ref", "ambiguous_customer",
                                                    {"value": payment.account_ref, "count": len(matches)}))
            else:
                partner_by_line[payment.line] = matches[0]
            if payment.transaction_id in imported:
                errors.append(kiosk_files.LineError(payment.line, "transaction_id", "already_imported",
                                                    {"transaction_id": payment.transaction_id}))
        return errors, partner_by_line

    def _default_receipt_journal(self):
        return self.env["account.journal"].search([
            *self.env["account.journal"]._check_company_domain(self.company_id),
            ("type", "in", ("cash", "bank")),
        ], order="type, sequence, id", limit=1)

    def _create_payments(self, kiosk_file, payments, partner_by_line, owner):
        default_journal = None
        memo = self.env._("Kiosk %(kiosk)s, transaction %(transaction)s")
        kiosk_tz = pytz.timezone(self.tz)
        vals_list = []
        for payment in payments:
            journal = self[METHOD_JOURNAL_FIELDS[payment.method]]
            if not journal:
                # account.payment requires a journal: a placeholder the user must confirm or change.
                default_journal = default_journal or self._default_receipt_journal()
                if not default_journal:
                    raise UserError(self.env._("Company %(company)s has no cash or bank journal to receive kiosk "
                                               "payments.", company=self.company_id.name))
            vals_list.append({
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": partner_by_line[payment.line],
                "amount": float(payment.amount),
                "currency_id": self.currency_id.id,
                "date": payment.paid_at.date(),
                "journal_id": (journal or default_journal).id,
                "company_id": self.company_id.id,
                "memo": memo % {"kiosk": payment.kiosk_id, "transaction": payment.transaction_id},
                "connectic_transaction_id": payment.transaction_id,
                "connectic_file_id": kiosk_file.id,
                "connectic_kiosk_id": self.id,
                "connectic_terminal": payment.kiosk_id,
                "connectic_method": payment.method.lower(),
                "connectic_paid_at": kiosk_tz.localize(payment.paid_at).astimezone(pytz.utc).replace(tzinfo=None),
                "connectic_journal_to_check": not journal,
                "connectic_user_id": owner.id if owner else False,
            })
        Payment = self.env["account.payment"].sudo().with_context(
            tracking_disable=True, mail_create_nolog=True, mail_notrack=True,
        )
        if self.env["account.move"]._get_invoice_in_payment_state() != "in_payment":
            # Without full accounting, account.payment.create() looks up and writes a fallback
            # outstanding account payment by payment; look it up once and let the compute use it.
            probe = Payment.new({"payment_type": "inbound", "company_id": self.company_id.id})
            account = probe._get_outstanding_account("inbound")
            Payment = Payment.with_context(
                connectic_outstanding_accounts=((self.company_id.id, "inbound", account.id),)
            )
        return Payment.create(vals_list)

    def _error_message(self, error):
        """Translated reason of a LineError."""
        p = error.params
        messages = {
            "empty_file": lambda: self.env._("the file is empty"),
            "file_too_large": lambda: self.env._(
                "the file has %(size)s bytes, more than the %(limit)s bytes allowed by the kiosk setting "
                "«Largest payments file»: it was not read", **p),
            "bad_encoding": lambda: self.env._("the file is not UTF-8 text (byte %(position)s)", **p),
            "bad_csv": lambda: self.env._("unreadable CSV (%(reason)s)", **p),
            "bad_header": lambda: self.env._("the header must be %(expected)s", **p),
            "blank_line": lambda: self.env._("empty line"),
            "column_count": lambda: self.env._("%(count)s columns instead of %(expected)s", **p),
            "trailer_not_last": lambda: self.env._("the END trailer must be the last line"),
            "missing_trailer": lambda: self.env._("the END trailer line is missing: the file is incomplete"),
            "bad_trailer": lambda: self.env._("the trailer must be END;<number of payments>;<sum of amounts>"),
            "trailer_count": lambda: self.env._(
                "the trailer counts %(value)s payments, the file has %(expected)s", **p),
            "trailer_sum": lambda: self.env._(
                "the trailer total %(value)s differs from the sum of amounts %(expected)s", **p),
            "bad_transaction_id": lambda: self.env._(
                "invalid transaction id %(value)s (at most 40 letters, digits, '-' or '_')", **p),
            "missing_value": lambda: self.env._("value missing"),
            "bad_date": lambda: self.env._("invalid date-time %(value)s (expected YYYY-MM-DDTHH:MM:SS)", **p),
            "wrong_entity": lambda: self.env._("entity %(value)s is not this company's (%(expected)s)", **p),
            "bad_amount": lambda: self.env._(
                "invalid amount %(value)s (expected two decimals with a comma, e.g. 330,00)", **p),
            "amount_not_positive": lambda: self.env._("the amount %(value)s must be greater than zero", **p),
            "wrong_currency": lambda: self.env._("currency %(value)s is not the company's (%(expected)s)", **p),
            "unknown_method": lambda: self.env._("unknown payment method %(value)s (expected %(expected)s)", **p),
            "duplicate_in_file": lambda: self.env._(
                "transaction %(transaction_id)s already appears on line %(first_line)s", **p),
            "already_imported": lambda: self.env._("transaction %(transaction_id)s was already imported", **p),
            "unknown_customer": lambda: self.env._("no customer of the company has the reference %(value)s", **p),
            "ambiguous_customer": lambda: self.env._("%(count)s customers have the reference %(value)s", **p),
        }
        return messages[error.code]()

    def _error_report(self, name, errors):
        lines = [self.env._("Payments file %(name)s rejected: nothing was imported. %(count)s error(s):",
                            name=name, count=len(errors)), ""]
        for error in errors:
            where = self.env._("Line %(line)s", line=error.line) if error.line else self.env._("File")
            if error.column:
                where = self.env._("%(where)s, column %(column)s", where=where, column=error.column)
            lines.append(f"{where}: {self._error_message(error)}")
        return "\n".join(lines) + "\n"
