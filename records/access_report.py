"""Who may do what, as the site folder says it (contract §10): `manage.py access_report`
prints each app's rights, roles, row owners, field rules and its blocks' `view_permission`;
`risky_setups` flags what is served as written but likely not meant (site.W002 to site.W006),
for the report and for `check_site`.

The flags about names (a role named like a user or a group, a field rule naming nobody) look
the names up among the users and groups of the database; without a database (not migrated
yet) those two are left out. Imports: the site model, accounts' models; nothing above records.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import DatabaseError

from site_model import check_ids as ids
from site_model.acl import RIGHTS
from site_model.spec import PROFILE_STAMP, AppSpec, Problem, Site

EVERYONE = ("*", "authenticated")


def settings_path(app: AppSpec) -> str:
    return f"apps/{app.id}/settings.yaml"


def field_rules(app: AppSpec) -> dict[str, dict[str, tuple[str, ...]]]:
    """`acl.fields` as {item: {"read": principals, "write": principals}}; {} without rules."""
    rules = app.acl.fields if app.acl is not None else {}
    return {
        item: {"read": tuple(rule.read or ()), "write": tuple(rule.write or ())}
        for item, rule in rules.items()
    }


def report_lines(site: Site, app_ids: list[str]) -> list[str]:
    """The report of each app of `app_ids`, then the risky set-ups among them and those of
    the site's pages."""
    lines: list[str] = []
    for app_id in app_ids:
        lines.extend(app_report(site.apps[app_id]))
    flagged = [p for p in risky_setups(site) if of_apps(p.path, app_ids)]
    lines.append("warnings:" if flagged else "warnings: none")
    lines.extend(f"  {problem.with_id()}" for problem in flagged)
    return lines


def of_apps(path: str, app_ids: list[str]) -> bool:
    """Is `path` a file of one of the apps, or of the site (a page)?"""
    parts = path.split("/")
    return parts[0] != "apps" or parts[1] in app_ids


def principals_words(principals) -> str:
    return ", ".join(principals) or "nobody"


def app_report(app: AppSpec) -> list[str]:
    acl = app.acl
    lines = [f"app {app.id} ({settings_path(app)})"]
    if acl is None:
        lines.append("  rights: no acl: only managers (superusers) reach its records")
    else:
        lines.append("  rights:")
        for right in RIGHTS:
            principals = acl.rights.get(right, ())
            if right == "manager":
                lines.append(f"    manager: {', '.join((*principals, 'superusers'))}")
            elif right in acl.rights:
                lines.append(f"    {right}: {principals_words(principals)}")
        roles = acl.roles.items()
        lines.append("  roles:" if roles else "  roles: none")
        lines.extend(f"    {role}: {principals_words(names)}" for role, names in roles)
        lines.append(
            f"  row owners: {', '.join(acl.row_owners) or 'none (every reader reads every row)'}"
        )
    rules = field_rules(app)
    lines.append("  field rules:" if rules else "  field rules: none")
    for item, rule in rules.items():
        lines.append(
            f"    {item}: read {principals_words(rule['read'])}; "
            f"write {principals_words(rule['write'])}"
        )
    lines.append("  blocks:" if app.blocks else "  blocks: none")
    for block in sorted(app.blocks.values(), key=lambda block: block.id):
        lines.append(f"    {block.key}: view_permission {principals_words(block.view_permission)}")
    return lines


def risky_setups(site: Site) -> list[Problem]:
    """Set-ups served as written that are likely not what was meant, at their file and line."""
    found: list[Problem] = self_chosen_principals(site)
    known = known_names(site)
    for app in sorted(site.apps.values(), key=lambda app: app.id):
        acl = app.acl
        if acl is None:
            continue
        path = settings_path(app)
        if acl.row_owners and "*" in acl.rights.get("reader", ()):
            found.append(
                Problem(
                    path,
                    acl.line("rights.reader"),
                    f"app '{app.id}' has row_owners ({', '.join(acl.row_owners)}) and '*' may "
                    "read: anonymous visitors own no row, so they read none, and each "
                    "signed-in reader reads only their own",
                    ids.ROW_OWNERS_READ_BY_EVERYONE,
                )
            )
        if acl.rights.get("author") and not acl.row_owners:
            found.append(
                Problem(
                    path,
                    acl.line("rights.author"),
                    f"app '{app.id}' has an author right ({principals_words(acl.rights['author'])}) "
                    "and no row_owners: every author edits and deletes only the records they "
                    "wrote, but reads every record",
                    ids.AUTHOR_WITHOUT_ROW_OWNERS,
                )
            )
        if known is None:
            continue
        users, groups = known
        for role in acl.roles:
            kind = "user" if role in users else "group" if role in groups else None
            if kind is not None:
                found.append(
                    Problem(
                        path,
                        acl.line(f"roles.{role}"),
                        f"role '{role}' of app '{app.id}' has the name of a {kind}: an owner "
                        f"value '{role}' names both",
                        ids.ROLE_NAMED_LIKE_PRINCIPAL,
                    )
                )
        for item, rule in field_rules(app).items():
            for principal in dict.fromkeys((*rule["read"], *rule["write"])):
                if not names_somebody(principal, users, groups, acl.roles):
                    found.append(
                        Problem(
                            path,
                            acl.line("fields"),
                            f"the field rule of item '{item}' in app '{app.id}' names "
                            f"'{principal}', who is no user, group or role",
                            ids.FIELD_RULE_NAMES_NOBODY,
                        )
                    )
    return found


