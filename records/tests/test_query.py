"""records.query: the search-query language of contract §4, and its translation to a Q.

No database: the parser is pure Python, and the translator is checked by compiling its SQL.
"""

import ast
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection, models
from django.test.utils import isolate_apps
from hypothesis import given, settings
from hypothesis import strategies as st

from records.query import (
    MAX_ANY_VALUES,
    MAX_DEPTH,
    MAX_QUERY_LENGTH,
    And,
    AnyOf,
    Between,
    Compare,
    IndexSpec,
    MatchAll,
    Not,
    Or,
    QueryError,
    TextMatch,
    check_sort_index,
    parse_query,
    words_of,
)

INDEXES = [
    IndexSpec("title", "text", "TEXT"),
    IndexSpec("author", "field", "TEXT"),
    IndexSpec("price", "field", "NUMBER"),
    IndexSpec("total", "field", "NUMBER"),
    IndexSpec("due", "field", "DATETIME"),
    IndexSpec("tag", "field", "TEXT"),
    IndexSpec("x", "field", "BASIC"),
    IndexSpec("a", "field", None),
    IndexSpec("b", "field", None),
]
KNOWN = "a, author, b, due, id, price, tag, title, total, x"


def parse(text, **kw):
    return parse_query(text, INDEXES, **kw)


def error_of(text) -> str:
    with pytest.raises(QueryError) as info:
        parse(text)
    return str(info.value)


def day(y, m, d, tz=UTC):
    return datetime(y, m, d, tzinfo=tz)


# The contract's examples, and every form of the language. --------------------------------------


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("total > 0", Compare("total", "number", ">", 0)),
        (
            "author == 'Conrad' and 'Lord Jim' in title",
            And((Compare("author", "text", "==", "Conrad"), TextMatch("title", ("lord", "jim")))),
        ),
        (
            "price >= 10 and price < 20",
            And((Compare("price", "number", ">=", 10), Compare("price", "number", "<", 20))),
        ),
        ("not (x == 1)", Not(Compare("x", "number", "==", 1))),
        (
            "a == 1 or b == 2",
            Or((Compare("a", "number", "==", 1), Compare("b", "number", "==", 2))),
        ),
        ("tag in any(['a', 'b'])", AnyOf("tag", "text", ("a", "b"))),
    ],
)
def test_contract_examples(query, tree):
    assert parse(query) == tree


@pytest.mark.parametrize(
    ("query", "op"),
    [
        ("price == 5", "=="),
        ("price < 5", "<"),
        ("price <= 5", "<="),
        ("price > 5", ">"),
        ("price >= 5", ">="),
    ],
)
def test_comparison_operators(query, op):
    assert parse(query) == Compare("price", "number", op, 5)


def test_not_equal_is_not_of_equal():
    # So that a record without the item matches, as `not (x == 1)` does.
    assert parse("price != 5") == Not(Compare("price", "number", "==", 5))
    assert parse("price != 5") == parse("not (price == 5)")


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("5 < price", Compare("price", "number", ">", 5)),
        ("5 <= price", Compare("price", "number", ">=", 5)),
        ("5 == price", Compare("price", "number", "==", 5)),
        ("5 != price", Not(Compare("price", "number", "==", 5))),
    ],
)
def test_value_on_the_left(query, tree):
    assert parse(query) == tree


def test_chained_comparison_is_and_of_links():
    assert parse("10 <= price < 20") == And(
        (Compare("price", "number", ">=", 10), Compare("price", "number", "<", 20))
    )


def test_numbers_signs_and_floats():
    assert parse("price > -5") == Compare("price", "number", ">", -5)
    assert parse("price > +5") == Compare("price", "number", ">", 5)
    assert parse("price > -2.5") == Compare("price", "number", ">", -2.5)
    assert parse("price == 1e3") == Compare("price", "number", "==", 1000.0)


def test_strings_with_either_quote():
    assert parse('author == "Conrad"') == parse("author == 'Conrad'")
    assert parse("author == 'it''s'") == Compare("author", "text", "==", "its")
    assert parse("author == 'Jos\\u00e9'") == Compare("author", "text", "==", "José")


def test_id_is_always_an_index():
    assert parse("id == 'order-1'") == Compare("id", "text", "==", "order-1")
    assert parse_query("id == 'x'", []) == Compare("id", "text", "==", "x")


