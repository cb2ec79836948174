"""`python manage.py jobs_worker`: run the background jobs (imports) of settings.TASKS."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from records import tasks

RQ_BACKEND = "django_tasks_rq.RQBackend"


class Command(BaseCommand):
    help = (
        "Work the queue of background jobs: RQ's worker when REDIS_URL is set, else the "
        "database queue's (django-tasks-db). The jobs of a worker that died (killed half-way: "
        "nothing of them was written) run again first, or fail after two attempts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="work the queued jobs, then exit")

    def handle(self, *args, batch, **options):
        recovered = tasks.jobs_recover()
        if recovered:
            self.stderr.write(
                f"{recovered} job(s) of a worker that stopped: queued again or failed"
            )
        backend = settings.TASKS["default"]["BACKEND"]
        if backend == RQ_BACKEND:
            # SimpleWorker: each job in this process, not in a forked child of its own session,
            # so stopping this process (a deploy, the OOM killer) stops its job too.
            call_command(
                "rqworker",
                "default",
                job_class="django_tasks_rq.Job",
                worker_class="rq.worker.SimpleWorker",
                burst=batch,
            )
        else:
            call_command("db_worker", batch=batch, reload=False, startup_delay=False)
