"""The site folder's validation: every mistake named by file and line (contract §1)."""

import logging
import os

import pytest
from django.core.management import call_command

from site_model.loader import current_site


def problems():
    return [str(problem) for problem in current_site().problems]


def test_valid_site_has_no_problems(site_dir):
    site_dir.write("pages/index.yaml", "title: Home\nblocks: [demo/hello]\n")
    site_dir.write("apps/demo/blocks/hello.yaml", "elements:\n  message: BASIC\n")
    site_dir.write("apps/demo/blocks/hello.py", "def message(context):\n    return 'hi'\n")
    assert problems() == []


def test_bad_yaml_names_file_and_line(site_dir):
    site_dir.write(
        "apps/demo/blocks/hello.yaml", "title: Hi\nelements:\n  message: BASIC\n  bad: [\n"
    )
    assert problems() == [
        "apps/demo/blocks/hello.yaml:5: bad YAML: expected the node content, but found '<stream end>'"
    ]


def test_unknown_element_type(site_dir):
    site_dir.write(
        "apps/demo/blocks/hello.yaml",
        """
        elements:
          message: BASIC
          go: {type: BUTTON}
        """,
    )
    site_dir.write("apps/demo/blocks/hello.py", "def message(context):\n    return 1\n")
    assert problems() == [
        "apps/demo/blocks/hello.yaml:3: element 'go': unknown type 'BUTTON'; "
        "allowed: BASIC, ACTION, TEXT, NUMBER, DATETIME, TEXTAREA, BOOLEAN, CHOICE, EMAIL, URL, DATE, FILE, REFERENCE, CHART"
    ]


def test_unknown_keys_in_block_element_and_page(site_dir):
    site_dir.write(
        "apps/demo/blocks/hello.yaml", "titel: Hi\nelements:\n  name: {type: TEXT, lable: Name}\n"
    )
    site_dir.write("pages/index.yaml", "title: Home\nblock: [demo/hello]\n")
    assert problems() == [
        "apps/demo/blocks/hello.yaml:1: unknown key 'titel' in block; allowed: elements, target, title, title_element, view_permission, fresh_login, second_factor",
        "apps/demo/blocks/hello.yaml:3: unknown key 'lable' in element 'name'; allowed: type, label, mode, index_type, required, min, max, max_length, pattern, choices, second_factor, choice_labels, app, chart, group_by, value, query, title",
        "pages/index.yaml:2: unknown key 'block' in page; allowed: path, title, view_permission, fresh_login, blocks",
    ]


def test_missing_element_function(site_dir):
    site_dir.write(
        "apps/demo/blocks/hello.yaml",
        "elements:\n  message: BASIC\n  like: {type: ACTION}\n  title: TEXT\n",
    )
    site_dir.write("apps/demo/blocks/hello.py", "def message(context):\n    return 1\n")
    assert problems() == [
        "apps/demo/blocks/hello.yaml:3: element 'like' (ACTION) needs a function 'like(context)' in apps/demo/blocks/hello.py"
    ]


def test_missing_py_file_for_basic_element(site_dir):
    site_dir.write("apps/demo/blocks/hello.yaml", "elements:\n  message: BASIC\n")
    assert problems() == [
        "apps/demo/blocks/hello.yaml:2: element 'message' (BASIC) needs a function 'message(context)' "
        "in apps/demo/blocks/hello.py (missing file)"
    ]


def test_syntax_error_in_py(site_dir):
    site_dir.write("apps/demo/blocks/hello.yaml", "elements:\n  message: BASIC\n")
    site_dir.write("apps/demo/blocks/hello.py", "def message(context):\n    return (1\n\nx = 2\n")
    assert problems() == ["apps/demo/blocks/hello.py:2: syntax error: '(' was never closed"]


def test_error_while_loading_py_names_its_line(site_dir):
    site_dir.write("apps/demo/blocks/hello.yaml", "elements: {}\n")
    site_dir.write("apps/demo/blocks/hello.py", "import os\n\nVALUE = 1 / 0\n")
    assert problems() == [
        "apps/demo/blocks/hello.py:3: error while loading: ZeroDivisionError: division by zero"
    ]


