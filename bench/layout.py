"""bench/api.py's cases before and after the layout move (issue 22), in one run, interleaved.

    .venv/bin/python bench/layout.py [--records 20000] [--batches 9] [--seconds 0.4]
    .venv/bin/python bench/layout.py --before 50fb2dd --cases record   # the one-record cases
    scripts/postgres.sh .venv/bin/python bench/layout.py          # PostgreSQL

"Before" is the parent of the first commit of the move (`git log --oneline | grep -i 'layout
(issue 22)'`, the oldest; or --before <commit>), "after" is HEAD (or --after <commit>). Each gets a `git worktree`
(in a temporary folder, removed at the end) and a process of its own: the two trees hold
modules of the same names, so they cannot share one interpreter. Each process sets up Django
from its tree with that tree's bench/api.py (its site, its plain views, its loader), loads the
same records into a database of its own, and then runs what this script asks over a pipe:
"time case C for S seconds". For each case, the script alternates short batches of the four
sides (before: ours, the plain view; after: ours, the plain view; the order flipped from one
batch to the next), takes in each batch the ratio ours / the plain view of each tree, and
prints the medians and after / before (goal: within 5%, i.e. >= 0.95). The last column is
our own time before / after in a batch (above 1: the API answers faster than before the
move, whatever the plain view did): the plain view runs the site's middleware too, so work
that made every request cheaper (issue 21's reads of the session's user) moves the ratio's
denominator as well.

`--before 50fb2dd --after 9ef177d` is the move alone: 50fb2dd is the commit the layout branch
was merged onto, 9ef177d the merge of the DRF branch, with nothing but issue 22's commits
between them. Measured 2026-12-07 on SQLite 3.40, 20,000 records, 11 batches of 0.5 s, load
average 0.5-1.0, after / before, as the site leaves it / settled:

  case                              the move alone   HEAD (9a18eb1)
  GET /record/<id> (editor)         0.89 / 0.89      0.95 / 0.91
    with a Bearer token             0.92 / 0.91      0.91 / 0.86
  one record a reader owns          0.87 / 0.91      0.89 / 0.97
  GET /records?limit=100 (editor)   0.91 / 0.93      1.38 / 1.51
    the list for a reader (RLS)     1.01 / 1.00      1.12 / 0.97
  POST /search total > 5 (editor)   0.95 / 1.00      2.39 / 2.37
    the search for a reader         0.95 / 0.90      2.05 / 1.93

On a quiet machine the run resolves the move: DRF's request cycle made one record 8-13%
slower than the hand-written dispatcher did (against the plain view in the same process);
lists and searches moved less (0.90-1.01). The move alone on PostgreSQL 15 (same settings,
load average 0.6-1.1), as left / settled: one record 0.94 / 0.90, by token 0.93 / 0.92, a
reader's own 0.88 / 0.94, the editor's list 0.95 / 0.87, a reader's list 0.95 / 1.02, the
editor's search 0.93 / 1.02, a reader's search 0.89 / 0.99. HEAD's lists and searches run their recorded statements
(records/statements.py); its one-record cases carry what was merged since (row security,
languages) less what issue 21 trimmed from a GET.

Again 2026-12-07 late evening, `--before 50fb2dd --batches 11` against HEAD (ed6f1d9, with
SQLite's kept parameter conversion, site_config/sqlite), SQLite, load average 0.95-1.26, as
left / settled, after/before [ours: our time before / after]:
  GET /record/<id> (editor) 0.81 / 0.98 [0.92 / 1.13]; with a Bearer token 0.92 / 0.91
  [1.02 / 0.94]; one record a reader owns 0.85 / 0.99 [0.94 / 1.05]; the editor's list
  1.36 / 1.25; a reader's list 1.09 / 1.13; the editor's search 2.27 / 2.26; a reader's
  search 2.20 / 2.14.
The one-record cases moved by up to 0.17 between the two states of one run (the before
tree's own ratio: 1.45 as left, 1.21 settled), so the run does not resolve them to 5%.
Then `--cases "record/<id>" Bearer "reader owns" --batches 25` (load average 0.7-1.0), before
and after the server's start-up froze its objects (site_config/wsgi.py, which each tree's
process now imports as gunicorn's worker does), as left / settled:
  GET /record/<id> (editor) 0.99 / 0.90 [0.97 / 0.97] -> 0.98 / 0.97 [0.96 / 1.00];
  with a Bearer token 0.92 / 0.91 [0.96 / 0.88] -> 0.87 / 0.91 [0.98 / 0.97];
  one record a reader owns 0.95 / 0.97 [0.95 / 0.97] -> 0.93 / 0.99 [0.98 / 0.99].
Our own time is now within 4% of before the move (the before tree does not freeze: the
figure holds the freeze and the move together); the token's ratio to the plain view is not.
(In that run the freeze came after the load; it now comes before it, as in a worker.)
Without --before the script takes the parent of the layout branch's first commit (66b62bc),
which predates issue 21's work on the fixed cost: against it HEAD is 1.2-1.5 times the
ratio and twice as fast on one record.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import load_average  # noqa: E402

# name: (ours, the plain view), each (client, method, URL pattern); {id} a record, {owned} one
# the reader owns.
CASES = {
    "GET /record/<id> (editor)": (
        ("editor", "GET", "/api/v1/sales/record/{id}"),
        ("editor", "GET", "/plain/record/{id}"),
    ),
    "  with a Bearer token": (
        ("bearer", "GET", "/api/v1/sales/record/{id}"),
        ("editor", "GET", "/plain/record/{id}"),
    ),
    "one record a reader owns": (
        ("reader", "GET", "/api/v1/sales/record/{owned}"),
        ("editor", "GET", "/plain/record/{owned}"),
    ),
    "GET /records?limit=100 (editor)": (
        ("editor", "GET", "/api/v1/sales/records?limit=100"),
        ("editor", "GET", "/plain/records?limit=100"),
    ),
    "  the list for a reader (RLS)": (
        ("reader", "GET", "/api/v1/sales/records?limit=100"),
        ("editor", "GET", "/api/v1/sales/records?limit=100"),
    ),
    "POST /search total > 5 (editor)": (
        ("editor", "POST", "/api/v1/sales/search"),
        ("editor", "GET", "/plain/records?limit=100"),
    ),
    "  the search for a reader": (
        ("reader", "POST", "/api/v1/sales/search"),
        ("editor", "GET", "/plain/records?limit=100"),
    ),
}

# The process of one tree: run with the tree as its working folder and first on sys.path.
CHILD = r"""
import json, os, random, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, os.getcwd())
import bench.api as A
from bench import common

