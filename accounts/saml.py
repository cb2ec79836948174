"""SAML 2.0 single sign-on: allauth's SAML provider, configured by settings.yaml `auth.saml`.

The site is a service provider (SP) for one identity provider (IdP). `app_for(saml)` turns
`site_model.spec.SamlSettings` and the SP's key and certificate of the environment
(`SAML_SP_PRIVATE_KEY`, `SAML_SP_X509CERT`, read by site_config/settings.py) into an allauth
`SocialApp` that is never stored: `accounts.adapter.SocialAccountAdapter.list_apps` hands it to
allauth on each request, so an edit of settings.yaml counts on the next one.

What settings.yaml cannot loosen (`security()`): strict checking (destination, audience,
validity window), assertions must be signed by the IdP's certificate, no deprecated
algorithms, and IdP-initiated logins (a response answering no request of ours) are refused
unless `auth.saml.idp_initiated` is true.

An IdP given by `metadata_url` is fetched by allauth when a SAML route needs it (and kept in
Django's cache for 4 hours). `fetch_remote_metadata` fetches it first: when it cannot be had
(the server down, an HTTP error, a body that is not metadata naming a usable IdP), the route
answers 503 (accounts/views.py) and the log says why; the other sign-in methods go on.

Groups: the values of the assertion's groups attribute (`auth.saml.attributes.groups`) are
mapped through `auth.saml.groups` to Django groups on every SAML login (`sync_groups`): the user
is put in the mapped groups the assertion names and taken out of the other mapped groups;
groups the map never gives (set in the admin, by an invitation) are left alone.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import redis
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.saml.utils import fetch_metadata_url_config
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import ValidationError
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

from site_model.loader import site_dir
from site_model.spec import SamlSettings

from . import audit, names

logger = logging.getLogger("accounts")

PROVIDER = "saml"
RETRY_AFTER = 60  # seconds, for the 503 of an IdP that cannot be reached
# After a failed fetch the IdP counts as unreachable this long without another try: while it
# hangs, each SAML request would otherwise hold a worker for SAML_METADATA_TIMEOUT.
UNREACHABLE_SECONDS = RETRY_AFTER


class SamlConfigError(Exception):
    """`auth.saml` names something that cannot be read (a file, metadata): SAML stays off."""


class IdpUnreachable(Exception):
    """The IdP's metadata URL cannot be fetched, or names no IdP we can use: sign-in waits."""


def security(saml: SamlSettings) -> dict:
    """allauth's `advanced` settings: what every SAML login of this site must pass."""
    advanced = {
        "strict": True,
        "want_assertion_signed": True,
        "reject_deprecated_algorithm": True,
        "reject_idp_initiated_sso": not saml.idp_initiated,
    }
    if settings.SAML_SP_PRIVATE_KEY and settings.SAML_SP_X509CERT:
        advanced.update(
            private_key=settings.SAML_SP_PRIVATE_KEY,
            x509cert=settings.SAML_SP_X509CERT,
            authn_request_signed=True,
        )
    return advanced


def _site_file(rel: str) -> Path:
    return site_dir() / rel


_metadata_cache: dict[Path, tuple[tuple[int, int], dict]] = {}


def _read_metadata_file(path: Path, entity_id: str) -> dict:
    """The IdP of a metadata file, parsed once per file version (mtime, size)."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise SamlConfigError(f"cannot read {path.name}: {exc.strerror}") from exc
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _metadata_cache.get(path)
    if cached is not None and cached[0] == stamp:
        idp = cached[1]
    else:
        try:
            parsed = OneLogin_Saml2_IdPMetadataParser.parse(
                path.read_text(encoding="utf-8"), entity_id=entity_id or None
            )
        except Exception as exc:  # noqa: BLE001 - lxml, XML errors of any kind: say which file
            raise SamlConfigError(f"{path.name} is not SAML metadata: {exc}") from exc
        idp = parsed.get("idp") or {}
        _metadata_cache[path] = (stamp, idp)
    return _usable_idp(idp, path.name, entity_id)


def _usable_idp(idp: dict, source: str, entity_id: str) -> dict:
    """allauth's `idp` settings from parsed metadata, which must name an IdP we can use."""
    sso = idp.get("singleSignOnService", {}).get("url")
    cert = idp.get("x509cert") or next(iter(idp.get("x509certMulti", {}).get("signing", [])), None)
    if not idp.get("entityId") or not sso or not cert:
        raise SamlConfigError(
            f"{source} has no IdP with an HTTP-Redirect sign-on URL and a signing certificate"
            + (f" for entity '{entity_id}'" if entity_id else "")
        )
    return {"entity_id": idp["entityId"], "sso_url": sso, "x509cert": cert}