def test_syntax_error_in_html(site_dir):
    site_dir.write("apps/demo/blocks/hello.yaml", "elements: {}\n")
    site_dir.write("apps/demo/blocks/hello.html", "<p>\n{% if x %}\n{% endfor %}\n")
    assert problems() == [
        "apps/demo/blocks/hello.html:3: template error: Invalid block tag on line 3: 'endfor', "
        "expected 'elif', 'else' or 'endif'. Did you forget to register or load this tag?"
    ]


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        (
            "apps/demo/blocks/9lives.yaml",
            "apps/demo/blocks/9lives.yaml:1: block id '9lives' (file name) must match [A-Za-z][A-Za-z0-9_-]*",
        ),
        (
            "apps/my app/blocks/x.yaml",
            "apps/my app/blocks/x.yaml:1: app id 'my app' (folder apps/my app) must match [A-Za-z][A-Za-z0-9_-]*",
        ),
        (
            "pages/_draft.yaml",
            "pages/_draft.yaml:1: page name '_draft' (file name) must match [A-Za-z][A-Za-z0-9_-]*",
        ),
    ],
)
def test_bad_ids_in_file_names(site_dir, rel, expected):
    site_dir.write(rel, "elements: {}\n" if "blocks" in rel else "title: x\n")
    assert problems() == [expected]


def test_bad_element_id(site_dir):
    site_dir.write(
        "apps/demo/blocks/hello.yaml", "elements:\n  ok: TEXT\n  2fast: TEXT\n  actions: TEXT\n"
    )
    assert problems() == [
        "apps/demo/blocks/hello.yaml:3: element id '2fast' must match [A-Za-z][A-Za-z0-9_-]*",
        "apps/demo/blocks/hello.yaml:4: element id 'actions' is reserved "
        "(actions, block, id, on_delete, on_display, on_save, record_id)",
    ]


def test_page_naming_missing_block(site_dir):
    site_dir.write("apps/rating/blocks/rate.yaml", "elements: {}\n")
    site_dir.write("apps/rating/blocks/summary.yaml", "elements: {}\n")
    site_dir.write(
        "pages/index.yaml",
        "title: Home\nblocks:\n  - rating/rate\n  - rating/rat\n  - app: nope\n    block: x\n",
    )
    assert problems() == [
        "pages/index.yaml:4: block 'rating/rat' not found; blocks in app 'rating': rate, summary",
        "pages/index.yaml:5: block 'nope/x' not found: no app 'nope'; apps: rating",
    ]


def test_bad_values_in_settings_files(site_dir):
    site_dir.write(
        "settings.yaml",
        """
        title: Shop
        auth:
          signup: maybe
          email_verification: sometimes
          providers: [google, myspace]
        """,
    )
    site_dir.write(
        "apps/shop/settings.yaml", "acl:\n  rights:\n    reader: ['*']\n    owner: [bob]\n"
    )
    assert problems() == [
        "apps/shop/settings.yaml:4: unknown key 'owner' in acl.rights; allowed: reader, author, editor, manager",
        "settings.yaml:3: auth.signup must be true or false, found 'maybe'",
        "settings.yaml:4: auth.email_verification must be one of mandatory, optional, none; found 'sometimes'",
        "settings.yaml:5: unknown provider 'myspace'; allowed: google, facebook, microsoft",
    ]


def test_link_domains_are_read_and_checked(site_dir):
    site_dir.write(
        "settings.yaml",
        """
        auth:
          link_domains:
            google: [Example.com, corp.example.org]
            myspace: [example.com]
            microsoft: [not a domain, "@example.com"]
        """,
    )
    assert problems() == [
        "settings.yaml:4: auth.link_domains: unknown provider 'myspace'; allowed: google, facebook, microsoft (SAML's is auth.saml.link_domains)",
        "settings.yaml:5: auth.link_domains.microsoft: 'not a domain' is not an e-mail domain such as example.com",
        "settings.yaml:5: auth.link_domains.microsoft: '@example.com' is not an e-mail domain such as example.com",
    ]
    assert current_site().settings.link_domains == {
        "google": ("example.com", "corp.example.org"),
        "microsoft": (),
    }


