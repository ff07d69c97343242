"""One small REST client per API over ``requests.Session``: bounded timeouts, bounded retries
for connection errors only, errors that name the API, the method, the URL and the status.

Request bodies are never logged nor put into an error (they may carry a password); a
response's error text is, shortened.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from urllib.parse import quote

import requests

log = logging.getLogger(__name__)

#: (connect, read) seconds: a server that does not accept within 5 s is down; 30 s to answer.
DEFAULT_TIMEOUT = (5.0, 30.0)
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class ApiError(RuntimeError):
    """A request failed: ``api``, ``method``, ``url``, ``status`` (None when nothing answered)."""

    def __init__(self, api, method, url, status=None, detail="", hint=""):
        self.api, self.method, self.url, self.status = api, method, url, status
        self.detail, self.hint = detail, hint
        what = f"HTTP {status}" if status is not None else "no answer"
        text = f"{api}: {method} {url}: {what}"
        if detail:
            text += f": {detail}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)


def join_url(base: str, *parts: str) -> str:
    """``base`` + ``/part`` for each part, each part percent-encoded (``/`` too: a vhost named
    ``/openstack`` is one path segment)."""
    url = base.rstrip("/")
    for part in parts:
        url += "/" + quote(str(part), safe="")
    return url


def retry_allowed(method: str, exc: Exception) -> bool:
    """Whether a failed request may be sent again: any connection error of an idempotent
    method; for POST/PATCH only when the connection was never made (nothing was sent)."""
    if not isinstance(exc, requests.ConnectionError):
        return False
    if method.upper() in IDEMPOTENT:
        return True
    if isinstance(exc, requests.ConnectTimeout):
        return True
    text = repr(exc)
    return "NewConnectionError" in text or "Connection refused" in text


def error_detail(resp: requests.Response, limit: int = 300) -> str:
    """The error text of a response: the ``message``/``error``/``reason``/``NeutronError``
    the APIs put in their JSON, else the body's start."""
    try:
        body = resp.json()
    except ValueError:
        return " ".join(resp.text.split())[:limit]
    return _message(body)[:limit]


def _message(body) -> str:
    if isinstance(body, dict):
        for key in ("message", "reason", "error", "title", "detail", "NeutronError"):
            if key in body:
                inner = body[key]
                return _message(inner) if isinstance(inner, dict) else str(inner)
        if len(body) == 1:  # nova: {"badRequest": {"message": ...}}
            inner = next(iter(body.values()))
            if isinstance(inner, dict):
                return _message(inner)
    return json.dumps(body)


class ApiClient:
    """Requests to one API at ``base_url``; ``api`` names it in every error."""

    def __init__(
        self,
        api: str,
        base_url: str,
        session: requests.Session | None = None,
        timeout: tuple[float, float] | float = DEFAULT_TIMEOUT,
        retries: int = 3,
        backoff: float = 1.0,
        headers: dict | None = None,
        auth=None,
        verify: bool | str = True,
    ):
        self.api = api
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.headers = dict(headers or {})
        self.auth = auth
        self.verify = verify

    def url(self, *parts: str) -> str:
        return join_url(self.base_url, *parts)

    def request(
        self,
        method: str,
        url: str,
        *,
        expect: Iterable[int] = (200, 201, 202, 204),
        allow: Iterable[int] = (),
        hint: str = "",
        timeout=None,
        **kwargs,
    ) -> requests.Response:
        """Send; return the response when its status is in ``expect`` or ``allow``; raise
        :class:`ApiError` otherwise. Connection errors are retried ``retries`` times
        (see :func:`retry_allowed`); HTTP errors never are."""
        method = method.upper()
        headers = {**self.headers, **kwargs.pop("headers", {})}
        attempt = 0
        while True:
            attempt += 1
            try:
                resp = self.session.request(
                    method,
                    url,
                    headers=headers,
                    auth=self.auth,
                    timeout=timeout or self.timeout,
                    verify=self.verify,
                    **kwargs,
                )
            except requests.RequestException as exc:
                if attempt <= self.retries and retry_allowed(method, exc):
                    log.info("%s: %s %s: %s; retrying", self.api, method, url, type(exc).__name__)
                    time.sleep(self.backoff * attempt)
                    continue
                raise ApiError(
                    self.api,
                    method,
                    url,
                    None,
                    f"{type(exc).__name__}: {exc}",
                    hint or f"is {self.api} running and reachable from here?",
                ) from exc
            if resp.status_code in set(expect) | set(allow):
                return resp
            raise ApiError(self.api, method, url, resp.status_code, error_detail(resp), hint)

    def get_json(self, *parts: str, params=None, allow_missing: bool = False, hint: str = ""):
        """GET ``base/parts``; ``None`` on 404 when ``allow_missing``."""
        resp = self.request(
            "GET",
            self.url(*parts),
            params=params,
            expect=(200,),
            allow=(404,) if allow_missing else (),
            hint=hint,
        )
        if resp.status_code == 404:
            return None
        return resp.json()

    def send_json(self, method: str, *parts: str, body=None, expect=(200, 201, 202, 204), hint=""):
        """Send ``body`` as JSON; return the decoded answer (``{}`` when empty)."""
        resp = self.request(method, self.url(*parts), json=body, expect=expect, hint=hint)
        if not resp.content:
            return {}
        try:
            return resp.json()
        except ValueError:
            return {}