def test_indexes_may_be_a_mapping():
    assert parse_query("price > 1", {s.id: s for s in INDEXES}) == Compare(
        "price", "number", ">", 1
    )


# Precedence and parentheses ---------------------------------------------------------------------

A1 = Compare("a", "number", "==", 1)
B2 = Compare("b", "number", "==", 2)
X3 = Compare("x", "number", "==", 3)


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("a == 1 or b == 2 and x == 3", Or((A1, And((B2, X3))))),
        ("(a == 1 or b == 2) and x == 3", And((Or((A1, B2)), X3))),
        ("not a == 1 and b == 2", And((Not(A1), B2))),
        ("not (a == 1 and b == 2)", Not(And((A1, B2)))),
        ("a == 1 and b == 2 and x == 3", And((A1, B2, X3))),
        ("a == 1 or (b == 2 or x == 3)", Or((A1, Or((B2, X3))))),
        ("((a == 1))", A1),
        ("not not a == 1", Not(Not(A1))),
        ("a == 1 and\n b == 2", And((A1, B2))),
    ],
)
def test_precedence_and_parentheses(query, tree):
    assert parse(query) == tree


# any([...]) --------------------------------------------------------------------------------------


def test_any_of_values():
    assert parse("price in any([1, 2, 2.5])") == AnyOf("price", "number", (1, 2, 2.5))
    assert parse("tag in any(['a'])") == AnyOf("tag", "text", ("a",))
    assert parse("tag in any(['a', 'a'])") == AnyOf("tag", "text", ("a",))


def test_not_in_any():
    assert parse("tag not in any(['a', 'b'])") == Not(AnyOf("tag", "text", ("a", "b")))
    assert parse("not tag in any(['a'])") == Not(AnyOf("tag", "text", ("a",)))


def test_any_of_mixed_values_on_an_untyped_index():
    assert parse("x in any([1, 'a', 2])") == Or(
        (AnyOf("x", "number", (1, 2)), AnyOf("x", "text", ("a",)))
    )


def test_any_of_dates():
    assert parse("due in any(['2024-05-01T10:00:00Z', '2024-05-02'])") == Or(
        (
            AnyOf("due", "date", (datetime(2024, 5, 1, 10, tzinfo=UTC),)),
            Between("due", "date", day(2024, 5, 2), day(2024, 5, 3)),
        )
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("tag in any([])", "any([...]) needs at least one value"),
        ("tag in any(tag)", "any() takes one list of values, e.g. any(['a', 'b']): any(tag)"),
        (
            "tag in any(['a'], ['b'])",
            "any() takes one list of values, e.g. any(['a', 'b']): any(['a'], ['b'])",
        ),
        (
            "tag in any(x=['a'])",
            "any() takes one list of values, e.g. any(['a', 'b']): any(x=['a'])",
        ),
        ("tag in any(('a', 'b'))", "tuples are not allowed: ('a', 'b')"),
        ("tag in any([x])", "expected a value, found the name x"),
        ("tag in any([['a']])", "expected a string or a number, found ['a']"),
        ("'a' in any(['a'])", "the left of `in any([...])` must be an index name: 'a'"),
        (
            "any([tag == 'a'])",
            "any([...]) is only allowed on the right of `in`: name in any([...]), "
            "found any([tag == 'a'])",
        ),
        (
            "tag == any(['a'])",
            "any([...]) is only allowed on the right of `in`: name in any([...]), found any(['a'])",
        ),
        ("tag in ['a', 'b']", "`in` needs a text index or any([...]) on its right: ['a', 'b']"),
        ("tag == ['a']", "lists are only allowed inside any([...]): ['a']"),
        ("price in any(['a'])", "price is a NUMBER index: compare it with a number, not 'a'"),
        (
            "title in any(['a'])",
            "title is a text index: search it with 'words' in title, not title in any([...])",
        ),
    ],
)
def test_any_misuse(query, message):
    assert error_of(query) == message


def test_any_takes_at_most_so_many_values():
    values = ", ".join(str(n) for n in range(MAX_ANY_VALUES + 1))
    assert error_of(f"price in any([{values}])") == (
        f"any([...]) takes at most {MAX_ANY_VALUES} values, not {MAX_ANY_VALUES + 1}"
    )
    ok = ", ".join(str(n) for n in range(MAX_ANY_VALUES))
    assert len(parse(f"price in any([{ok}])").values) == MAX_ANY_VALUES