def test_every_problem_of_a_file_is_listed(site_dir):
    site_dir.write(
        "apps/demo/blocks/hello.yaml",
        "title: [not, a, string]\ntarget: modal\nelements:\n  a: {type: NOPE}\n  b: {mode: EDITABLE}\n",
    )
    assert problems() == [
        "apps/demo/blocks/hello.yaml:1: title must be a string, found a list",
        "apps/demo/blocks/hello.yaml:2: target must be one of ajax; found 'modal'",
        "apps/demo/blocks/hello.yaml:4: element 'a': unknown type 'NOPE'; allowed: BASIC, ACTION, TEXT, NUMBER, DATETIME, TEXTAREA, BOOLEAN, CHOICE, EMAIL, URL, DATE, FILE, REFERENCE, CHART",
        "apps/demo/blocks/hello.yaml:5: element 'b' has no type; allowed: BASIC, ACTION, TEXT, NUMBER, DATETIME, TEXTAREA, BOOLEAN, CHOICE, EMAIL, URL, DATE, FILE, REFERENCE, CHART",
    ]


def test_check_site_prints_problems_and_exits_1(site_dir, capsys):
    site_dir.write("apps/demo/blocks/hello.yaml", "elements:\n  message: BASIC\n")
    with pytest.raises(SystemExit) as exit_info:
        call_command("check_site")
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "apps/demo/blocks/hello.yaml:2: (site.E010) element 'message' (BASIC) needs a function 'message(context)' "
        "in apps/demo/blocks/hello.py (missing file)"
    ]


def test_check_site_leaves_the_loaders_log_on_for_what_runs_after_it(site_dir, caplog):
    """Quiet while it runs, the loader's log speaks again after the command (a test, a shell)."""
    site_dir.write("pages/index.yaml", "blocks: [x/y]\n")
    with pytest.raises(SystemExit):
        call_command("check_site")
    caplog.set_level(logging.INFO, logger="site_model.loader")
    site_dir.write("pages/index.yaml", "blocks: [x/z]\n")
    current_site()
    assert any("x/z" in record.getMessage() for record in caplog.records)


def test_check_site_output_is_the_problems_alone(site_dir):
    """Run as a newcomer runs it: no timestamped log line of the loader among the problems."""
    import subprocess
    import sys

    from django.conf import settings

    site_dir.write("pages/index.yaml", "blocks: [x/y]\n")
    env = {**os.environ, "SITE_DIR": str(site_dir.root), "DEBUG": "1", "SECRET_KEY": "x" * 50}
    env["ENV_FILE"] = os.devnull
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(  # noqa: S603 - our own manage.py, arguments fixed
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "check_site"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "pages/index.yaml:1: (site.E009) block 'x/y' not found: no app 'x'; apps: none"
    ]
    assert result.stderr.splitlines() == ["1 problem(s) in the site folder."]


@pytest.mark.django_db  # the access warnings look role names up among users and groups
def test_check_site_passes_on_the_demo_site(settings, capsys):
    from django.conf import settings as django_settings

    settings.SITE_DIR = django_settings.BASE_DIR
    call_command("check_site")
    output = capsys.readouterr()
    assert output.out == ""
    assert output.err.strip().endswith("The site folder has no problems.")


def test_site_problems_are_django_system_check_warnings(site_dir):
    from django.core import checks

    site_dir.write("pages/index.yaml", "blocks: [x/y]\n")
    found = [m for m in checks.run_checks() if m.id.startswith("site.")]
    assert [(m.id, m.msg) for m in found] == [
        (
            "site.E009",
            "pages/index.yaml:1: block 'x/y' not found: no app 'x'; apps: none",
        )
    ]
    assert found[0].hint == "Fix the name; the message lists what exists."
    assert all(m.level == checks.WARNING for m in found)


# --- hot reload -------------------------------------------------------------------------


def test_parsed_once_while_nothing_changes(site_dir):
    site_dir.write("apps/demo/blocks/hello.yaml", "elements: {}\n")
    assert current_site() is current_site()


