"""The local mail server of the e-mail channel: GreenMail standalone (SMTP + IMAP in one Java
process, mail kept in memory), fetched once from Maven Central into .cache/.

The ministry mailbox (`JAUAP_EMAIL_ADDRESS`, `JAUAP_EMAIL_USERNAME`, `JAUAP_EMAIL_PASSWORD`) is
created at start through GreenMail's system properties; mail to any other address creates that
mailbox on delivery (login and password: the address), which is where the citizens' mailboxes of
the e-mail sandbox come from. Everything is lost on stop, and each start gives the mailboxes a new
UIDVALIDITY, as a real server may after a mailbox is rebuilt."""

from __future__ import annotations

import shutil
import subprocess
import sys

from channels.email.settings import EmailSettings

from .install import InstallError
from .processes import ServerProcess
from .settings import CACHE, ROOT, StackSettings

GREENMAIL_VERSION = "2.1.13"  # the newest release; 2.1.x runs on Java 11+
GREENMAIL_ARTIFACT = f"com.icegreen:greenmail-standalone:{GREENMAIL_VERSION}"
GREENMAIL_JAR = CACHE / "greenmail" / f"greenmail-standalone-{GREENMAIL_VERSION}.jar"
MAIN_CLASS = "com.icegreen.greenmail.standalone.GreenMailStandaloneRunner"


def _say(message: str) -> None:
    print(f"[jauap install] {message}", file=sys.stderr, flush=True)


def installed() -> bool:
    return GREENMAIL_JAR.exists()


def install() -> None:
    if installed():
        _say(f"GreenMail present at {GREENMAIL_JAR.relative_to(ROOT)}")
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise InstallError("`mvn` is not on PATH: install Maven (and Java 17) to fetch GreenMail")
    _say(f"fetching GreenMail {GREENMAIL_VERSION} from Maven Central (one 10 MB jar, once)...")
    tmp = GREENMAIL_JAR.parent.with_name("greenmail.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [mvn, "-B", "-q", "dependency:copy", f"-Dartifact={GREENMAIL_ARTIFACT}", f"-DoutputDirectory={tmp}"]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-20:])
        raise InstallError(f"mvn dependency:copy {GREENMAIL_ARTIFACT} failed:\n{tail}")
    GREENMAIL_JAR.parent.mkdir(parents=True, exist_ok=True)
    (tmp / GREENMAIL_JAR.name).rename(GREENMAIL_JAR)
    shutil.rmtree(tmp, ignore_errors=True)
    _say("GreenMail ready")


def process(settings: StackSettings) -> ServerProcess:
    return ServerProcess("greenmail", settings.data_dir / "run")


def ministry_user(email: EmailSettings) -> tuple[str, str]:
    """GreenMail's `greenmail.users` entry (`local:password@domain`) and its login mode: GreenMail
    logs a user in either by the address's local part or by the whole address."""
    local, domain = email.address.rsplit("@", 1)
    if email.username == email.address:
        login = "email"
    elif email.username == local:
        login = "local_part"
    else:
        raise InstallError(
            f"the local mail server logs the mailbox in as {email.address!r} or {local!r}, not "
            f"{email.username!r}: set JAUAP_EMAIL_USERNAME to one of them (or unset it)"
        )
    password = email.password.get_secret_value()
    if any(c in password for c in ",:@ "):
        raise InstallError(
            "the local mail server cannot take ',', ':', '@' or spaces in JAUAP_EMAIL_PASSWORD"
        )
    return f"{local}:{password}@{domain}", login


def command(settings: StackSettings, java: str, email: EmailSettings | None = None) -> list[str]:
    email = email or EmailSettings()
    users, login = ministry_user(email)
    return [
        java,
        "-Xmx96m",
        "-XX:+UseSerialGC",
        "-Dgreenmail.hostname=127.0.0.1",
        "-Dgreenmail.smtp.hostname=127.0.0.1",
        f"-Dgreenmail.smtp.port={settings.smtp_port}",
        "-Dgreenmail.imap.hostname=127.0.0.1",
        f"-Dgreenmail.imap.port={settings.imap_port}",
        f"-Dgreenmail.users={users}",
        f"-Dgreenmail.users.login={login}",
        "-cp",
        str(GREENMAIL_JAR),
        MAIN_CLASS,
    ]
