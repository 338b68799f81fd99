"""A vrrp_instance's authentication block: VRRPv2's simple password (PASS) only."""

from __future__ import annotations

from vrrpd.config.keepalived_blocks import Section, dispatch
from vrrpd.config.keepalived_drafts import AuthDraft, InstanceDraft
from vrrpd.config.keepalived_syntax import Statement
from vrrpd.config.keepalived_values import ValueReader
from vrrpd.config.loader import AUTH_PASS_MAX
from vrrpd.protocol.model import AuthType


def _auth_type(r: ValueReader, stmt: Statement, path: str, a: AuthDraft) -> None:
    token = r.one(stmt, path, "PASS")
    if token is None:
        return
    if token.text == "PASS":
        a.auth_type = AuthType.PASS
    elif token.text == "AH":
        a.auth_type = AuthType.AH
        fix = "use auth_type PASS, or remove authentication on every node"
        r.report.error(token, path, "AH authentication is not supported", fix)
    else:
        r.report.error(token, path, f"unknown auth_type {token.text!r}", "use PASS")


def _auth_pass(r: ValueReader, stmt: Statement, path: str, a: AuthDraft) -> None:
    token = r.one(stmt, path, "secret12")
    if token is None:
        return
    secret = token.text.encode()
    if len(secret) <= AUTH_PASS_MAX:
        a.secret = secret
        return
    # RFC 3768 §5.3.10: the password field is 8 bytes; Keepalived keeps the first 8.
    cut = secret[:AUTH_PASS_MAX]
    try:
        shown = cut.decode()
    except UnicodeDecodeError:
        fix = f"use at most {AUTH_PASS_MAX} bytes"
        r.report.error(token, path, "the first 8 bytes cut a character in two", fix)
        return
    r.report.warn(
        token,
        path,
        f"is {len(secret)} bytes long; Keepalived uses only the first {AUTH_PASS_MAX} "
        f"({shown!r}), and so does this conversion",
        f"write `auth_pass {shown}` to say so",
    )
    a.secret = cut


AUTHENTICATION: Section[AuthDraft] = Section(
    "authentication", {"auth_type": _auth_type, "auth_pass": _auth_pass}
)


def authentication(r: ValueReader, stmt: Statement, path: str, d: InstanceDraft) -> None:
    """The vrrp_instance handler of `authentication { auth_type PASS  auth_pass SECRET }`."""
    block = r.block(stmt, path)
    if block is None:
        return
    auth = AuthDraft()
    dispatch(r, block, path, AUTHENTICATION, auth)
    for key, value, example in (
        ("auth_type", auth.auth_type, "auth_type PASS"),
        ("auth_pass", auth.secret, "auth_pass secret12"),
    ):
        r.report.require(
            value is not None, stmt.head, f"{path}.{key}", "missing", f"add `{example}`"
        )
    if auth.auth_type is AuthType.PASS and auth.secret is not None:
        d.auth = (AuthType.PASS, auth.secret, stmt.head)