@pytest.mark.parametrize(
    "kind", ["settings", "page", "app_settings", "block_yaml", "block_html", "block_py"]
)
def test_each_file_kind_is_reloaded_on_change(site_dir, kind):
    site_dir.write("apps/demo/blocks/hello.yaml", "title: One\nelements:\n  message: BASIC\n")
    site_dir.write("apps/demo/blocks/hello.py", "def message(context):\n    return 'one'\n")
    site_dir.write("apps/demo/blocks/hello.html", "<p>{{ message }}</p>\n")
    site_dir.write("apps/demo/settings.yaml", "title: Demo one\n")
    site_dir.write("pages/index.yaml", "title: Page one\nblocks: [demo/hello]\n")
    before = current_site()
    edits = {
        "settings": (
            "settings.yaml",
            "title: Site two\n",
            lambda s: s.settings.title == "Site two",
        ),
        "page": (
            "pages/index.yaml",
            "title: Page two\n",
            lambda s: s.pages["index"].title == "Page two",
        ),
        "app_settings": (
            "apps/demo/settings.yaml",
            "title: Demo two\n",
            lambda s: s.apps["demo"].title == "Demo two",
        ),
        "block_yaml": (
            "apps/demo/blocks/hello.yaml",
            "title: Two\nelements:\n  message: BASIC\n",
            lambda s: s.block("demo", "hello").title == "Two",
        ),
        "block_html": (
            "apps/demo/blocks/hello.html",
            "<b>{{ message }}</b>\n",
            lambda s: "<b>" in s.block("demo", "hello").layout.source,
        ),
        "block_py": (
            "apps/demo/blocks/hello.py",
            "def message(context):\n    return 'two'\n",
            lambda s: s.block("demo", "hello").code.message(None) == "two",
        ),
    }
    rel, text, changed = edits[kind]
    assert not changed(before)
    site_dir.write(rel, text)
    after = current_site()
    assert after is not before
    assert changed(after)


def test_a_removed_block_disappears(site_dir):
    site_dir.write("apps/demo/blocks/hello.yaml", "elements: {}\n")
    assert current_site().block("demo", "hello") is not None
    site_dir.remove("apps/demo/blocks/hello.yaml")
    assert current_site().block("demo", "hello") is None


def age(folder, seconds=60):
    """Set `folder`'s mtime `seconds` into the past: its listing is then trusted while it holds."""
    stamp = os.stat(folder).st_mtime - seconds
    os.utime(folder, (stamp, stamp))
    return os.stat(folder).st_mtime_ns


def test_a_folder_whose_stamp_holds_is_not_listed_again(site_dir, monkeypatch):
    from site_model import loader

    site_dir.write("apps/demo/blocks/hello.yaml", "elements: {}\n")
    for folder in ("apps/demo/blocks", "apps", "pages"):
        (site_dir.root / folder).mkdir(parents=True, exist_ok=True)
        age(site_dir.root / folder)
    assert current_site().block("demo", "hello") is not None
    listed = []
    real = os.scandir
    monkeypatch.setattr(loader.os, "scandir", lambda path: listed.append(path) or real(path))
    site_dir.write("apps/demo/blocks/hello.yaml", "title: Edited\nelements: {}\n")
    assert current_site().block("demo", "hello").title == "Edited"  # its own stamp changed
    assert listed == []


@pytest.mark.parametrize("racy", [False, True])
def test_an_entry_added_to_a_listed_folder_shows_on_the_next_scan(site_dir, racy):
    """A new file changes its folder's mtime; where the file system's tick leaves the mtime
    as it was (`racy`: put back by hand here), the listing was too recent to be trusted."""
    site_dir.write("apps/demo/blocks/hello.yaml", "elements: {}\n")
    blocks = site_dir.root / "apps/demo/blocks"
    if racy:
        listed_mtime = os.stat(blocks).st_mtime_ns
    else:
        listed_mtime = age(blocks)
    assert current_site().block("demo", "other") is None
    site_dir.write("apps/demo/blocks/other.yaml", "elements: {}\n")
    if racy:
        os.utime(blocks, ns=(listed_mtime, listed_mtime))
    else:
        assert os.stat(blocks).st_mtime_ns != listed_mtime
    assert current_site().block("demo", "other") is not None


def test_a_removed_app_folder_and_a_new_app_show_on_the_next_scan(site_dir):
    site_dir.write("apps/demo/blocks/hello.yaml", "elements: {}\n")
    age(site_dir.root / "apps")
    age(site_dir.root / "apps/demo/blocks")
    assert set(current_site().apps) == {"demo"}
    site_dir.write("apps/more/blocks/thing.yaml", "elements: {}\n")
    assert set(current_site().apps) == {"demo", "more"}
    site_dir.remove("apps/demo/blocks/hello.yaml")
    assert set(current_site().apps) == {"more"}


