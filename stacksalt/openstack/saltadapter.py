"""What the ``openstack_*`` Salt modules share: secrets read from the pillar by key (and
kept out of every message), errors turned into ``CommandExecutionError``, connection
arguments, and the look / predict / act / look-again of every state (:func:`ensure`)."""

from __future__ import annotations

import requests
from salt.exceptions import CommandExecutionError

from stacksalt.openstack.catalog import CatalogError
from stacksalt.openstack.http import ApiError
from stacksalt.openstack.messaging import HashError
from stacksalt.openstack.plan import PlanError

MASK = "********"
EXPECTED = (ApiError, PlanError, CatalogError, HashError, OSError, requests.RequestException)


class Secrets:
    """Reads secrets from the pillar by key (``pillar.get`` with ``unmask=True``) and
    remembers them, so that :meth:`redact` can keep them out of any message."""

    def __init__(self, pillar_get):
        self._get = pillar_get
        self.values: list[str] = []

    def __call__(self, pillar_key: str | None, what: str = "password") -> str:
        if not pillar_key:
            raise CommandExecutionError(f"no pillar key given for the {what}")
        value = self._get(pillar_key, None, unmask=True)
        if value in (None, ""):
            raise CommandExecutionError(
                f"pillar {pillar_key} is empty or missing: the {what} must be there "
                "('stacksalt secrets init --cluster CLUSTER' generates secrets)"
            )
        if not isinstance(value, str | int):
            raise CommandExecutionError(f"pillar {pillar_key} is not a string")
        self.values.append(str(value))
        return str(value)

    def redact(self, text: str) -> str:
        for value in sorted(set(self.values), key=len, reverse=True):
            if value:
                text = text.replace(value, MASK)
        return text


def call(secrets: Secrets, fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, its expected failures as ``CommandExecutionError`` with any
    secret masked."""
    try:
        return fn(*args, **kwargs)
    except CommandExecutionError as exc:
        raise CommandExecutionError(secrets.redact(str(exc))) from None
    except EXPECTED as exc:
        text = str(exc)
        clean = secrets.redact(text)
        if clean != text:
            raise CommandExecutionError(clean) from None
        raise CommandExecutionError(text) from exc


def split_kwargs(kwargs: dict, allowed: tuple[str, ...], module: str) -> dict:
    """The connection arguments among ``kwargs`` (Salt's own ``__pub_*`` dropped); an
    unknown argument is an error naming the allowed ones."""
    out = {}
    for key, value in kwargs.items():
        if key.startswith("__"):
            continue
        if key not in allowed:
            raise CommandExecutionError(
                f"{module}: unknown argument {key!r} (connection arguments: {', '.join(allowed)})"
            )
        out[key] = value
    return out


def ensure(name: str, look, apply, test: bool) -> dict:
    """A state's return for one object: ``look()`` → ``{"what", "changes", "problems"}``;
    nothing to do → True; test mode → None with the predicted changes; else ``apply()`` and
    look again. Both callables raise ``CommandExecutionError``."""
    ret = {"name": name, "changes": {}, "result": False, "comment": ""}
    try:
        seen = look()
    except CommandExecutionError as exc:
        ret["comment"] = f"{name}: {exc}"
        return ret
    what = seen["what"]
    if seen["problems"]:
        ret["comment"] = f"{what}: nothing changed: " + "; ".join(seen["problems"])
        return ret
    if not seen["changes"]:
        ret.update(result=True, comment=f"{what} is as wanted")
        return ret
    keys = ", ".join(sorted(seen["changes"]))
    if test:
        ret.update(result=None, changes=seen["changes"], comment=f"{what} would change: {keys}")
        return ret
    try:
        apply()
        again = look()
    except CommandExecutionError as exc:
        ret["comment"] = f"{what}: {exc} (wanted: {keys}; look again with test=True)"
        return ret
    if again["changes"] or again["problems"]:
        left = ", ".join(sorted(again["changes"])) or "; ".join(again["problems"])
        ret.update(changes=seen["changes"], comment=f"{what} still differs after applying: {left}")
        return ret
    ret.update(result=True, changes=seen["changes"], comment=f"{what} updated: {keys}")
    return ret


KEYSTONE_CONN = (
    "auth_url",
    "admin_user",
    "admin_pillar",
    "admin_project",
    "admin_domain",
    "verify",
    "timeout",
)


def secrets_of(context: dict, pillar_get) -> Secrets:
    """The run's :class:`Secrets` (one per Salt run, kept in ``__context__``)."""
    if "openstack.secrets" not in context:
        context["openstack.secrets"] = Secrets(pillar_get)
    return context["openstack.secrets"]


def keystone_client(
    context: dict,
    secrets: Secrets,
    auth_url=None,
    admin_user="admin",
    admin_pillar=None,
    admin_project="admin",
    admin_domain="Default",
    verify=True,
    timeout=30,
):
    """A keystone client logged in as the admin, kept in ``__context__`` for the rest of the
    run (one token for all the states of a Job)."""
    from stacksalt.openstack.keystone import KeystoneClient

    if not auth_url:
        raise CommandExecutionError("auth_url is required (keystone's internal /v3 URL)")
    if not admin_pillar:
        raise CommandExecutionError("admin_pillar is required (the pillar key of the password)")
    key = ("keystone", auth_url, admin_user, admin_pillar, admin_project, admin_domain, verify)
    cache = context.setdefault("openstack.clients", {})
    if key not in cache:
        password = secrets(admin_pillar, f"password of keystone admin {admin_user}")
        kc = KeystoneClient(auth_url, timeout=(5.0, float(timeout)), verify=verify)
        call(secrets, kc.login, admin_user, password, admin_domain, admin_project, admin_domain)
        cache[key] = kc
    return cache[key]