def principal_uses(site: Site):
    """(path, line, principals, where) of every place a principal grants something: an app's
    rights, roles and field rules, the owner items `on_create` fills from a profile field (the
    value is written as the principal `<field>:<value>`), each block's and page's
    view_permission."""
    for app in sorted(site.apps.values(), key=lambda app: app.id):
        path = settings_path(app)
        acl = app.acl
        if acl is not None:
            for right, principals in acl.rights.items():
                yield (
                    path,
                    acl.line(f"rights.{right}"),
                    principals,
                    f"the {right} right of app '{app.id}'",
                )
            for role, principals in acl.roles.items():
                yield (
                    path,
                    acl.line(f"roles.{role}"),
                    principals,
                    f"role '{role}' of app '{app.id}'",
                )
            for item, rule in field_rules(app).items():
                yield (
                    path,
                    acl.line(f"fields.{item}"),
                    (*rule["read"], *rule["write"]),
                    f"the field rule of item '{item}' in app '{app.id}'",
                )
        owners = acl.row_owners if acl is not None else ()
        for item, stamp in app.on_create.items():
            if item in owners and stamp.startswith(PROFILE_STAMP):
                field_name = stamp[len(PROFILE_STAMP) :]
                yield (
                    path,
                    app.on_create_lines.get(item, 1),
                    (f"{field_name}:",),
                    f"owner item '{item}' of app '{app.id}' (on_create: {stamp})",
                )
        for block in sorted(app.blocks.values(), key=lambda block: block.id):
            yield (
                block.yaml_path,
                block.view_permission_line,
                block.view_permission,
                f"the view_permission of block '{block.key}'",
            )
    for page in sorted(site.pages.values(), key=lambda page: page.name):
        yield (
            page.yaml_path,
            page.view_permission_line,
            page.view_permission,
            f"the view_permission of page '{page.path}'",
        )


def self_chosen_principals(site: Site) -> list[Problem]:
    """A principal `<field>:<value>` of a field users set themselves (`users.self_edit`) lets
    in whoever picks that value on their account page (site.W006)."""
    chosen = set(site.settings.self_edit)
    found = []
    for path, line, principals, where in principal_uses(site):
        for principal in dict.fromkeys(principals):
            field_name = principal.partition(":")[0]
            if ":" in principal and field_name in chosen:
                value = principal if not principal.endswith(":") else f"{field_name}:<value>"
                found.append(
                    Problem(
                        path,
                        line,
                        f"{where} names '{value}', but users set their own '{field_name}' "
                        "(users.self_edit): anyone may give themselves that value",
                        ids.SELF_CHOSEN_PRINCIPAL,
                    )
                )
    return found


def names_somebody(principal: str, users, groups, roles) -> bool:
    """Does a principal of a field rule name anyone? `*`, `authenticated`, an e-mail address
    (of a user perhaps not signed up yet) and a profile value (`team:east`) always may."""
    if principal in EVERYONE or "@" in principal or ":" in principal:
        return True
    return principal in users or principal in groups or principal in roles


def known_names(site: Site) -> tuple[frozenset[str], frozenset[str]] | None:
    """(user names, group names) among those the site's roles and field rules use: the
    database's groups and those settings.yaml lists; None without a database."""
    wanted = set()
    for app in site.apps.values():
        if app.acl is not None:
            wanted.update(app.acl.roles)
        for rule in field_rules(app).values():
            wanted.update(rule["read"], rule["write"])
    User = get_user_model()
    try:
        users = frozenset(
            User._default_manager.filter(**{f"{User.USERNAME_FIELD}__in": wanted}).values_list(
                User.USERNAME_FIELD, flat=True
            )
        )
        groups = frozenset(Group.objects.filter(name__in=wanted).values_list("name", flat=True))
    except DatabaseError:
        return None
    return users, groups | (frozenset(site.settings.groups) & wanted)