# Text indexes ------------------------------------------------------------------------------------


def test_text_search_takes_every_word_lower_cased():
    assert parse("'Lord  JIM, lord' in title") == TextMatch("title", ("lord", "jim"))
    assert parse("'Straße' in title") == TextMatch("title", ("strasse",))
    assert parse("'one' not in title") == Not(TextMatch("title", ("one",)))


def test_words_of():
    assert words_of("Lord Jim, lord_JIM! 42") == ("lord", "jim", "42")
    assert words_of(" ,;- ") == ()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("' , ' in title", "no words to search for in ' , '"),
        ("5 in title", "the left of `in title` must be a string of words: 5"),
        ("author in title", "the left of `in title` must be a string of words: author"),
        (
            "'a' in author",
            "author is a field index: `'words' in author` needs a text index; "
            "use author == 'value' or author in any(['a', 'b'])",
        ),
        (
            "title == 'a'",
            "title is a text index: search it with 'words' in title, not title == ...",
        ),
        ("title > 'a'", "title is a text index: search it with 'words' in title, not title > ..."),
        ("'a' in nowhere", f"unknown index 'nowhere'; indexes of this app: {KNOWN}"),
    ],
)
def test_text_misuse(query, message):
    assert error_of(query) == message


def test_too_many_words():
    words = " ".join(f"w{n}" for n in range(40))
    assert error_of(f"'{words}' in title") == "too many words to search for: 40, at most 32"


# Dates -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("due == '2024-05-01'", Between("due", "date", day(2024, 5, 1), day(2024, 5, 2))),
        ("due != '2024-05-01'", Not(Between("due", "date", day(2024, 5, 1), day(2024, 5, 2)))),
        ("due < '2024-05-01'", Compare("due", "date", "<", day(2024, 5, 1))),
        ("due <= '2024-05-01'", Compare("due", "date", "<", day(2024, 5, 2))),
        ("due > '2024-05-01'", Compare("due", "date", ">=", day(2024, 5, 2))),
        ("due >= '2024-05-01'", Compare("due", "date", ">=", day(2024, 5, 1))),
        ("'2024-05-01' < due", Compare("due", "date", ">=", day(2024, 5, 2))),
        (
            "due > '2024-05-01T13:30'",
            Compare("due", "date", ">", datetime(2024, 5, 1, 13, 30, tzinfo=UTC)),
        ),
        (
            "due == '2024-05-01T13:30:00Z'",
            Compare("due", "date", "==", datetime(2024, 5, 1, 13, 30, tzinfo=UTC)),
        ),
        (
            "due < '2024-05-01T13:30:00+02:00'",
            Compare("due", "date", "<", datetime(2024, 5, 1, 11, 30, tzinfo=UTC)),
        ),
    ],
)
def test_dates(query, tree):
    assert parse(query) == tree


def test_date_comparisons_are_instants():
    # '13:30+02:00' and '11:30Z' are the same instant: the trees are equal.
    assert parse("due == '2024-05-01T13:30:00+02:00'") == parse("due == '2024-05-01T11:30:00Z'")


def test_naive_times_take_the_default_zone():
    paris = timezone(timedelta(hours=1))
    assert parse("due >= '2024-01-01'", default_tz=paris) == Compare(
        "due", "date", ">=", datetime(2024, 1, 1, tzinfo=paris)
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "due > 'tomorrow'",
            "due is a DATETIME index: 'tomorrow' is not an ISO 8601 date such as "
            "'2024-05-01' or '2024-05-01T13:30:00Z'",
        ),
        (
            "due > '2024-02-30'",
            "due is a DATETIME index: '2024-02-30' is not an ISO 8601 date such as "
            "'2024-05-01' or '2024-05-01T13:30:00Z'",
        ),
        (
            "due > 20240101",
            "due is a DATETIME index: compare it with an ISO 8601 date such as "
            "'2024-05-01' or '2024-05-01T13:30:00Z', not 20240101",
        ),
    ],
)
def test_bad_dates(query, message):
    assert error_of(query) == message


