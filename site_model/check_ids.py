"""One check id per kind of site problem, each with a hint (as django.contrib.auth.checks).

`check_site` prints `path:line: (site.E002) message`; the Django system check of the site
carries the id and the hint. The `E` ids: the file is wrong. They are reported as Django
*warnings* all the same, because a broken site is still served (what breaks is what depends on
the broken file). The `W` ids: served as written, but likely not what was meant; `check_site`
prints them as warnings and keeps its exit status. docs/blocks.md lists them; a test keeps that list and this one the same.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckId:
    id: str
    title: str
    hint: str


def _catalog(*entries: CheckId) -> dict[str, CheckId]:
    return {entry.id: entry for entry in entries}


BAD_YAML = "site.E001"
UNKNOWN_KEY = "site.E002"
WRONG_KIND = "site.E003"
NOT_A_CHOICE = "site.E004"
BAD_ID = "site.E005"
DUPLICATE_KEY = "site.E006"
MISSING_KEY = "site.E007"
RESERVED = "site.E008"
NOT_FOUND = "site.E009"
MISSING_FUNCTION = "site.E010"
CODE_ERROR = "site.E011"
BAD_RULE = "site.E012"
KEY_NOT_HERE = "site.E013"
PATH_TAKEN = "site.E014"
TWO_TYPES = "site.E015"
BAD_SIGN_IN_VALUE = "site.E016"
MISSING_BLOCK_YAML = "site.E017"
BAD_PAGE_PATH = "site.E018"
UNKNOWN_LANGUAGE = "site.E019"
READERS_WIDER_THAN_BLOCK = "site.W001"
ROW_OWNERS_READ_BY_EVERYONE = "site.W002"
AUTHOR_WITHOUT_ROW_OWNERS = "site.W003"
ROLE_NAMED_LIKE_PRINCIPAL = "site.W004"
FIELD_RULE_NAMES_NOBODY = "site.W005"
SELF_CHOSEN_PRINCIPAL = "site.W006"
MISSING_TRANSLATION = "site.W007"

CHECKS = _catalog(
    CheckId(
        BAD_YAML,
        "the file cannot be read: bad YAML, or not UTF-8 text",
        "Fix the syntax at that line (or save the file as UTF-8).",
    ),
    CheckId(
        UNKNOWN_KEY,
        "a key that means nothing there",
        "Remove it or fix its spelling; the message lists the keys allowed there.",
    ),
    CheckId(
        WRONG_KIND,
        "a value of the wrong kind (a list where a string goes, …)",
        "Write the kind of value the message names.",
    ),
    CheckId(
        NOT_A_CHOICE,
        "a value that is not one of the allowed ones (type, mode, provider, …)",
        "Use one of the values the message lists.",
    ),
    CheckId(
        BAD_ID,
        "an id (app, block, page, element, role, group) that is not a plain name",
        "An id starts with a letter, then letters, digits, _ or -.",
    ),
    CheckId(DUPLICATE_KEY, "a key written twice in one mapping", "Keep one of them."),
    CheckId(
        MISSING_KEY,
        "a key that is needed is missing",
        "Add the key the message names.",
    ),
    CheckId(
        RESERVED,
        "a name the site uses itself (element id, page path)",
        "Choose another name; the message lists the reserved ones.",
    ),
    CheckId(
        NOT_FOUND,
        "a name that refers to nothing (block, app, title_element)",
        "Fix the name; the message lists what exists.",
    ),
    CheckId(
        MISSING_FUNCTION,
        "a computed element without its function in the block's .py",
        "Write `def <element id>(context):` in the block's .py file.",
    ),
    CheckId(
        CODE_ERROR,
        "the block's .py or .html fails (syntax, import, template error)",
        "Fix the code at that line; the message is Python's or Django's.",
    ),
    CheckId(
        BAD_RULE,
        "a validation rule of an element with a bad value (min, max, pattern, choices, …)",
        "Write the rule as the message says (dates as 2026-07-01, patterns as regexes).",
    ),
    CheckId(
        KEY_NOT_HERE,
        "a key that does not apply here (a rule of another type, a setting that needs another)",
        "Remove the key, or add the one it needs.",
    ),
    CheckId(
        PATH_TAKEN,
        "two pages with the same path",
        "Give one of the pages another `path:`.",
    ),
    CheckId(
        TWO_TYPES,
        "one element id with two types in one app",
        "An element id is one field of the app's records: give it one type, or rename one.",
    ),
    CheckId(
        BAD_SIGN_IN_VALUE,
        "a sign-in setting (LDAP, SAML, certificates) that cannot work as written",
        "See docs/accounts.md for the form of that setting.",
    ),
    CheckId(
        MISSING_BLOCK_YAML,
        "a block's .html or .py without its .yaml",
        "Add the block's .yaml (it may be just `elements: {}`), or remove the file.",
    ),
    CheckId(
        BAD_PAGE_PATH,
        "a page path that does not start with '/'",
        "Write the path from the site's root, e.g. `path: /events/`.",
    ),
    CheckId(
        UNKNOWN_LANGUAGE,
        "a language code the project does not know (settings.yaml `languages`, a text by language)",
        "Use one of the codes the message lists (en, fr, de).",
    ),
    CheckId(
        READERS_WIDER_THAN_BLOCK,
        "a block's view_permission narrower than its app's readers (they read its records "
        "as JSON but not on their HTML pages)",
        "Add the app's readers to the block's view_permission, or narrow the app's rights "
        "if they should not read these records at all.",
    ),
    CheckId(
        ROW_OWNERS_READ_BY_EVERYONE,
        "row_owners in an app whose readers include '*' (anonymous visitors own no row, so "
        "they read none; each signed-in reader reads only their own)",
        "If the records are public, remove row_owners; otherwise name the readers "
        "(authenticated, groups) instead of '*'.",
    ),
    CheckId(
        AUTHOR_WITHOUT_ROW_OWNERS,
        "an author right in an app without row_owners (every author edits and deletes only "
        "the records they wrote, but reads every record)",
        "Add row_owners if authors should read only their own records; otherwise leave it.",
    ),
    CheckId(
        ROLE_NAMED_LIKE_PRINCIPAL,
        "a role with the name of a user or a group (an owner value with that name names both)",
        "Rename the role.",
    ),
    CheckId(
        FIELD_RULE_NAMES_NOBODY,
        "a field rule naming a principal that is no user, group or role",
        "Fix the name, or create the user or group (settings.yaml `groups:`).",
    ),
    CheckId(
        SELF_CHOSEN_PRINCIPAL,
        "a profile value that users set themselves (users.self_edit) used as a principal "
        "(anyone may give themselves that value, and so that access)",
        "Take the field out of users.self_edit (user managers set it on /people/), or name "
        "groups or roles instead of the value.",
    ),
    CheckId(
        MISSING_TRANSLATION,
        "a title or label by language without one of the site's languages (the default's "
        "text is shown)",
        "Add the missing language to the mapping, or write one plain text for every language.",
    ),
)