records, database = int(sys.argv[1]), sys.argv[2]
work = Path(tempfile.mkdtemp(prefix="bench-layout-"))
# start_django, with a test database of this process's own name (two run side by side).
for rel, text in A.SITE.items():
    (work / "site" / rel).parent.mkdir(parents=True, exist_ok=True)
    (work / "site" / rel).write_text(text)
os.environ.update(SITE_DIR=str(work / "site"), ALLOWED_HOSTS="testserver", LOG_LEVEL="WARNING")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")
import django
django.setup()
from django.conf import settings
from django.db import connection
test = settings.DATABASES["default"].setdefault("TEST", {})
test["NAME"] = str(work / "bench.db") if connection.vendor == "sqlite" else database
old_name = connection.settings_dict["NAME"]
connection.creation.create_test_db(verbosity=0, autoclobber=True)
settings.ROOT_URLCONF = "bench.api"
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
A.urlpatterns.extend(A.urlpatterns_())
import site_config.wsgi  # the server's start-up, before any data, as a worker runs it

from django.contrib.auth.models import Group, User
from django.test import Client
from accounts import tokens

editors = Group.objects.get_or_create(name="editors")[0]
editor_user = User.objects.create_user("editor", "editor@example.com", "pw-bench-1")
editor_user.groups.add(editors)
User.objects.bulk_create(
    User(username=f"u{n}", email=f"u{n}@example.com", password="!") for n in range(A.USERS)
)
clients = {"editor": Client(), "reader": Client()}
clients["editor"].force_login(editor_user)
clients["reader"].force_login(User.objects.get(username="u7"))
_, raw = tokens.create_token(editor_user)
clients["bearer"] = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
A.load(clients["editor"], records)
assert clients["reader"].get("/api/v1/sales/records?limit=1").status_code == 200
rng = random.Random(42)
ids = [f"r{rng.randrange(records):07d}" for _ in range(200)]
owned = [f"r{m:07d}" for m in range(7, records, A.USERS)]
owned = [owned[rng.randrange(len(owned))] for _ in range(200)]
search = json.dumps({"query": "total > 5", "limit": 100})
done = {}

def once(side):
    who, method, pattern = side
    n = done.get(pattern, 0)
    done[pattern] = n + 1
    url = pattern.format(id=ids[n % len(ids)], owned=owned[n % len(owned)])
    client = clients[who]
    if method == "POST":
        response = client.post(url, search, "application/json")
    else:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])

print("@@ ready", flush=True)
for line in sys.stdin:
    command = json.loads(line)
    if command["do"] == "settle":
        common.settle_database(A.TABLES if hasattr(A, "TABLES") else ())
        print("@@", json.dumps({"settled": True}), flush=True)
        continue
    if command["do"] == "stop":
        break
    side, seconds = tuple(command["side"]), command["seconds"]
    calls, began = 0, time.perf_counter()
    while True:
        once(side)
        calls += 1
        spent = time.perf_counter() - began
        if spent >= seconds:
            break
    print("@@", json.dumps({"per_call": spent / calls}), flush=True)
