"""A private OpenSSH SFTP server on 127.0.0.1 for the demo and the tests (PK-8).

Plain Python, no Odoo import. It starts the system's `sshd` binary with its own generated host key
and its own configuration in a temporary folder: no system configuration is read or changed. Logins
use a generated client key (and a password when the account has one); the SFTP subsystem is
OpenSSH's `internal-sftp`, started in the server's data folder, which holds the kiosk folders
`outbound`, `inbound`, `archive` and `error`.

Run as a script to serve until interrupted (used by the demo):

    python sshd.py --base-dir DIR [--port N] [--env-file FILE]
"""
import argparse
import getpass
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SSHD = "/usr/sbin/sshd"  # sshd re-executes itself and so must be started by absolute path
SSH_KEYGEN = shutil.which("ssh-keygen") or "/usr/bin/ssh-keygen"
KIOSK_FOLDERS = ("outbound", "inbound", "archive", "error")
PRIVSEP_DIR = "/run/sshd"


class SshdError(RuntimeError):
    """The local sshd could not be started."""


def free_port():
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def generate_key(path):
    """An ed25519 key pair at path / path.pub (OpenSSH format, mode 0600); returns the public line."""
    for stale in (path, path + ".pub"):
        if os.path.exists(stale):
            os.remove(stale)
    subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "kiosk", "-f", path],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with open(path + ".pub", encoding="ascii") as handle:
        return handle.read().strip()