def fetch_remote_metadata(saml: SamlSettings) -> None:
    """Fetch the metadata of `idp.metadata_url` into allauth's cache, where its views find it
    (nothing to do when it is there already or the IdP is not given by URL).

    Raises IdpUnreachable, after logging one line, when the metadata cannot be had."""
    if not saml.idp_metadata_url:
        return
    failed_key = (
        "accounts.saml.unreachable:" + hashlib.sha256(saml.idp_metadata_url.encode()).hexdigest()
    )
    if cache.get(failed_key):
        raise IdpUnreachable(saml.name)  # logged when it failed
    config = idp_config(saml)
    try:
        parsed = fetch_metadata_url_config(config)
        try:
            _usable_idp(parsed.get("idp") or {}, "the metadata", saml.idp_entity_id)
        except SamlConfigError:
            # allauth kept what it fetched, usable or not, for 4 hours: forget it, so that the
            # next try (after UNREACHABLE_SECONDS) fetches again. Its key, as
            # allauth.socialaccount.providers.saml.utils.fetch_metadata_url_config makes it.
            cache.delete(f"saml.metadata.{config['metadata_url']}.{config['entity_id']}")
            raise
    except redis.exceptions.RedisError:
        raise  # the cache, not the IdP: site_config/errors.py answers it
    except Exception as exc:  # noqa: BLE001 - urllib's errors and timeouts, python3-saml's bare Exception
        logger.error(
            "SAML IdP '%s' unavailable: cannot use its metadata at %s: %s "
            "(not tried again for %d s)",
            saml.name,
            saml.idp_metadata_url,
            _one_line(exc),
            UNREACHABLE_SECONDS,
        )
        cache.set(failed_key, True, UNREACHABLE_SECONDS)
        raise IdpUnreachable(saml.name) from exc


def _one_line(exc: Exception) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def idp_config(saml: SamlSettings) -> dict:
    """allauth's `idp` settings, from metadata (URL or file) or as settings.yaml gives them."""
    if saml.idp_metadata_url:
        # allauth fetches it (and caches it for 4 hours in Django's cache): fetch_remote_metadata.
        return {
            "metadata_url": saml.idp_metadata_url,
            "entity_id": saml.idp_entity_id or None,
            "metadata_request_timeout": settings.SAML_METADATA_TIMEOUT,
        }
    if saml.idp_metadata_file:
        return _read_metadata_file(_site_file(saml.idp_metadata_file), saml.idp_entity_id)
    cert = saml.idp_x509cert
    if saml.idp_x509cert_file:
        path = _site_file(saml.idp_x509cert_file)
        try:
            cert = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise SamlConfigError(f"cannot read {saml.idp_x509cert_file}: {exc}") from exc
    return {"entity_id": saml.idp_entity_id, "sso_url": saml.idp_sso_url, "x509cert": cert}


def app_settings(saml: SamlSettings) -> dict:
    """allauth's `SocialApp.settings` for the SAML provider."""
    config: dict = {"idp": idp_config(saml), "advanced": security(saml)}
    if saml.sp_entity_id:
        config["sp"] = {"entity_id": saml.sp_entity_id}
    mapping = {key: list(value) for key, value in saml.attributes.items() if key != "groups"}
    if mapping:
        # Given at all, it replaces allauth's default mapping.
        config["attribute_mapping"] = mapping
    return config