@pytest.mark.django_db
def test_a_warm_request_parses_nothing_and_scans_once(client, site_dir, monkeypatch):
    from site_model import loader

    site_dir.write("pages/index.yaml", "title: Home\nblocks: [demo/hello]\n")
    site_dir.write("apps/demo/blocks/hello.yaml", "elements:\n  message: BASIC\n")
    site_dir.write("apps/demo/blocks/hello.py", "def message(context):\n    return 'hi'\n")
    assert client.get("/").status_code == 200
    scans = []
    real_scan = loader.scan
    monkeypatch.setattr(loader, "scan", lambda root: scans.append(root) or real_scan(root))
    monkeypatch.setattr(
        loader, "build_site", lambda *a: pytest.fail("a warm request rebuilt the site")
    )
    monkeypatch.setattr(
        loader, "_read_yaml", lambda *a: pytest.fail("a warm request read a YAML file")
    )
    response = client.get("/")
    assert response.status_code == 200 and "hi" in response.content.decode()
    assert len(scans) == 1


def test_saml_and_trusted_methods_are_read(site_dir):
    site_dir.write(
        "settings.yaml",
        """
        auth:
          otp:
            required_for: [admins]
            trusted_methods: [saml, certificate]
          saml:
            slug: corp
            name: Corp SSO
            idp:
              metadata_url: https://idp.example.com/metadata
              entity_id: https://idp.example.com/
            sp: {entity_id: https://site.example.com/sp}
            attributes:
              username: uid
              email: [mail, "urn:oid:0.9.2342.19200300.100.1.3"]
              groups: memberOf
            groups:
              "CN=Sales,DC=example,DC=com": [sales, staff]
              admins: admins
            idp_initiated: true
        """,
    )
    assert problems() == []
    settings = current_site().settings
    assert settings.otp_trusted_methods == ("saml", "certificate")
    saml = settings.saml
    assert (saml.slug, saml.name, saml.idp_initiated, saml.signup) == (
        "corp",
        "Corp SSO",
        True,
        True,
    )
    assert saml.idp_metadata_url == "https://idp.example.com/metadata"
    assert saml.idp_entity_id == "https://idp.example.com/"
    assert saml.sp_entity_id == "https://site.example.com/sp"
    assert saml.attributes == {
        "username": ("uid",),
        "email": ("mail", "urn:oid:0.9.2342.19200300.100.1.3"),
        "groups": ("memberOf",),
    }
    assert saml.groups == {"CN=Sales,DC=example,DC=com": ("sales", "staff"), "admins": ("admins",)}
    assert saml.managed_groups == {"sales", "staff", "admins"}


def test_bad_saml_settings_are_named_by_line(site_dir):
    site_dir.write(
        "settings.yaml",
        """
        auth:
          otp:
            trusted_methods: [saml, password]
          saml:
            slug: "my corp"
            idp:
              metadata_url: http://idp.example.com/metadata
              sso_url: https://idp.example.com/sso
              metadata_file: ../idp.xml
              wrong: 1
            attributes:
              login: uid
              email: {a: b}
            groups:
              "CN=Sales": "sales!"
            idp_initiated: sometimes
        """,
    )
    assert problems() == [
        "settings.yaml:3: unknown login method 'password'; allowed: ldap, certificate, saml",
        "settings.yaml:5: auth.saml.slug: 'my corp' must match [A-Za-z][A-Za-z0-9_-]*",
        "settings.yaml:7: auth.saml.idp.metadata_url must be an https:// URL (http:// only for 127.0.0.1 or localhost), found 'http://idp.example.com/metadata'",
        "settings.yaml:7: auth.saml.idp needs exactly one of metadata_url, metadata_file or sso_url; found metadata_url, metadata_file, sso_url",
        "settings.yaml:9: auth.saml.idp.metadata_file must be a path inside the site folder, found '../idp.xml'",
        "settings.yaml:10: unknown key 'wrong' in auth.saml.idp; allowed: metadata_url, metadata_file, entity_id, sso_url, x509cert, x509cert_file",
        "settings.yaml:12: unknown key 'login' in auth.saml.attributes; allowed: uid, username, email, email_verified, first_name, last_name, groups",
        "settings.yaml:13: auth.saml.attributes.email must be an attribute name or a list of them, found a mapping",
        "settings.yaml:14: auth.saml.groups needs auth.saml.attributes.groups: the attribute that holds them",
        "settings.yaml:15: auth.saml.groups['CN=Sales']: id 'sales!' must match [A-Za-z][A-Za-z0-9_-]*",
        "settings.yaml:16: auth.saml.idp_initiated must be true or false, found 'sometimes'",
    ]
    assert current_site().settings.saml is None