connection.creation.destroy_test_db(old_name, verbosity=0)
import shutil
shutil.rmtree(work, ignore_errors=True)
"""


class Tree:
    """A worktree of `commit` and the process serving its cases."""

    def __init__(self, tag: str, commit: str, folder: Path):
        self.tag = tag
        self.path = folder / tag
        self.process = None
        git("worktree", "add", "--detach", str(self.path), commit)

    def start(self, records: int) -> None:
        database = f"test_layout_{self.tag}_{os.getpid()}"
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", CHILD, str(records), database],
            cwd=self.path,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self.answer() != "ready":
            raise SystemExit(f"{self.tag}: the bench process did not start")

    def answer(self) -> str:
        """The next line of the protocol (`@@ ...`), past what Django prints on the way."""
        while True:
            line = self.process.stdout.readline()
            if not line:
                return ""
            if line.startswith("@@ "):
                return line[3:].strip()

    def ask(self, **command) -> dict:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return json.loads(self.answer())

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                self.process.stdin.write(json.dumps({"do": "stop"}) + "\n")
                self.process.stdin.flush()
                self.process.wait(timeout=120)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
        git("worktree", "remove", "--force", str(self.path))


def git(*args: str) -> str:
    return subprocess.run(  # noqa: S603
        ["git", *args],  # noqa: S607
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def before_the_move() -> str:
    """The parent of the oldest commit whose subject names the layout of issue 22."""
    found = [
        line.split()[0]
        for line in git("log", "--oneline").splitlines()
        if "layout (issue 22)" in line.lower()
    ]
    if not found:
        raise SystemExit("no commit 'layout (issue 22)' in this history; give --before")
    return git("rev-parse", f"{found[-1]}^")


def measure(trees: list[Tree], case: str, batches: int, seconds: float) -> dict[str, float]:
    """Per tree, the median over the batches of (the plain view's time / ours) in a batch;
    under "ours", the median of (our time before / our time after) in a batch: the API's own
    speed change, whatever the plain view's."""
    ours, plain = CASES[case]
    sides = [(tree, side) for tree in trees for side in (ours, plain)]
    for tree, side in sides:  # warm
        tree.ask(do="time", side=side, seconds=min(seconds, 0.2))
    ratios: dict[str, list[float]] = {tree.tag: [] for tree in trees}
    ratios["ours"] = []
    for batch in range(batches):
        per_call = {}
        for tree, side in sides if batch % 2 == 0 else reversed(sides):
            per_call[(tree.tag, side)] = tree.ask(do="time", side=side, seconds=seconds)["per_call"]
        for tree in trees:
            ratios[tree.tag].append(per_call[(tree.tag, plain)] / per_call[(tree.tag, ours)])
        ratios["ours"].append(per_call[("before", ours)] / per_call[("after", ours)])
    return {tag: statistics.median(found) for tag, found in ratios.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="the commit before the move (default: found in git log)")
    parser.add_argument("--after", default="HEAD", help="the commit after the move (default: HEAD)")
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--batches", type=int, default=9)
    parser.add_argument("--seconds", type=float, default=0.4, help="one side's batch")
    parser.add_argument(
        "--cases", nargs="*", metavar="TEXT", help="only the cases whose name holds one of these"
    )
    args = parser.parse_args()
    cases = [c for c in CASES if not args.cases or any(text in c for text in args.cases)]
    before = args.before or before_the_move()
    after = git("rev-parse", args.after)
    print(f"before: {before[:10]}  after: {after[:10]}  {args.records:,} records")
    with tempfile.TemporaryDirectory(prefix="bench-layout-trees-") as tmp:
        trees: list[Tree] = []
        try:
            for tag, commit in (("before", before), ("after", after)):
                tree = Tree(tag, commit, Path(tmp))
                trees.append(tree)
                tree.start(args.records)
            for state in ("as the site leaves it", "settled"):
                if state == "settled":
                    for tree in trees:
                        tree.ask(do="settle")
                print(f"\n{state} [{load_average()}]:")
                print(
                    f"{'case':<34}{'before':>8}{'after':>8}{'after/before':>14}"
                    f"{'ours: before/after time':>25}"
                )
                for case in cases:
                    found = measure(trees, case, args.batches, args.seconds)
                    change = found["after"] / found["before"]
                    print(
                        f"{case:<34}{found['before']:>8.2f}{found['after']:>8.2f}{change:>14.2f}"
                        f"{found['ours']:>25.2f}"
                    )
        finally:
            for tree in trees:
                tree.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
