"""apps/<app>/settings.yaml, pages/*.yaml and a block's top keys read through their models
(site_model.schema, via site_model.typed): every mistake at its line with its id, and what is right kept, a broken
principals value naming nobody (deny by default)."""

from site_model.acl import FieldRule
from site_model.loader import current_site

SETTINGS = "apps/shop/settings.yaml"


def problems():
    return [(p.line, p.check, p.message) for p in current_site().problems]


def test_broken_values_are_named_and_the_rest_is_kept(site_dir):
    site_dir.write("apps/shop/blocks/item.yaml", "elements:\n  margin: NUMBER\n")
    site_dir.write(
        SETTINGS,
        "acl:\n"
        "  row_owners: [margin, 2bad]\n"
        "  rights:\n"
        "    reader: 3\n"
        "    author: [bob]\n"
        "  fields:\n"
        "    margin: {read: {a: 1}, write: [admins]}\n"
        "debug: maybe\n",
    )
    assert problems() == [
        (2, "site.E005", "acl.row_owners: id '2bad' must match [A-Za-z][A-Za-z0-9_-]*"),
        (
            4,
            "site.E003",
            "acl.rights.reader must be a list of principals or one string of names, found a number",
        ),
        (
            7,
            "site.E003",
            "acl.fields.margin.read must be a list of principals or one string of names, "
            "found a mapping",
        ),
        (8, "site.E003", "debug must be true or false, found 'maybe'"),
    ]
    app = current_site().apps["shop"]
    assert app.acl.rights == {"reader": (), "author": ("bob",)}
    assert app.acl.row_owners == ("margin",)
    assert app.acl.fields == {"margin": FieldRule(read=(), write=("admins",))}
    assert app.debug is False


def test_an_acl_that_is_not_a_mapping_names_nobody(site_dir):
    site_dir.write("apps/shop/blocks/item.yaml", "elements:\n  margin: NUMBER\n")
    site_dir.write(SETTINGS, "title: Shop\nacl: [admins]\nacl: {}\n")
    assert problems() == [
        (2, "site.E003", "acl must be a mapping, found a list"),
        (3, "site.E006", "duplicate key 'acl' in app settings"),
    ]
    app = current_site().apps["shop"]
    assert app.title == "Shop"
    assert app.acl is not None and app.acl.rights == {} and app.acl.roles == {}


def test_a_page_is_read_through_its_model(site_dir):
    """pages/<name>.yaml (schema.PageFile): each broken block at its own line, the good ones
    kept at theirs; a broken fresh_login stands for true, broken principals for nobody."""
    site_dir.write("apps/shop/blocks/item.yaml", "elements:\n  margin: NUMBER\n")
    site_dir.write(
        "pages/home.yaml",
        "path: /admin/home\n"
        "fresh_login: 1\n"
        "view_permission: 3\n"
        "blocks:\n"
        "  - 5\n"
        "  - {app: shop}\n"
        "  - 1a/b\n"
        "  - {app: shop, block: item}\n",
    )
    assert problems() == [
        (
            1,
            "site.E008",
            "path '/admin/home' is taken by the site's own routes (/apps/, /api/, /accounts/, "
            "/admin/, /static/, /people/, /preview/)",
        ),
        (2, "site.E003", "fresh_login must be true or false, found 1"),
        (
            3,
            "site.E003",
            "view_permission must be a list of principals or one string of names, found a number",
        ),
        (5, "site.E003", "a page block must be 'app/block' or {app: …, block: …}, found 5"),
        (6, "site.E007", "a page block as a mapping needs both 'app' and 'block'"),
        (7, "site.E005", "block '1a/b': ids must match [A-Za-z][A-Za-z0-9_-]*"),
    ]
    page = current_site().pages["home"]
    assert [(ref.app_id, ref.block_id, ref.line) for ref in page.blocks] == [("shop", "item", 8)]
    assert page.fresh_login is True and page.view_permission == ()


def test_a_blocks_top_keys_are_read_through_its_model(site_dir):
    """apps/<app>/blocks/<block>.yaml (schema.BlockFile): a broken second_factor stands for one
    minute; a duplicate element is named once (the elements are the loader's to read)."""
    site_dir.write(
        "apps/shop/blocks/item.yaml",
        "target: page\n"
        "second_factor: {within: 0}\n"
        "elements:\n"
        "  price: NUMBER\n"
        "  price: TEXT\n"
        "title_element: price\n",
    )
    assert problems() == [
        (1, "site.E004", "target must be one of ajax; found 'page'"),
        (
            2,
            "site.E012",
            "second_factor.within must be a whole number of minutes from 1 to 1440, found 0",
        ),
        (5, "site.E006", "duplicate key 'price' in elements"),
    ]
    block = current_site().apps["shop"].blocks["item"]
    assert block.second_factor == 1 and block.target is None and block.title_element == "price"
