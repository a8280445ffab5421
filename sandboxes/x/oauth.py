"""OAuth 1.0a HMAC-SHA1 signature check, as X does it (RFC 5849 section 3.4), computed with authlib.

Clients sign the URL they believe they call: ours the configured `JAUAP_X_API_BASE`, tweepy the
`https://api.twitter.com` it hard-codes even when its transport is pointed here. So the signature
is accepted over the sandbox's own address or either public X host, with the same path and query."""

from __future__ import annotations

import hmac
import re
from urllib.parse import parse_qsl, unquote

from authlib.oauth1.rfc5849.signature import construct_base_string, hmac_sha1_signature

X_HOSTS = ("https://api.twitter.com", "https://api.x.com")
_PARAM = re.compile(r'(\w+)="([^"]*)"')


def header_params(authorization: str) -> dict[str, str]:
    """The `oauth_*` parameters of an `Authorization: OAuth ...` header, decoded."""
    return {k: unquote(v) for k, v in _PARAM.findall(authorization.removeprefix("OAuth "))}


def signature_ok(
    *,
    method: str,
    own_base: str,
    path: str,
    query: str,
    form_body: str | None,
    authorization: str,
    consumer_secret: str,
    token_secret: str,
) -> bool:
    oauth = header_params(authorization)
    received = oauth.pop("oauth_signature", None)
    oauth.pop("realm", None)
    if received is None or oauth.get("oauth_signature_method") != "HMAC-SHA1":
        return False
    params = list(oauth.items()) + parse_qsl(query, keep_blank_values=True)
    if form_body:
        params += parse_qsl(form_body, keep_blank_values=True)
    for base in (own_base, *X_HOSTS):
        base_string = construct_base_string(method.upper(), base.rstrip("/") + path, params)
        expected = hmac_sha1_signature(base_string, consumer_secret, token_secret)
        if hmac.compare_digest(expected.encode(), received.encode()):
            return True
    return False