def test_saml_idp_given_by_hand_needs_entity_id_and_certificate(site_dir):
    site_dir.write(
        "settings.yaml",
        "auth:\n  saml:\n    idp:\n      sso_url: http://10.0.0.1/sso\n",
    )
    assert problems() == [
        "settings.yaml:4: auth.saml.idp.sso_url must be an https:// URL (http:// only for 127.0.0.1 or localhost), found 'http://10.0.0.1/sso'",
        "settings.yaml:4: auth.saml.idp with sso_url needs entity_id too",
        "settings.yaml:4: auth.saml.idp with sso_url needs its certificate: x509cert or x509cert_file",
    ]


def test_saml_needs_an_idp(site_dir):
    site_dir.write("settings.yaml", "auth:\n  saml:\n    name: SSO\n")
    assert problems() == [
        "settings.yaml:2: auth.saml needs `idp`: metadata_url, metadata_file, or entity_id + sso_url + x509cert",
        "settings.yaml:2: auth.saml.idp needs exactly one of metadata_url, metadata_file or sso_url",
    ]


def test_validation_keys_are_checked_with_their_lines(site_dir):
    site_dir.write(
        "apps/events/blocks/event.yaml",
        """
        title_element: nope
        elements:
          name: {type: TEXT, required: yes please, max_length: 0, pattern: "[a-"}
          seats: {type: NUMBER, min: 10, max: 2, pattern: x}
          kind: {type: CHOICE}
          size: {type: CHOICE, choices: [a, a]}
          day: {type: DATE, min: tomorrow, max: 2026-12-31}
          at: {type: DATETIME, max: 5}
          venue: {type: REFERENCE, app: nowhere}
          note: {type: BASIC, required: true}
          link: {type: URL, choices: [x]}
        """,
    )
    site_dir.write("apps/events/blocks/event.py", "def note(context):\n    return 1\n")
    assert problems() == [
        "apps/events/blocks/event.yaml:1: title_element 'nope' names no input element of the "
        "block; inputs: name, seats, kind, size, day, at, venue, link",
        "apps/events/blocks/event.yaml:3: element 'name' required must be true or false, "
        "found 'yes please'",
        "apps/events/blocks/event.yaml:3: element 'name' max_length must be a whole number of "
        "at least 1, found 0",
        "apps/events/blocks/event.yaml:3: element 'name' pattern is not a regular expression: "
        "unterminated character set at position 0",
        "apps/events/blocks/event.yaml:4: element 'seats': pattern applies only to TEXT, "
        "TEXTAREA elements",
        "apps/events/blocks/event.yaml:4: element 'seats': max 2 is below min 10",
        "apps/events/blocks/event.yaml:5: element 'kind': a CHOICE needs choices: [..]",
        "apps/events/blocks/event.yaml:6: element 'size' choices lists a choice twice",
        "apps/events/blocks/event.yaml:6: element 'size': a CHOICE needs choices: [..]",
        "apps/events/blocks/event.yaml:7: element 'day' min must be a date such as 2026-07-01, "
        "found 'tomorrow'",
        "apps/events/blocks/event.yaml:8: element 'at' max must be a datetime such as "
        "2026-07-01T18:00, found 5",
        "apps/events/blocks/event.yaml:9: element 'venue': app 'nowhere' does not exist; "
        "apps: events",
        "apps/events/blocks/event.yaml:10: element 'note': required applies only to BOOLEAN, "
        "CHOICE, DATE, DATETIME, EMAIL, FILE, NUMBER, REFERENCE, TEXT, TEXTAREA, URL elements",
        "apps/events/blocks/event.yaml:11: element 'link': choices applies only to CHOICE elements",
    ]


