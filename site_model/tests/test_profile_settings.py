"""settings.yaml `users` and an app's `on_create` (contract §11, issue 27): read, and every
mistake named with its file, line and check id."""

from django.core.management import call_command

from site_model.loader import current_site


def problems():
    return [problem.with_id() for problem in current_site().problems]


def test_profile_fields_and_on_create_read_into_the_site(site_dir):
    site_dir.write(
        "settings.yaml",
        """
        users:
          fields:
            team: {type: CHOICE, choices: [east, west], label: Team}
            phone: {type: TEXT, max_length: 30}
          self_edit: [phone]
        """,
    )
    site_dir.write(
        "apps/sales/settings.yaml",
        "on_create:\n  team: profile.team\n  salesman: user.username\n  mail: user.email\n",
    )
    site = current_site()
    assert problems() == []
    fields = site.settings.profile_fields
    assert list(fields) == ["team", "phone"]
    assert fields["team"].choices == ("east", "west")
    assert fields["phone"].check("x" * 31) is not None
    assert site.settings.self_edit == ("phone",)
    assert site.apps["sales"].on_create == {
        "team": "profile.team",
        "salesman": "user.username",
        "mail": "user.email",
    }


def test_every_mistake_in_users_is_named_with_its_line(site_dir):
    site_dir.write(
        "settings.yaml",
        """
        users:
          fields:
            team: {type: CHOICE, choices: [east, west]}
            photo: FILE
            score: {type: NUMBER, mode: COMPUTED_ON_SAVE}
            phone: {type: TEXT, max_length: many}
          self_edit: [phone, age]
          colour: red
        """,
    )
    assert problems() == [
        "settings.yaml:4: (site.E004) users.fields: field 'photo' is FILE; a profile field is one "
        "of TEXT, TEXTAREA, NUMBER, BOOLEAN, CHOICE, EMAIL, URL, DATE, DATETIME",
        "settings.yaml:5: (site.E013) users.fields: field 'score' has mode COMPUTED_ON_SAVE; "
        "profile fields are EDITABLE",
        "settings.yaml:6: (site.E012) element 'phone' max_length must be a whole number of at "
        "least 1, found 'many'",
        "settings.yaml:7: (site.E009) users.self_edit names no profile field: age; "
        "fields: team, phone",
        "settings.yaml:8: (site.E002) unknown key 'colour' in users; allowed: fields, self_edit",
    ]


def test_every_mistake_in_on_create_is_named_with_its_line(site_dir):
    site_dir.write(
        "settings.yaml", "users:\n  fields:\n    team: {type: CHOICE, choices: [a, b]}\n"
    )
    site_dir.write(
        "apps/sales/settings.yaml",
        """
        on_create:
          team: profile.team
          region: profile.region
          salesman: user.name
          1bad: user.username
        """,
    )
    assert problems() == [
        "apps/sales/settings.yaml:3: (site.E009) on_create.region: profile field 'region' is not "
        "declared in settings.yaml users.fields; fields: team",
        "apps/sales/settings.yaml:4: (site.E004) on_create.salesman must be one of "
        "user.username, user.email or profile.<field>; found 'user.name'",
        "apps/sales/settings.yaml:5: (site.E005) on_create: item '1bad' must be an element id",
    ]


def test_check_site_prints_them(site_dir, capsys):
    site_dir.write("apps/sales/settings.yaml", "on_create:\n  team: profile.team\n")
    try:
        call_command("check_site")
    except SystemExit:
        pass
    out = capsys.readouterr()
    assert "apps/sales/settings.yaml:2: (site.E009) on_create.team: profile field 'team'" in (
        out.out + out.err
    )