def test_dates_on_untyped_indexes_are_strings():
    # ISO strings of one format order like the instants; no guessing for BASIC values.
    assert parse("x > '2024-05-01'") == Compare("x", "text", ">", "2024-05-01")


# Typing rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("price == '5'", "price is a NUMBER index: compare it with a number, not '5'"),
        ("author == 5", "author is a TEXT index: compare it with a string, not 5"),
        ("id == 5", "id is a TEXT index: compare it with a string, not 5"),
    ],
)
def test_values_must_fit_the_index_type(query, message):
    assert error_of(query) == message


def test_untyped_index_compares_by_the_literal_type():
    assert parse("x == 5") == Compare("x", "number", "==", 5)
    assert parse("x == '5'") == Compare("x", "text", "==", "5")


# Empty and malformed queries ---------------------------------------------------------------------


@pytest.mark.parametrize("query", [None, "", "   ", "\n"])
def test_empty_query_matches_everything(query):
    assert parse(query) == MatchAll()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (5, "a query must be a string, not int"),
        (b"x == 1", "a query must be a string, not bytes"),
        (["x == 1"], "a query must be a string, not list"),
        ({"x": 1}, "a query must be a string, not dict"),
        (True, "a query must be a string, not bool"),
    ],
)
def test_non_string_queries(query, message):
    assert error_of(query) == message


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("nope == 1", f"unknown index 'nope'; indexes of this app: {KNOWN}"),
        ("x == 1 and nope > 2", f"unknown index 'nope'; indexes of this app: {KNOWN}"),
        ("nope in any([1])", f"unknown index 'nope'; indexes of this app: {KNOWN}"),
        ("x", "a name alone is not a condition: x; compare it, e.g. x == 'value'"),
        ("x and a == 1", "a name alone is not a condition: x; compare it, e.g. x == 'value'"),
        ("1", "a value alone is not a condition: 1; compare an index with it, e.g. price > 10"),
        ("'x'", "a value alone is not a condition: 'x'; compare an index with it, e.g. price > 10"),
        ("x == y", "comparing two indexes is not supported: x == y; compare an index with a value"),
        ("1 == 2", "a comparison needs an index name on one side: 1 == 2"),
        ("x == 1 == 2", "a comparison needs an index name on one side: 1 == 2"),
        ("x is 1", "`is` is not allowed: use == or !="),
        ("x is not 1", "`is not` is not allowed: use == or !="),
        ("x == True", "only strings and numbers are allowed as values, not True"),
        ("x == None", "only strings and numbers are allowed as values, not None"),
        ("x == b'a'", "only strings and numbers are allowed as values, not b'a'"),
        ("x == 1j", "only strings and numbers are allowed as values, not 1j"),
        ("x == ...", "only strings and numbers are allowed as values, not ..."),
        ("x == -'a'", "a sign is only allowed before a number: -'a'"),
        ("x == --1", "a sign is only allowed before a number: --1"),
        ("~x == 1", "the operator ~ is not allowed: ~x"),
        ("x ==", "the query does not parse: invalid syntax"),
        (
            "x = 1",
            "the query does not parse at column 3: invalid syntax",
        ),
        ("x == 1;", "the query does not parse at column 7: invalid syntax"),
        (
            "x == 'a",
            "the query does not parse at column 6: unterminated string literal (detected at line 1)",
        ),
        ("x\0 == 1", "the query does not parse: source code string cannot contain null bytes"),
    ],
)
def test_malformed(query, message):
    assert error_of(query) == message


