"""Private mail servers: Debian's Dovecot (IMAP, with LMTP delivery) and Postfix (SMTP,
relaying to that LMTP), each started from a configuration of its own in a directory of
its own, listening on 127.0.0.1 on free ports. The mail integration's tests and
benchmark run them in temporary directories (``tests/integrations/mailservers.py``) and
stop them at the end; ``make up`` keeps a pair under ``.run/mail/`` for the demo mailbox
(:func:`start_kept` / :func:`stop_kept`, ``osprey demo-mail``). Nothing of the
system-wide configuration is read or changed (``deploy/local/install-mail.sh`` installs
the packages and leaves their daemons stopped).

Dovecot runs as the calling user when that is not root; as root, its mail belongs to
Debian's ``mail`` user (Dovecot refuses mail access as UID 0). Postfix's master must
start as root (it drops to the ``postfix`` user), so :class:`Postfix` needs root.
"""

from __future__ import annotations

import contextlib
import grp
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"


class MailServerMissing(RuntimeError):
    """Dovecot or Postfix is not installed (run deploy/local/install-mail.sh)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float, up: bool = True) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                listening = True
        except OSError:
            listening = False
        if listening == up:
            return
        if time.monotonic() > deadline:
            state = "listen" if up else "stop listening"
            raise TimeoutError(f"127.0.0.1:{port} did not {state} within {timeout:g}s")
        time.sleep(0.05)


def _run(argv: list[str], log: Path, check: bool = True) -> None:
    """Run a server's control command with its output appended to ``log``; on failure
    the error carries the log's tail."""
    with open(log, "ab") as out:
        result = subprocess.run(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, timeout=60
        )
    if check and result.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}):\n{tail}")


