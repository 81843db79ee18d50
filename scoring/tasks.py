"""Worker job for training a ranking model: `brobygger model train --queue` (or anything that calls
`enqueue_training`) records a queued run and sends this job after the commit; the job records its stage
and progress on the run row, which `brobygger model list` shows."""

import asyncio
import logging
import uuid

from core.config import get_settings
from core.db import open_pool
from core.queue import MINUTE_MS, job
from scoring import service
from taxonomy.encoders import encoder_id

logger = logging.getLogger(__name__)

TRAINING_QUEUE = "models"


# No retries: a training that failed once fails again on the same data, and its run already says why.
@job(queue_name=TRAINING_QUEUE, max_retries=0, time_limit=60 * MINUTE_MS)
async def train_model_job(run_id: str) -> None:
    settings = get_settings()
    if settings.database_url is None:
        raise RuntimeError("the worker needs BROBYGGER_DATABASE_URL; start it with `brobygger worker`")
    async with open_pool(settings.database_url, max_size=2) as pool:
        version = await service.run_training(pool, uuid.UUID(run_id), encoder_id=encoder_id(settings.encoder),
                                             data_dir=settings.data_dir)
    if version is not None:
        logger.info("training run %s registered model %s", run_id, version)


async def enqueue_training(run_id: uuid.UUID) -> None:
    """Send the job for a run committed as queued (a blocking Redis call, so in a thread)."""
    await asyncio.to_thread(train_model_job.send, str(run_id))
