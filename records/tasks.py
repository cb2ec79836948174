"""Background jobs (contract §9) on django-tasks (Django 6's `django.tasks`, backported).

`import_enqueue` stores an import's file in a `Job` and enqueues `run_import` on the default
task backend (settings.TASKS: the database's queue, or RQ on Redis; `manage.py jobs_worker`
works either). `job_run` claims the job (state `running`, this worker's `host:pid`, one more
attempt), reads and checks the file, then writes every row in one transaction
(records/imports.py): a worker killed half-way leaves no row of it written.
`jobs_recover` finds the running jobs whose worker is gone (a process of this machine that no
longer runs, or a heartbeat older than `STALE_AFTER`): each runs again, up to `MAX_ATTEMPTS`,
then fails naming why. The worker command calls it as it starts; reading a job
(`job_refresh`) calls it for that job.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from dataclasses import asdict
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from site_model.loader import current_site

from . import access as gate
from . import imports, policies, rls
from .errors import BadImportFile, Denied
from .models import Job

logger = logging.getLogger("records.jobs")

MAX_ATTEMPTS = 2
STALE_AFTER = timedelta(minutes=15)  # no heartbeat from another machine's worker for this long
NOTHING_WRITTEN = "nothing was written"


# A job's own row is the server's to write (the gate let its creator import; an anonymous
# visitor's job has no creator, which the jobs' policy, creator = caller, would refuse): the
# import alone runs as its creator (`job_import`).
@rls.as_server
def import_enqueue(
    *, app_id: str, user, options: imports.Options, data: bytes, source_format: str
) -> Job:
    """A queued import of `data` (a file in `source_format`; "rows": a JSON list) by `user`."""
    job = Job.objects.create(
        app_id=app_id,
        creator=user if user is not None and user.is_authenticated else None,
        options=asdict(options),
        source=data,
        source_format=source_format,
    )
    run_import.enqueue(job.id)
    return job


@task()
def run_import(job_id: str) -> None:
    job_run(job_id)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def job_claim(job_id: str) -> Job | None:
    """The job, now `running` in this worker; None when it ended or is not there."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state in ("done", "failed"):
            return None
        if job.state == "running" and not worker_gone(job):
            return None  # enqueued twice: the other worker has it
        job.state, job.phase, job.worker = "running", "checking", worker_name()
        job.attempts += 1
        job.heartbeat = timezone.now()
        job.done = job.created = job.updated = job.skipped = 0
        job.save()
    return job


@rls.as_server
def job_run(job_id: str) -> None:
    job = job_claim(job_id)
    if job is None:
        return
    try:
        outcome = job_import(job)
    except BadImportFile as exc:
        job_end(job, "failed", [{"row": 0, "item": "", "error": exc.message}])
    except Denied as exc:
        job_end(job, "failed", [{"row": 0, "item": "", "error": exc.message}])
    except Exception:
        logger.exception("import job %s failed", job.pk)
        error = f"the import failed unexpectedly; {NOTHING_WRITTEN}"
        job_end(job, "failed", [{"row": 0, "item": "", "error": error}])
    else:
        failed = bool(outcome.problems) and not job.options.get("dry_run")
        job.total, job.done = outcome.total, outcome.done
        job.created, job.updated, job.skipped = outcome.created, outcome.updated, outcome.skipped
        job_end(job, "failed" if failed else "done", outcome.all_problems())


def job_import(job: Job) -> imports.Outcome:
    app = current_site().apps.get(job.app_id)
    if app is None:
        raise BadImportFile(f"no app '{job.app_id}' in the site any more")
    user = job.creator
    access = gate.access_to(app, user)
    gate.require(app, access, "create")  # still: rights may have changed since the request
    options = imports.Options(**job.options)
    data = bytes(job.source or b"")
    if job.source_format == "rows":
        rows = imports.rows_of_list(json.loads(data))
    else:
        rows = imports.read_file(data, job.source_format, app)
    Job.objects.filter(pk=job.pk).update(total=len(rows.rows), heartbeat=timezone.now())
    run = imports.ImportRun(app=app, access=access, user=user, options=options)
    # On PostgreSQL the job reads as its creator (contract §12), as their request would.
    policies.ensure_synced(current_site())
    with rls.acting_as(access.who):
        return run.run(rows, progress=lambda outcome: job_progress(job, outcome))


@rls.as_server
def job_progress(job: Job, outcome: imports.Outcome) -> None:
    """Rows checked so far; once all are, the write begins (`phase` writing)."""
    phase = "writing" if outcome.done == outcome.total else "checking"
    Job.objects.filter(pk=job.pk).update(
        done=outcome.done, skipped=outcome.skipped, phase=phase, heartbeat=timezone.now()
    )


def job_end(job: Job, state: str, problems: list[dict]) -> None:
    job.state, job.phase, job.problems = state, "", problems
    job.source = None  # the file is not kept once the job ended
    job.finished_at = timezone.now()
    job.save()


# --- workers that died -------------------------------------------------------------------------


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a zombie (killed, not yet waited for) runs nothing any more
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def worker_gone(job: Job) -> bool:
    host, _, pid = job.worker.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        return process_gone(int(pid))
    return job.heartbeat is None or timezone.now() - job.heartbeat > STALE_AFTER


def job_recover(job: Job) -> None:
    """A running job whose worker is gone: queued again, or failed after `MAX_ATTEMPTS`."""
    if job.state != "running" or not worker_gone(job):
        return
    if job.attempts >= MAX_ATTEMPTS:
        error = (
            f"the worker running this job stopped {job.attempts} times (killed, or out of "
            f"memory); {NOTHING_WRITTEN}"
        )
        job_end(job, "failed", [{"row": 0, "item": "", "error": error}])
        return
    updated = Job.objects.filter(pk=job.pk, state="running", worker=job.worker).update(
        state="queued", phase="", done=0
    )
    if updated:
        logger.warning("job %s: its worker %s is gone; it runs again", job.pk, job.worker)
        run_import.enqueue(job.pk)


def jobs_recover() -> int:
    """Every running job whose worker is gone, recovered; how many were."""
    stale = [job for job in Job.objects.filter(state="running").defer("source") if worker_gone(job)]
    for job in stale:
        job_recover(Job.objects.get(pk=job.pk))
    return len(stale)


def job_refresh(job: Job) -> Job:
    """The job as it is now, a dead worker's job recovered first."""
    if job.state == "running" and worker_gone(job):
        job_recover(Job.objects.get(pk=job.pk))
        job = Job.objects.defer("source").get(pk=job.pk)
    return job


def job_json(job: Job) -> dict:
    return {
        "id": job.pk,
        "state": job.state,
        "done": job.done,
        "total": job.total,
        "created": job.created,
        "updated": job.updated,
        "skipped": job.skipped,
        "problems": job.problems,
    }


def job_for(job_id: str, user) -> Job | None:
    """The job, if `user` created it or is a superuser; else None (a 404: not revealed)."""
    if user is None or not user.is_authenticated or len(job_id) > 32:
        return None
    job = Job.objects.defer("source").filter(pk=job_id).first()
    if job is None or not (user.is_superuser or job.creator_id == user.pk):
        return None
    return job_refresh(job)