class Dovecot:
    """One Dovecot instance: IMAP on :attr:`imap_port`, LMTP on :attr:`lmtp_port`,
    any user name with :attr:`password` (a static passdb), mail in maildirs under
    :attr:`root`."""

    def __init__(
        self,
        root: Path | None = None,
        password: str = "s3cret-pass",
        *,
        imap_port: int | None = None,
        lmtp_port: int | None = None,
    ):
        if not os.path.exists(DOVECOT):
            raise MailServerMissing("dovecot is not installed: deploy/local/install-mail.sh")
        # absolute: Dovecot reads the paths of its configuration from its own directory
        self.root = Path(root or tempfile.mkdtemp(prefix="osprey-dovecot-")).absolute()
        self.imap_port = imap_port or free_port()
        self.lmtp_port = lmtp_port or free_port()
        self.password = password
        self.users: dict[str, str] = {}
        self.running = False
        if os.getuid() == 0:
            account = pwd.getpwnam("mail")
            self.uid, self.gid = account.pw_uid, account.pw_gid
            self.process_user = None  # Dovecot's own dovecot/dovenull users
        else:
            self.uid, self.gid = os.getuid(), os.getgid()
            self.process_user = pwd.getpwuid(self.uid).pw_name
        self.config = self.root / "dovecot.conf"

    # -- configuration

    def _write_config(self) -> None:
        # Dovecot's processes run as its own users and reach their directories here.
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        for name in ("run", "state", "mail"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        os.chown(self.root / "mail", self.uid, self.gid)
        own_users = ""
        if self.process_user is not None:
            group = grp.getgrgid(self.gid).gr_name
            own_users = (
                f"default_internal_user = {self.process_user}\n"
                f"default_internal_group = {group}\n"
                f"default_login_user = {self.process_user}\n"
            )
        self.config.write_text(
            f"""# A private Dovecot for Osprey (its tests, or the demo mailbox of make up).
instance_name = osprey-{self.imap_port}
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
info_log_path = {self.root}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# a wrong password is answered at once, not after Dovecot's growing penalty delay
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
# user@any.domain (LMTP's recipient, or a login) is the user "user"
auth_username_format = %Ln
{own_users}first_valid_uid = {self.uid}
last_valid_uid = {self.uid}
first_valid_gid = {self.gid}
mail_location = maildir:{self.root}/mail/%n
mail_fsync = never
maildir_very_dirty_syncs = yes
lmtp_save_to_detail_mailbox = no
recipient_delimiter =
passdb {{
  driver = static
  args = password={self.password}
}}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={self.root}/mail/%n
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {self.lmtp_port}
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0600
  }}
  unix_listener stats-writer {{
    mode = 0660
  }}
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
"""
        )

    def add_user(self, user: str, password: str) -> None:
        """A mail user (its maildir is made at its first login). Every user has the
        server's one password: a static passdb, because Dovecot rereads a passwd-file
        only some seconds after it changes, and a user made by a test logs in at once."""
        if password != self.password:
            raise ValueError(f"this Dovecot's users all have the password {self.password!r}")
        self.users[user] = password

    # -- life cycle

    def start(self) -> Dovecot:
        if self.running:
            return self
        # Written each time: a kept server may start again on other ports.
        self._write_config()
        # Not captured: the daemon's children inherit the pipes and keep them open.
        _run([DOVECOT, "-c", str(self.config)], self.root / "start.log")
        self.running = True
        wait_for_port(self.imap_port, 15)
        wait_for_port(self.lmtp_port, 15)
        return self

    def stop(self) -> None:
        if not self.running:
            return
        _run([DOVECOT, "-c", str(self.config), "stop"], self.root / "start.log", check=False)
        self.running = False
        wait_for_port(self.imap_port, 15, up=False)

    def crash(self) -> None:
        """Drop every open IMAP session and stop the server (an outage in the middle of
        a sync: ``stop`` alone lets open sessions finish)."""
        _run([DOVEADM, "-c", str(self.config), "kick", "*"], self.root / "start.log", check=False)
        self.stop()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def maildir(self, user: str) -> Path:
        return self.root / "mail" / user

    def log(self) -> str:
        with contextlib.suppress(FileNotFoundError):
            return (self.root / "dovecot.log").read_text(errors="replace")
        return ""


class Postfix:
    """One Postfix instance on 127.0.0.1:``smtp_port`` that takes mail for any address
    and hands every message to a Dovecot's LMTP (local part = the mailbox user)."""

    def __init__(
        self,
        dovecot: Dovecot,
        root: Path | None = None,
        domains: tuple[str, ...] = (),
        *,
        smtp_port: int | None = None,
    ):
        if not os.path.exists(POSTFIX):
            raise MailServerMissing("postfix is not installed: deploy/local/install-mail.sh")
        if os.getuid() != 0:
            raise MailServerMissing("postfix's master process must be started as root")
        self.dovecot = dovecot
        self.root = Path(root or tempfile.mkdtemp(prefix="osprey-postfix-")).absolute()
        self.smtp_port = smtp_port or free_port()
        self.domains = domains or ("osprey.test", "example.com", "example.org", "customer.test")
        self.config_dir = self.root / "etc"
        self.running = False

    def _write_config(self) -> None:
        # Postfix's daemons run as its own user and must reach their directories here.
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        self.config_dir.mkdir(parents=True, exist_ok=True)
        queue = self.root / "spool"
        data = self.root / "data"
        queue.mkdir(exist_ok=True)
        data.mkdir(exist_ok=True)
        postfix = pwd.getpwnam("postfix")
        os.chown(data, postfix.pw_uid, postfix.pw_gid)
        # the master.cf Debian ships, with smtpd on our port instead of 25
        master = Path("/etc/postfix/master.cf").read_text()
        lines = []
        for line in master.splitlines():
            if line.startswith("smtp ") and " inet " in line:
                line = f"127.0.0.1:{self.smtp_port} " + line.split(None, 1)[1]
            lines.append(line)
        (self.config_dir / "master.cf").write_text("\n".join(lines) + "\n")
        (self.config_dir / "main.cf").write_text(
            f"""# A private Postfix for Osprey (its tests, or the demo mailbox of make up).
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.osprey.test
mydomain = osprey.test
myorigin = osprey.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
mynetworks = 127.0.0.0/8
relay_domains =
virtual_transport = lmtp:inet:127.0.0.1:{self.dovecot.lmtp_port}
virtual_mailbox_domains = {" ".join(self.domains)}
virtual_mailbox_maps = static:ok
virtual_alias_maps =
local_recipient_maps =
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
message_size_limit = 52428800
maillog_file = {self.root}/postfix.log
maillog_file_prefixes = {self.root}
syslog_name = osprey-postfix-{self.smtp_port}
smtputf8_enable = yes
biff = no
delay_warning_time = 0
lmtp_destination_recipient_limit = 1
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
alias_maps =
alias_database =
"""
        )

    def start(self) -> Postfix:
        if self.running:
            return self
        self._write_config()
        _run([POSTFIX, "-c", str(self.config_dir), "start"], self.root / "start.log")
        self.running = True
        wait_for_port(self.smtp_port, 20)
        return self

    def stop(self) -> None:
        if not self.running:
            return
        _run([POSTFIX, "-c", str(self.config_dir), "stop"], self.root / "start.log", check=False)
        self.running = False
        wait_for_port(self.smtp_port, 20, up=False)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Postfix:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def log(self) -> str:
        with contextlib.suppress(FileNotFoundError):
            return (self.root / "postfix.log").read_text(errors="replace")
        return ""


@contextlib.contextmanager
def mail_servers() -> Iterator[tuple[Dovecot, Postfix]]:
    with Dovecot() as dovecot, Postfix(dovecot) as postfix:
        yield dovecot, postfix


# --- the pair make up keeps (the demo mailbox) ------------------------------------------------

#: What :func:`start_kept` remembers under its directory: the password and the ports.
KEPT_STATE = "servers.json"


@dataclass(frozen=True)
class KeptServers:
    """The kept servers as started: Dovecot's IMAP and LMTP ports and its one password;
    ``smtp_port`` None when no Postfix runs (``no_postfix`` says why)."""

    root: Path
    password: str
    imap_port: int
    lmtp_port: int
    smtp_port: int | None
    no_postfix: str | None = None


def start_kept(root: Path) -> KeptServers:
    """Start the Dovecot (and, where it can run, the Postfix) kept under ``root``: the
    ones started before are stopped first, the mail delivered before stays, the password
    and the ports stay the same while those ports are free. Raises
    :class:`MailServerMissing` without Dovecot."""
    root = root.absolute()
    root.mkdir(parents=True, exist_ok=True)
    state = stop_kept(root)
    password = state.get("password") or secrets.token_urlsafe(12)
    dovecot = Dovecot(
        root / "dovecot",
        password,
        imap_port=_free_or_none(state.get("imap_port")),
        lmtp_port=_free_or_none(state.get("lmtp_port")),
    )
    smtp_port: int | None = None
    no_postfix: str | None = None
    # Written before anything starts, so `stop_kept` finds what to stop even when
    # starting fails half-way.
    _write_state(root, password, dovecot.imap_port, dovecot.lmtp_port, None)
    dovecot.start()
    try:
        postfix = Postfix(
            dovecot, root / "postfix", smtp_port=_free_or_none(state.get("smtp_port"))
        )
    except MailServerMissing as exc:
        no_postfix = str(exc)
    else:
        _write_state(root, password, dovecot.imap_port, dovecot.lmtp_port, postfix.smtp_port)
        postfix.start()
        smtp_port = postfix.smtp_port
    return KeptServers(root, password, dovecot.imap_port, dovecot.lmtp_port, smtp_port, no_postfix)


def stop_kept(root: Path) -> dict[str, Any]:
    """Stop the servers :func:`start_kept` started under ``root`` (nothing when none
    ran); what it had remembered (``{}`` when nothing), with ``was_running``."""
    root = root.absolute()
    try:
        state = json.loads((root / KEPT_STATE).read_text())
    except (FileNotFoundError, ValueError):
        return {}
    state["was_running"] = any(
        isinstance(state.get(name), int) and _free_or_none(state[name]) is None
        for name in ("imap_port", "smtp_port")
    )
    if state.get("smtp_port") and (root / "postfix" / "etc" / "main.cf").exists():
        log = root / "postfix" / "start.log"
        _run([POSTFIX, "-c", str(root / "postfix" / "etc"), "stop"], log, check=False)
        with contextlib.suppress(TimeoutError):
            wait_for_port(state["smtp_port"], 20, up=False)
    if state.get("imap_port") and (root / "dovecot" / "dovecot.conf").exists():
        log = root / "dovecot" / "start.log"
        _run([DOVECOT, "-c", str(root / "dovecot" / "dovecot.conf"), "stop"], log, check=False)
        with contextlib.suppress(TimeoutError):
            wait_for_port(state["imap_port"], 15, up=False)
    return state


def _free_or_none(port: Any) -> int | None:
    if not isinstance(port, int):
        return None
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # as the servers bind: a port that only holds closed connections (TIME_WAIT) is
        # free for them; one a server listens on is not
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return None
    return port


def _write_state(
    root: Path, password: str, imap_port: int, lmtp_port: int, smtp_port: int | None
) -> None:
    path = root / KEPT_STATE
    path.touch(mode=0o600)
    path.chmod(0o600)  # it holds the password
    path.write_text(
        json.dumps(
            {
                "password": password,
                "imap_port": imap_port,
                "lmtp_port": lmtp_port,
                "smtp_port": smtp_port,
            }
        )
    )