def test_one_element_id_has_one_type_in_an_app(site_dir):
    site_dir.write("apps/events/blocks/a.yaml", "elements:\n  seats: NUMBER\n")
    site_dir.write("apps/events/blocks/b.yaml", "elements:\n  seats: TEXT\n")
    assert problems() == [
        "apps/events/blocks/b.yaml:2: element 'seats' is TEXT here but NUMBER in "
        "apps/events/blocks/a.yaml; one element id has one type in an app"
    ]


def test_rules_reach_the_element(site_dir):
    site_dir.write(
        "apps/events/blocks/event.yaml",
        """
        title_element: name
        elements:
          name: {type: TEXT, required: true, max_length: 80, pattern: "[A-Za-z ]+"}
          seats: {type: NUMBER, min: 1, max: 500}
          kind: {type: CHOICE, choices: [talk, party]}
          day: {type: DATE, min: 2026-01-01}
          venue: {type: REFERENCE, app: events}
        """,
    )
    assert problems() == []
    block = current_site().block("events", "event")
    name, seats, kind, day, venue = block.elements
    assert (name.required, name.max_length, name.pattern) == (True, 80, "[A-Za-z ]+")
    assert (seats.min, seats.max, kind.choices, day.min, venue.app) == (
        1,
        500,
        ("talk", "party"),
        "2026-01-01",
        "events",
    )
    assert block.heading_element is name


def test_fresh_login_and_second_factor_are_checked_with_file_line_and_id(site_dir, capsys):
    """Contract §11: each wrong value named by file, line and check id; the right ones read."""
    site_dir.write("pages/index.yaml", 'fresh_login: "yes"\nblocks: [hr/pay, hr/ok]\n')
    site_dir.write(
        "apps/hr/blocks/pay.yaml",
        "fresh_login: 1\nsecond_factor: 10\nelements:\n"
        "  go:\n    type: ACTION\n    second_factor: {within: 5, for: all}\n"
        "  stop:\n    type: ACTION\n    second_factor: {}\n"
        "  total:\n    type: BASIC\n    second_factor: {within: 5}\n",
    )
    site_dir.write(
        "apps/hr/blocks/pay.py",
        "def go(context):\n    pass\n\ndef stop(context):\n    pass\n\n"
        "def total(context):\n    return 1\n",
    )
    site_dir.write(
        "apps/hr/blocks/ok.yaml",
        "fresh_login: true\nsecond_factor: {within: 1440}\nelements:\n"
        "  approve:\n    type: ACTION\n    second_factor: {within: 2}\n"
        "  late:\n    type: ACTION\n    second_factor: {within: 1441}\n",
    )
    site_dir.write(
        "apps/hr/blocks/ok.py", "def approve(context):\n    pass\n\ndef late(context):\n    pass\n"
    )
    with pytest.raises(SystemExit):
        call_command("check_site")
    assert capsys.readouterr().out.splitlines() == [
        "apps/hr/blocks/ok.yaml:9: (site.E012) element 'late': second_factor.within must be a "
        "whole number of minutes from 1 to 1440, found 1441",
        "apps/hr/blocks/pay.yaml:1: (site.E003) fresh_login must be true or false, found 1",
        "apps/hr/blocks/pay.yaml:2: (site.E003) second_factor must be a mapping "
        "{within: <minutes>}, found 10",
        "apps/hr/blocks/pay.yaml:6: (site.E002) element 'go': unknown key 'for' in second_factor; "
        "allowed: within",
        "apps/hr/blocks/pay.yaml:9: (site.E007) element 'stop': second_factor needs within: <minutes>",
        "apps/hr/blocks/pay.yaml:12: (site.E013) element 'total': second_factor applies only to "
        "ACTION elements",
        "pages/index.yaml:1: (site.E003) fresh_login must be true or false, found 'yes'",
    ]
    site = current_site()
    ok = site.block("hr", "ok")
    assert (ok.fresh_login, ok.second_factor, ok.element("approve").second_factor) == (
        True,
        1440,
        2,
    )
    # A wrong value stands for the strict one (the block is broken all the same).
    assert site.block("hr", "pay").fresh_login is True
    assert site.page_at("/").fresh_login is True