# Hostile input: refused with a message naming the construct, and never evaluated. ----------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("x.y == 1", "attribute access is not allowed: x.y"),
        ("x.__class__ == 1", "attribute access is not allowed: x.__class__"),
        ("'a' in x.y", "attribute access is not allowed: x.y"),
        (
            "open('/etc/passwd') == 1",
            "calls other than any([...]) are not allowed: open('/etc/passwd')",
        ),
        (
            "__import__('os').system('touch /tmp/pwned') == 0",
            "calls other than any([...]) are not allowed: __import__('os').system('touch /tmp/pwned')",
        ),
        ("__import__('os')", "calls other than any([...]) are not allowed: __import__('os')"),
        ("x in all([1])", "calls other than any([...]) are not allowed: all([1])"),
        (
            "x in any.__self__([1])",
            "calls other than any([...]) are not allowed: any.__self__([1])",
        ),
        ("x == [i for i in y]", "comprehensions are not allowed: [i for i in y]"),
        ("x in any([i for i in y])", "comprehensions are not allowed: [i for i in y]"),
        ("x == {i for i in y}", "comprehensions are not allowed: {i for i in y}"),
        ("x == {i: i for i in y}", "comprehensions are not allowed: {i: i for i in y}"),
        ("x == (i for i in y)", "comprehensions are not allowed: (i for i in y)"),
        ("lambda: 1", "lambda is not allowed: lambda: 1"),
        ("x == (lambda: 1)", "lambda is not allowed: lambda: 1"),
        ("x[0] == 1", "subscripts are not allowed: x[0]"),
        ("x == y[0:1]", "subscripts are not allowed: y[0:1]"),
        ("x == f'{y}'", "f-strings are not allowed: f'{y}'"),
        ("x == f'{__import__(\"os\")}'", "f-strings are not allowed: f'{__import__(\"os\")}'"),
        ("(x := 1) == 1", "assignment expressions (:=) are not allowed: x := 1"),
        ("x in any([*y])", "starred expressions are not allowed: *y"),
        ("x == 1 + 1", "arithmetic is not allowed: 1 + 1"),
        ("x == 'a' * 10**9", "arithmetic is not allowed: 'a' * 10**9"),
        ("x == (1 if y else 2)", "conditional expressions are not allowed: 1 if y else 2"),
        ("x == {'a': 1}", "dicts are not allowed: {'a': 1}"),
        ("x == {1}", "sets are not allowed: {1}"),
        ("x == (1, 2)", "tuples are not allowed: (1, 2)"),
        ("await x", "await is not allowed: await x"),
        ("(yield x)", "yield is not allowed: yield x"),
        ("x == 1 if y else z", "conditional expressions are not allowed: x == 1 if y else z"),
    ],
)
def test_hostile_constructs_are_refused(query, message):
    assert error_of(query) == message


def test_nothing_is_evaluated(monkeypatch):
    # If anything were evaluated or compiled, these would be called.
    def boom(*args, **kwargs):
        raise AssertionError("evaluated")

    monkeypatch.setattr("builtins.eval", boom)
    monkeypatch.setattr("builtins.exec", boom)
    for query in ["__import__('os').system('x') == 1", "x == 1 and y.z == 2"]:
        with pytest.raises(QueryError):
            parse(query)
    # A valid query is turned into data, no code object is made from it.
    assert isinstance(parse("price > 1"), Compare)


def test_deep_not_is_a_query_error():
    assert error_of("not " * 10000 + "x") == (
        f"the query is too long: 40001 characters, at most {MAX_QUERY_LENGTH}"
    )
    # Within the length limit, the depth limit answers (the parser's own limit is not reached
    # first, nor Python's recursion limit).
    assert error_of("not " * 2400 + "x == 1") == (
        f"the query is nested too deeply: at most {MAX_DEPTH} levels"
    )
    assert error_of("not " * MAX_DEPTH + "x == 1") == (
        f"the query is nested too deeply: at most {MAX_DEPTH} levels"
    )


@pytest.mark.parametrize(
    "query",
    [
        "-" * 5000 + "1 == x",
        "x == " + "-" * 3000 + "1",
        "(" * 250 + "x == 1" + ")" * 250,
        "x == " + "[" * 150 + "]" * 150,
        "x in any(" + "[" * 90 + "]" * 90 + ")",
        "(not " * 100 + "x == 1" + ")" * 100,
        "(x == 1 and " * 60 + "x == 1" + ")" * 60,
    ],
)
def test_deep_nesting_is_a_query_error(query):
    message = error_of(query)
    assert message == f"the query is nested too deeply: at most {MAX_DEPTH} levels" or (
        message.startswith("the query does not parse at column ")
        and message.endswith(": too many nested parentheses")
    )


def test_parentheses_alone_add_no_depth():
    assert parse("(" * 150 + "x == 1" + ")" * 150) == Compare("x", "number", "==", 1)