def app_for(saml: SamlSettings | None) -> SocialApp | None:
    """The SocialApp of `auth.saml`, or None when SAML is off or its IdP cannot be read."""
    if saml is None:
        return None
    try:
        config = app_settings(saml)
    except SamlConfigError as exc:
        logger.error("SAML is off: auth.saml: %s", exc)
        return None
    return SocialApp(provider=PROVIDER, name=saml.name, client_id=saml.slug, settings=config)


def file_problems(saml: SamlSettings | None) -> list[tuple[int, str]]:
    """(line, message) for each file `auth.saml` names that cannot be used."""
    if saml is None:
        return []
    problems = []
    if saml.idp_metadata_file:
        try:
            _read_metadata_file(_site_file(saml.idp_metadata_file), saml.idp_entity_id)
        except SamlConfigError as exc:
            problems.append(
                (saml.lines.get("idp.metadata_file", 1), f"auth.saml.idp.metadata_file: {exc}")
            )
    if saml.idp_x509cert_file and not _site_file(saml.idp_x509cert_file).is_file():
        problems.append(
            (
                saml.lines.get("idp.x509cert_file", 1),
                f"auth.saml.idp.x509cert_file: no file '{saml.idp_x509cert_file}' in the site folder",
            )
        )
    return problems


def environment_problems(saml: SamlSettings | None) -> list[tuple[int, str]]:
    """(line, message) for what the environment lacks for `auth.saml`."""
    if saml is None or bool(settings.SAML_SP_PRIVATE_KEY) == bool(settings.SAML_SP_X509CERT):
        return []
    return [
        (
            saml.lines.get("saml", 1),
            "auth.saml: set both SAML_SP_PRIVATE_KEY and SAML_SP_X509CERT, or neither; "
            "requests to the IdP are not signed",
        )
    ]


# --- groups ---------------------------------------------------------------------------------


def groups_from(attributes: dict, saml: SamlSettings) -> set[str]:
    """The Django groups that the assertion's groups attribute(s) map to.

    IdP values compare case-insensitively (directory DNs come in any case):

    >>> saml = SamlSettings(attributes={"groups": ("memberOf",)}, groups={"CN=Sales": ("sales",)})
    >>> groups_from({"memberOf": ["cn=sales", "cn=other"]}, saml)
    {'sales'}
    """
    folded = {value.casefold(): targets for value, targets in saml.groups.items()}
    found: set[str] = set()
    for attribute in saml.attributes.get("groups", ()):
        for value in attributes.get(attribute) or ():
            found.update(folded.get(str(value).casefold(), ()))
    return found


def _group(name: str, request) -> Group | None:
    group = Group.objects.filter(name=name).first()
    if group is not None:
        return group
    # A new group may not take a name the site uses for someone else (accounts.names).
    try:
        name = names.name_check(name, kind=names.GROUP, request=request)
    except ValidationError:
        logger.warning("SAML group '%s' not created: the name is taken", name)
        return None
    return Group.objects.get_or_create(name=name)[0]


def sync_groups(user, attributes: dict, saml: SamlSettings, *, request=None) -> None:
    """Set the user's mapped groups to those the assertion names (see the module docstring)."""
    wanted = groups_from(attributes, saml)
    managed = saml.managed_groups
    current = set(user.groups.values_list("name", flat=True)) & managed
    added = [group for name in sorted(wanted - current) if (group := _group(name, request))]
    removed = sorted(current - wanted)
    if added:
        user.groups.add(*added)
    if removed:
        user.groups.remove(*Group.objects.filter(name__in=removed))
    if added or removed:
        logger.info(
            "SAML groups of %s: %s",
            user.get_username(),
            ", ".join([f"+{g.name}" for g in added] + [f"-{name}" for name in removed]),
        )
    user.__dict__.pop("_site_who", None)  # accounts.identity's per-request cache


def record_refusal(request, reason: str) -> None:
    """A SAML response that was refused: logged and kept in the audit trail."""
    audit.record(audit.Kind.LOGIN_FAILED, request=request, detail=f"saml: {reason}")