class LocalSftpServer:
    """One sshd process serving SFTP on 127.0.0.1.

    :param base_dir: folder for configuration, keys, logs and data (a new temporary one by default)
    :param user: the OS account allowed to log in (default: the current user)
    :param password_login: also accept the account's password (it needs a real password)
    """

    def __init__(self, base_dir=None, user=None, port=None, password_login=False):
        self.base_dir = base_dir or tempfile.mkdtemp(prefix="kiosk-sftp-")
        self._own_base_dir = base_dir is None
        self.user = user or getpass.getuser()
        self.port = port
        self.password_login = password_login
        self.process = None
        self.etc_dir = os.path.join(self.base_dir, "etc")
        self.data_dir = os.path.join(self.base_dir, "data")
        self.host_key_path = os.path.join(self.etc_dir, "ssh_host_ed25519_key")
        self.client_key_path = os.path.join(self.etc_dir, "client_ed25519_key")
        self.config_path = os.path.join(self.etc_dir, "sshd_config")
        self.log_path = os.path.join(self.base_dir, "sshd.log")
        self.host_key = None  # "ssh-ed25519 AAAA…" as pinned by the ERP

    # -- keys and files ------------------------------------------------------------------------
    @property
    def client_private_key(self):
        with open(self.client_key_path, encoding="ascii") as handle:
            return handle.read()

    def _prepare(self):
        os.makedirs(self.etc_dir, exist_ok=True)
        os.chmod(self.base_dir, 0o755)  # the login user must reach its data folder
        os.chmod(self.etc_dir, 0o700)
        for folder in KIOSK_FOLDERS:
            os.makedirs(os.path.join(self.data_dir, folder), exist_ok=True)
        account = pwd.getpwnam(self.user)
        if os.geteuid() == 0 and account.pw_uid != 0:
            for root, dirs, _files in os.walk(self.data_dir):
                for name in [root] + [os.path.join(root, d) for d in dirs]:
                    os.chown(name, account.pw_uid, account.pw_gid)
        if not os.path.exists(self.host_key_path):
            generate_key(self.host_key_path)
        with open(self.host_key_path + ".pub", encoding="ascii") as handle:
            self.host_key = " ".join(handle.read().split()[:2])
        if not os.path.exists(self.client_key_path):
            generate_key(self.client_key_path)
        with open(self.client_key_path + ".pub", encoding="ascii") as handle:
            public = handle.read()
        authorized = os.path.join(self.etc_dir, "authorized_keys")
        with open(authorized, "w", encoding="ascii") as handle:
            handle.write(public)
        os.chmod(authorized, 0o644)
        if os.geteuid() == 0 and not os.path.isdir(PRIVSEP_DIR):
            # sshd's privilege-separation directory, normally created by the service manager.
            os.makedirs(PRIVSEP_DIR, mode=0o755)
        with open(self.config_path, "w", encoding="ascii") as handle:
            handle.write(self._config(authorized))

    def _config(self, authorized_keys):
        yes_no = "yes" if self.password_login else "no"
        return "\n".join([
            f"Port {self.port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {self.host_key_path}",
            f"PidFile {os.path.join(self.base_dir, 'sshd.pid')}",
            f"AuthorizedKeysFile {authorized_keys}",
            # The temporary folder is world-writable: ownership checks would refuse the key file.
            "StrictModes no",
            "PubkeyAuthentication yes",
            f"PasswordAuthentication {yes_no}",
            "KbdInteractiveAuthentication no",
            "PermitEmptyPasswords no",
            "PermitRootLogin prohibit-password",
            "UsePAM no",
            f"AllowUsers {self.user}",
            "AllowTcpForwarding no",
            "X11Forwarding no",
            "PermitTTY no",
            "MaxStartups 50",
            f"ForceCommand internal-sftp -d {self.data_dir}",
            f"Subsystem sftp internal-sftp -d {self.data_dir}",
            "LogLevel INFO",
            "",
        ])

    # -- process -------------------------------------------------------------------------------
    def start(self, timeout=10):
        if self.process and self.process.poll() is None:
            return self
        if not os.path.exists(SSHD):
            raise SshdError(f"{SSHD} not found: install openssh-server")
        self.port = self.port or free_port()
        self._prepare()
        check = subprocess.run([SSHD, "-t", "-f", self.config_path], capture_output=True, text=True)
        if check.returncode:
            raise SshdError(f"sshd refused its configuration: {check.stderr.strip()}")
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        self.process = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", self.config_path], stdout=log, stderr=log, stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SshdError(f"sshd exited with status {self.process.returncode}: {self.read_log()[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(8).startswith(b"SSH-"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise SshdError(f"sshd did not answer on port {self.port} within {timeout} s")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def rotate_host_key(self):
        """Restart with a new host key on the same port (what a reinstalled or spoofed server shows)."""
        self.stop()
        os.remove(self.host_key_path)
        self.start()
        return self.host_key

    def cleanup(self):
        self.stop()
        if self._own_base_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def read_log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except OSError:
            return ""

    # -- data folder helpers for tests and the simulator ---------------------------------------
    def path(self, *parts):
        return os.path.join(self.data_dir, *parts)

    def list(self, folder):
        return sorted(os.listdir(self.path(folder)))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-dir", required=True)
    parser.add_argument("--port", type=int)
    parser.add_argument("--env-file", help="write KIOSK_SFTP_* shell variables there once started")
    args = parser.parse_args(argv)
    os.makedirs(args.base_dir, exist_ok=True)
    server = LocalSftpServer(base_dir=args.base_dir, port=args.port)
    server.start()
    if args.env_file:
        with open(args.env_file, "w", encoding="utf-8") as handle:
            handle.write(
                f"KIOSK_SFTP_PORT={server.port}\nKIOSK_SFTP_USER={server.user}\n"
                f"KIOSK_SFTP_HOST_KEY_FILE={server.host_key_path}.pub\n"
                f"KIOSK_SFTP_CLIENT_KEY_FILE={server.client_key_path}\n"
                f"KIOSK_SFTP_DATA_DIR={server.data_dir}\n"
            )
    sys.stdout.write(f"kiosk SFTP server on 127.0.0.1:{server.port} (data {server.data_dir})\n")
    sys.stdout.flush()

    def shutdown(*_args):
        server.stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    while server.process and server.process.poll() is None:
        time.sleep(1)
    sys.exit(1)


if __name__ == "__main__":
    main()