def test_nesting_just_inside_the_limit_parses():
    query = "(" * 10 + "not " * 10 + "x == 1" + ")" * 10
    tree = parse(query)
    for _ in range(10):
        assert isinstance(tree, Not)
        tree = tree.child
    assert tree == Compare("x", "number", "==", 1)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("x == " + "9" * 5000, "a number in the query is too large: at most 9007199254740992"),
        (
            "x == " + "9" * 30,
            "the number is too large: " + "9" * 30 + "; at most 2**53 = 9007199254740992",
        ),
        ("x == 1e999", "the number is out of range: 1e999"),
        ("x == -1e999", "the number is out of range: -1e999"),
        (
            "x == '" + "a" * 5000 + "'",
            "a string in the query is too long: 5000 characters, at most 1000",
        ),
        (
            "'" + "a " * 600 + "' in title",
            "a string in the query is too long: 1200 characters, at most 1000",
        ),
        (
            "x == 'a'" + " " * MAX_QUERY_LENGTH,
            f"the query is too long: {MAX_QUERY_LENGTH + 8} characters, at most {MAX_QUERY_LENGTH}",
        ),
        (" or ".join(["x == 1"] * 700), "the query is too large: more than 2000 parts"),
    ],
)
def test_huge_input(query, message):
    assert error_of(query) == message


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_a_tree_or_a_query_error(text):
    try:
        parse(text)
    except QueryError as exc:
        assert str(exc)


_names = st.sampled_from(["price", "total", "x", "a"])
_numbers = st.integers(min_value=-(2**53), max_value=2**53) | st.floats(
    allow_nan=False, allow_infinity=False
)
_compare = st.builds(
    lambda n, op, v: f"{n} {op} {v!r}",
    _names,
    st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
    _numbers,
)


@st.composite
def _queries(draw, depth=0):
    if depth > 4 or draw(st.booleans()):
        return draw(_compare)
    kind = draw(st.sampled_from(["and", "or", "not"]))
    if kind == "not":
        return f"not ({draw(_queries(depth + 1))})"
    parts = draw(st.lists(_queries(depth + 1), min_size=2, max_size=3))
    return f" {kind} ".join(f"({part})" for part in parts)


@settings(max_examples=200, deadline=None)
@given(_queries())
def test_generated_queries_parse(text):
    assert parse(text) is not None


# sort_index -------------------------------------------------------------------------------------


def test_sort_index():
    assert check_sort_index(None, INDEXES) is None
    assert check_sort_index("", INDEXES) is None
    assert check_sort_index("price", INDEXES) == IndexSpec("price", "field", "NUMBER")
    assert check_sort_index("id", INDEXES).id == "id"


@pytest.mark.parametrize(
    ("sort_index", "message"),
    [
        (
            "nope",
            "unknown sort_index 'nope'; field indexes of this app: a, author, b, due, id, price, tag, total, x",
        ),
        (
            "title",
            "sort_index 'title' is a text index; sort on a field index: a, author, b, due, id, price, tag, total, x",
        ),
        (5, "sort_index must be a string, not int"),
    ],
)
def test_bad_sort_index(sort_index, message):
    with pytest.raises(QueryError) as info:
        check_sort_index(sort_index, INDEXES)
    assert str(info.value) == message


# The translator: compiled, not run. --------------------------------------------------------------


@pytest.fixture
def tables():
    from records.query_sql import IndexTables

    with isolate_apps("records"):

        class QRecord(models.Model):  # noqa: DJ008
            app_id = models.CharField(max_length=100)
            record_id = models.CharField(max_length=200)

            class Meta:
                app_label = "records"

        class QEntry(models.Model):  # noqa: DJ008
            record = models.ForeignKey(QRecord, on_delete=models.CASCADE, related_name="+")
            app_id = models.CharField(max_length=100)
            index = models.CharField(max_length=100)
            value_text = models.CharField(max_length=1000, null=True)  # noqa: DJ001
            value_number = models.FloatField(null=True)
            value_date = models.DateTimeField(null=True)

            class Meta:
                app_label = "records"

        class QText(models.Model):  # noqa: DJ008
            record = models.ForeignKey(QRecord, on_delete=models.CASCADE, related_name="+")
            app_id = models.CharField(max_length=100)
            index = models.CharField(max_length=100)
            body = models.TextField()
            # `document` (tsvector) is made by the migration, outside the model's state.

            class Meta:
                app_label = "records"

        yield QRecord, IndexTables(entry_model=QEntry, text_model=QText)


