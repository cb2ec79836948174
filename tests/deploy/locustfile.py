"""The mixed load of tests/deploy/test_under_load.py, run by Locust in headless mode.

Users: readers (pages, record lists, single records, a static file), writers (alice's token:
creates, one at a time and in small batches), searchers, If-Match writers who all edit the same
few records (admin's token), and a visitor who signs in through the login form.

Written for the test, not for people: everything comes from the environment
(LOAD_OUT, LOAD_ALICE_TOKEN, LOAD_ADMIN_TOKEN, LOAD_CONTENDED, LOAD_LOGIN, LOAD_PASSWORD,
LOAD_STATIC), and two files in LOAD_OUT record what happened:
- requests.jsonl: one line per request: start, end (epoch seconds), method, name, status
  (0 when the connection failed);
- writes.jsonl: one line per write answered 2xx: the record id and the items it wrote.
"""

import json
import os
import random
import re
import uuid
from pathlib import Path

from locust import HttpUser, between, events, task

OUT = Path(os.environ["LOAD_OUT"])
ALICE = {"Authorization": f"Bearer {os.environ['LOAD_ALICE_TOKEN']}"}
ADMIN = {"Authorization": f"Bearer {os.environ['LOAD_ADMIN_TOKEN']}"}
CONTENDED = os.environ["LOAD_CONTENDED"].split(",")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

_requests = (OUT / "requests.jsonl").open("a", buffering=1)
_writes = (OUT / "writes.jsonl").open("a", buffering=1)


@events.request.add_listener
def log_request(request_type, name, response_time, response, start_time=None, **kwargs):
    status = getattr(response, "status_code", 0) or 0
    start = start_time if start_time is not None else 0.0
    line = {"start": start, "end": start + response_time / 1000, "method": request_type}
    _requests.write(json.dumps({**line, "name": name, "status": status}) + "\n")


def acknowledged(record_id: str, items: dict) -> None:
    _writes.write(json.dumps({"id": record_id, "items": items}) + "\n")


def accept_any_status(response) -> None:
    """The checks run on requests.jsonl afterwards: Locust's own verdict is not the test's."""
    response.success()


class Reader(HttpUser):
    weight = 4
    wait_time = between(0.05, 0.3)

    @task(3)
    def pages(self):
        for path in ("/", "/events/", "/ratings/"):
            with self.client.get(path, name=path, catch_response=True) as response:
                accept_any_status(response)

    @task(3)
    def records(self):
        with self.client.get(
            "/api/v1/events/records?limit=20", headers=ALICE, catch_response=True
        ) as response:
            accept_any_status(response)

    @task(2)
    def one_record(self):
        record_id = random.choice(CONTENDED)
        with self.client.get(
            f"/api/v1/events/record/{record_id}",
            headers=ALICE,
            name="/api/v1/events/record/[id]",
            catch_response=True,
        ) as response:
            accept_any_status(response)

    @task(1)
    def static_file(self):
        with self.client.get(os.environ["LOAD_STATIC"], name="static", catch_response=True) as r:
            accept_any_status(r)


class Writer(HttpUser):
    weight = 3
    wait_time = between(0.05, 0.3)

    @task(4)
    def create(self):
        record_id = f"load-{uuid.uuid4().hex[:12]}"
        items = {"title": f"Load event {record_id}", "seats": random.randint(1, 500)}
        with self.client.put(
            f"/api/v1/events/record/{record_id}",
            json=items,
            headers=ALICE,
            name="PUT /api/v1/events/record/[id]",
            catch_response=True,
        ) as response:
            accept_any_status(response)
            if response.status_code == 201:
                acknowledged(record_id, items)

    @task(1)
    def create_several(self):
        batch = [
            {"id": f"bulk-{uuid.uuid4().hex[:12]}", "title": "Bulk event", "seats": n + 1}
            for n in range(5)
        ]
        with self.client.post(
            "/api/v1/events/records", json=batch, headers=ALICE, catch_response=True
        ) as response:
            accept_any_status(response)
            if response.status_code == 201:
                for record in batch:
                    acknowledged(record["id"], {k: v for k, v in record.items() if k != "id"})


class Searcher(HttpUser):
    weight = 2
    wait_time = between(0.05, 0.3)

    @task
    def search(self):
        query = random.choice(["seats > 100", "'load' in title", "seats >= 10 and seats < 50"])
        with self.client.post(
            "/api/v1/events/search",
            json={"query": query, "sort_index": "seats", "limit": 20},
            headers=ALICE,
            catch_response=True,
        ) as response:
            accept_any_status(response)


class ContendedWriter(HttpUser):
    """Read a shared record's ETag, then write with If-Match: 200, or 412 when someone was first."""

    weight = 2
    wait_time = between(0.0, 0.1)

    @task
    def edit(self):
        record_id = random.choice(CONTENDED)
        path = f"/api/v1/events/record/{record_id}"
        with self.client.get(
            path, headers=ADMIN, name="GET contended", catch_response=True
        ) as response:
            accept_any_status(response)
            etag = response.headers.get("ETag")
        if response.status_code != 200 or not etag:
            return
        items = {f"w_{uuid.uuid4().hex[:10]}": random.randint(0, 10**6)}
        with self.client.patch(
            path,
            json=items,
            headers={**ADMIN, "If-Match": etag},
            name="PATCH contended (If-Match)",
            catch_response=True,
        ) as response:
            accept_any_status(response)
            if response.status_code == 200:
                acknowledged(record_id, items)


class Visitor(HttpUser):
    """Signs in through the login form (the password hasher makes it slow on purpose)."""

    weight = 1
    wait_time = between(1, 2)

    def on_start(self):
        # Behind the (simulated) proxy each visitor has an address of its own.
        address = "10." + ".".join(str(random.randint(0, 255)) for _ in range(3))
        self.client.headers["X-Forwarded-For"] = address

    @task
    def sign_in_and_look(self):
        self.client.cookies.clear()
        with self.client.get("/accounts/login/", catch_response=True) as page:
            accept_any_status(page)
            found = CSRF_FIELD.search(page.text or "")
        if page.status_code != 200 or found is None:
            return
        with self.client.post(
            "/accounts/login/",
            data={
                "login": os.environ["LOAD_LOGIN"],
                "password": os.environ["LOAD_PASSWORD"],
                "csrfmiddlewaretoken": found.group(1),
            },
            headers={"Referer": self.host + "/accounts/login/"},
            allow_redirects=False,
            name="POST /accounts/login/",
            catch_response=True,
        ) as response:
            accept_any_status(response)
        with self.client.get("/sales/", catch_response=True) as response:
            accept_any_status(response)
