"""``loa worker``: a render worker on the Redis queue (see broadcast/jobs.py for how and why RQ)."""

from __future__ import annotations

import click

from loa.config import Settings


def _queue_names(value: str) -> tuple[str, ...]:
    from broadcast.jobs import QUEUES

    names = tuple(n.strip() for n in value.split(",") if n.strip())
    unknown = [n for n in names if n not in QUEUES]
    if not names or unknown:
        raise click.BadParameter(
            f"hàng đợi không có: {', '.join(unknown) or '(trống)'}; chọn trong {', '.join(QUEUES)} "
            f"/ unknown queue; choose among {', '.join(QUEUES)}"
        )
    # Emergencies first, whatever order they were given in.
    return tuple(q for q in QUEUES if q in names)


@click.command("worker")
@click.option("--queues", "queues", default="emergency,render", show_default=True,
              help="Các hàng đợi phục vụ, cách nhau bằng dấu phẩy; hàng khẩn cấp luôn được lấy trước. "
                   "/ Queues to serve, comma-separated; emergencies are always taken first.")
@click.option("--burst", is_flag=True,
              help="Làm hết việc đang chờ rồi thoát. / Run the waiting jobs, then exit.")
@click.option("--name", default=None,
              help="Tên của worker trong Redis (mặc định: máy và số tiến trình). / The worker's name in Redis.")
@click.pass_obj
def worker_cmd(settings: Settings, queues: str, burst: bool, name: str | None) -> None:
    """Chạy worker dựng âm thanh từ hàng đợi Redis. / Run a render worker on the Redis queue.

    Needs redis_url (LOA_REDIS_URL) and the same database_url and data folder (media store) as
    `loa serve`. Start as many as the machines have cores; a job whose worker dies is retried by
    another. SIGTERM finishes the current job, then exits.
    """
    from broadcast.jobs import run_worker

    names = _queue_names(queues)
    if not settings.redis_url:
        raise click.ClickException(
            "Chưa cấu hình redis_url (LOA_REDIS_URL): không có hàng đợi để phục vụ; không có Redis thì "
            "`loa serve` tự dựng âm thanh. / redis_url is not set: without Redis, `loa serve` renders in-process."
        )
    try:
        run_worker(settings, names, burst=burst, name=name)
    except Exception as exc:  # Redis unreachable: a sentence, not a traceback
        from redis.exceptions import RedisError

        if isinstance(exc, RedisError):
            raise click.ClickException(f"Không kết nối được Redis / cannot reach Redis: {exc}") from exc
        raise


commands: list[click.Command] = [worker_cmd]
