"""SFTP client of the kiosk exchange, on paramiko (PK-1). Plain Python, no Odoo import.

The server's host key is pinned: a server showing no key we know, or another key, is refused before
any credential is sent. Errors are `SftpError` with a `kind` and parameters that never contain a
secret, so that callers can build a translated message and log it safely.
"""
import base64
import hashlib
import io
import posixpath
import socket
import stat

import paramiko

KEY_CLASSES = {
    "ssh-ed25519": paramiko.Ed25519Key,
    "ssh-rsa": paramiko.RSAKey,
    "ecdsa-sha2-nistp256": paramiko.ECDSAKey,
    "ecdsa-sha2-nistp384": paramiko.ECDSAKey,
    "ecdsa-sha2-nistp521": paramiko.ECDSAKey,
}
# Host key algorithms to ask the server for, given the pinned key type.
HOST_KEY_ALGORITHMS = {
    "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
}


class SftpError(Exception):
    """kind: config, connect, host_key_unknown, host_key_changed, auth, io."""

    def __init__(self, kind, **params):
        self.kind = kind
        self.params = params
        details = ", ".join(f"{k}={v}" for k, v in sorted(params.items()))
        super().__init__(f"SFTP {kind}" + (f" ({details})" if details else ""))


def fingerprint(key):
    """OpenSSH-style SHA256 fingerprint of a paramiko key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def key_line(key):
    """The `type base64` line of a public key, as in known_hosts or a .pub file."""
    return f"{key.get_name()} {key.get_base64()}"


def parse_host_key(text):
    """A public key from a `.pub` or known_hosts line (`[host] type base64 [comment]`)."""
    words = (text or "").split()
    for index, word in enumerate(words[:-1]):
        if word in KEY_CLASSES:
            try:
                return paramiko.PKey.from_type_string(word, base64.b64decode(words[index + 1]))
            except Exception as exc:  # noqa: BLE001 - any decoding failure means a bad setting
                raise SftpError("config", field="host_key", reason=str(exc)) from None
    raise SftpError("config", field="host_key", reason="no supported key type found")


def load_private_key(text, passphrase=None):
    """A private key from its PEM/OpenSSH text, whatever its type."""
    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return key_class.from_private_key(io.StringIO(text), password=passphrase)
        except (paramiko.SSHException, ValueError, TypeError):
            continue
    # The key text itself is a secret: report only that it could not be read.
    raise SftpError("config", field="private_key", reason="unreadable private key")


def _open_transport(host, port, timeout, key_types=None):
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise SftpError("connect", host=host, port=port, reason=exc.strerror or str(exc)) from None
    transport = paramiko.Transport(sock)
    transport.banner_timeout = timeout
    transport.auth_timeout = timeout
    if key_types:
        transport.get_security_options().key_types = key_types
    try:
        transport.start_client(timeout=timeout)
    except (paramiko.SSHException, OSError, EOFError) as exc:
        transport.close()
        raise SftpError("connect", host=host, port=port, reason=str(exc) or type(exc).__name__) from None
    return transport


def fetch_host_key(host, port, timeout=10):
    """The host key the server shows now (to pin it after checking its fingerprint)."""
    transport = _open_transport(host, port, timeout)
    try:
        return transport.get_remote_server_key()
    finally:
        transport.close()


class KioskSftp:
    """One SFTP session; use as a context manager.

    Paths are relative to the login's start folder unless absolute.
    """

    def __init__(self, host, port, user, host_key, password=None, private_key=None, timeout=15):
        self.host, self.port, self.user = host, int(port or 22), user
        self.host_key = host_key
        self._password = password
        self._private_key = private_key
        self.timeout = timeout
        self._transport = None
        self.sftp = None

    def connect(self):
        if not self.host or not self.user:
            raise SftpError("config", field="host/user", reason="missing")
        if not self.host_key:
            # Nothing pinned: refuse, but say which key is shown so the administrator can check it.
            offered = fetch_host_key(self.host, self.port, self.timeout)
            raise SftpError("host_key_unknown", host=self.host, port=self.port,
                            fingerprint=fingerprint(offered), key=key_line(offered))
        pinned = parse_host_key(self.host_key)
        pkey = load_private_key(self._private_key) if self._private_key else None
        if not pkey and not self._password:
            raise SftpError("config", field="credentials", reason="no password nor private key")
        key_types = HOST_KEY_ALGORITHMS.get(pinned.get_name(), [pinned.get_name()])
        transport = _open_transport(self.host, self.port, self.timeout, key_types=key_types)
        try:
            offered = transport.get_remote_server_key()
            if offered.asbytes() != pinned.asbytes():
                raise SftpError("host_key_changed", host=self.host, port=self.port,
                                expected=fingerprint(pinned), fingerprint=fingerprint(offered))
            authenticated = False
            try:
                if pkey:
                    transport.auth_publickey(self.user, pkey)
                    authenticated = transport.is_authenticated()
                if not authenticated and self._password:
                    transport.auth_password(self.user, self._password)
                    authenticated = transport.is_authenticated()
            except paramiko.AuthenticationException:
                authenticated = False
            except (paramiko.SSHException, OSError, EOFError) as exc:
                raise SftpError("connect", host=self.host, port=self.port, reason=str(exc)) from None
            if not authenticated:
                raise SftpError("auth", host=self.host, port=self.port, user=self.user)
            self.sftp = paramiko.SFTPClient.from_transport(transport)
            self.sftp.get_channel().settimeout(self.timeout * 4)
        except BaseException:
            transport.close()
            raise
        self._transport = transport
        return self

    def close(self):
        if self.sftp:
            self.sftp.close()
        if self._transport:
            self._transport.close()
        self.sftp = self._transport = None

    def __enter__(self):
        return self.connect()

    def __exit__(self, *exc):
        self.close()

    def _io(self, action, path, call, *args):
        try:
            return call(*args)
        # paramiko.SFTPError: a protocol failure of the server (garbage packet, bad answer).
        except (OSError, paramiko.SSHException, paramiko.SFTPError, EOFError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise SftpError("io", action=action, path=path, reason=reason) from None

    # -- operations ----------------------------------------------------------------------------
    def list_files(self, folder):
        """Names of the regular files of a folder, sorted."""
        entries = self._io("list", folder, self.sftp.listdir_attr, folder)
        return sorted(e.filename for e in entries if stat.S_ISREG(e.st_mode or 0))

    def size(self, path):
        """Size in bytes of a remote file, from its attributes (the file is not read)."""
        return self._io("stat", path, self.sftp.stat, path).st_size or 0

    def exists(self, path):
        try:
            self.sftp.stat(path)
            return True
        except FileNotFoundError:
            return False
        except (OSError, paramiko.SSHException, paramiko.SFTPError) as exc:
            raise SftpError("io", action="stat", path=path, reason=str(exc)) from None

    # KioskSftp is a plain SFTP client, not an Odoo model: there is no super().read() to call.
    def read(self, path):  # pylint: disable=method-required-super
        def _read():
            with self.sftp.open(path, "rb") as handle:
                handle.prefetch()
                return handle.read()
        return self._io("read", path, _read)

    def upload_atomic(self, folder, name, data):
        """Write `folder/.name.part`, then rename it to `folder/name` (replacing a previous one)."""
        temporary = posixpath.join(folder, f".{name}.part")
        final = posixpath.join(folder, name)

        def _write():
            with self.sftp.open(temporary, "wb") as handle:
                handle.set_pipelined(True)
                handle.write(data)
            # posix-rename replaces atomically; plain SFTP rename refuses an existing target.
            self.sftp.posix_rename(temporary, final)
        self._io("upload", final, _write)
        return final

    def move(self, path, folder):
        """Move a file into folder, under a new name if that one is taken (nothing is overwritten)."""
        name = posixpath.basename(path)
        target = posixpath.join(folder, name)
        counter = 1
        while self.exists(target):
            stem, dot, extension = name.rpartition(".")
            target = posixpath.join(folder, f"{stem}.{counter}{dot}{extension}" if dot else f"{name}.{counter}")
            counter += 1
        self._io("move", f"{path} -> {target}", self.sftp.rename, path, target)
        return target