def sql_of(tables, query, *, vendor="sqlite", sort=None, reverse=False):
    from records.query_sql import order_by_index, to_q

    record, index_tables = tables
    q = to_q(parse(query), app_id="sales", tables=index_tables, vendor=vendor)
    qs = record.objects.filter(app_id="sales").filter(q)
    spec = check_sort_index(sort, INDEXES)
    qs = qs.order_by(*order_by_index(spec, app_id="sales", tables=index_tables, reverse=reverse))
    return qs.query.sql_with_params()


def test_translator_field_comparison(tables):
    sql, params = sql_of(tables, "price >= 10 and price < 20")
    assert sql.count('"value_number" >= %s') == 1
    assert sql.count('"value_number" < %s') == 1
    # one range on one index: a single subquery holding both bounds
    assert sql.count('"records_qrecord"."id" IN (SELECT') == 1
    assert params == ("sales", "sales", "price", 10, 20)


def test_translator_merges_only_bounds_of_one_index_and_column(tables):
    sql, params = sql_of(tables, "10 <= price < 20 and price > 12 and author == 'a'")
    # every bound on price is one range; another index stays apart
    assert sql.count('"records_qrecord"."id" IN (SELECT') == 2
    assert params == ("sales", "sales", "price", 12, 10, 20, "sales", "author", "a")  # gt, gte, lt
    sql, params = sql_of(tables, "price > 1 and price > 5")
    # the same lookup twice: two conditions
    assert sql.count('"records_qrecord"."id" IN (SELECT') == 2
    assert params == ("sales", "sales", "price", 1, "sales", "price", 5)


def test_translator_values_are_parameters_never_sql(tables):
    hostile = "x'); DROP TABLE records_record; --"
    sql, params = sql_of(tables, f"author == {hostile!r}")
    assert "DROP" not in sql
    assert hostile in params


def test_translator_not_and_or(tables):
    sql, params = sql_of(tables, "not (x == 1) or tag in any(['a', 'b'])")
    assert "NOT (" in sql and " OR " in sql
    assert '"value_text" IN (%s, %s)' in sql
    assert params[-2:] == ("a", "b")


def test_translator_id_uses_the_record_column(tables):
    sql, params = sql_of(tables, "id == 'order-1'")
    assert '"records_qrecord"."record_id" = %s' in sql
    assert "qentry" not in sql
    assert params == ("sales", "order-1")


def test_translator_dates(tables):
    sql, params = sql_of(tables, "due == '2024-05-01'")
    assert '"value_date" >= %s' in sql and '"value_date" < %s' in sql
    # Bound as parameters (SQLite's adapter makes them text, PostgreSQL's keeps datetimes).
    assert [str(p)[:10] for p in params[-2:]] == ["2024-05-01", "2024-05-02"]


def test_translator_text_on_sqlite_uses_fts5_match(tables):
    sql, params = sql_of(tables, "'Lord Jim' in title")
    assert 'SELECT rowid FROM "records_qtext_fts" WHERE "records_qtext_fts" MATCH %s' in sql
    assert '"lord" "jim"' in params


def test_translator_text_on_postgresql_uses_tsquery(tables):
    sql, params = sql_of(tables, "'Lord Jim' in title", vendor="postgresql")
    assert '("document") @@ (plainto_tsquery(%s::regconfig, %s))' in sql
    assert "lord jim" in params and "simple" in params


def test_translator_sort(tables):
    sql, _ = sql_of(tables, "", sort="price", reverse=True)
    assert "ORDER BY (SELECT" in sql and "DESC NULLS LAST" in sql
    sql, _ = sql_of(tables, "", sort="id")
    assert 'ORDER BY "records_qrecord"."record_id" ASC' in sql
    sql, _ = sql_of(tables, "")
    assert 'ORDER BY "records_qrecord"."id" ASC' in sql


def test_match_all_is_an_empty_q(tables):
    from records.query_sql import to_q

    _, index_tables = tables
    assert not to_q(MatchAll(), app_id="sales", tables=index_tables, vendor="sqlite")


def test_parser_imports_no_django():
    source = open(__import__("records.query").query.__file__, encoding="utf-8").read()
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert "django" not in imported
    assert connection.vendor  # the translator's default engine comes from the connection
