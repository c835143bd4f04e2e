"""What a worker does with one `DreamJob`, the same in both kinds of worker (`worker.py` on
this host, `redis_worker.py` anywhere): the start picture, a still or an animation, and an
animation encoded where it was dreamt.

1. The start picture: the uploaded image decoded within the job's limits, or, for a dream
   from noise, seeded noise of the job's size (the params' seed, so one seed makes both
   the noise and the dream).
   A guide image (`job.guide`) is decoded within the same pixel limit, at the size its
   features are taken at, and steers every frame.
2. A still (`params.frames == 1`) is `dream`'s result as it is.
3. An animation is encoded here, within the job's `upload_limit`, in its format
   (`fit_animation` lowers the frame size, then the quality, then the frame count): the
   result carries the encoded file and what was lowered, never the raw frames, which would
   be about 75 MB for 24 frames of 1024 px through the pipe or Redis.

TensorFlow comes in with this module: only workers import it.
"""
from __future__ import annotations

import sys
import threading
from dataclasses import replace

from dreaming.animate import animate
from dreaming.engine import dream
from dreaming.guide import GUIDE_SIDE
from dreaming.images import decode, fit_animation, noise_image, to_array
from dreaming.jobs import DreamJob, DreamResult, ProgressFn
from dreaming.model import DreamModel, DreamModels
from dreaming.params import seeded


def run_job(job: DreamJob, *, model: DreamModel | DreamModels, progress: ProgressFn | None = None,
            cancel: threading.Event | None = None) -> DreamResult:
    """Dream `job` to the result its pool sends back (DreamError for the job's own faults).
    `model` is the worker's network, or its networks (`DreamModels`), one of which the job names."""
    params = seeded(job.params)  # chosen now: a noise start is drawn from the same seed
    model = model.get(params.model)
    if job.noise is not None:
        picture = noise_image(job.noise, params.seed)
    else:
        picture = to_array(decode(job.image, max_side=params.max_side, max_pixels=job.max_pixels))
    guide = None if job.guide is None else to_array(decode(job.guide, max_side=GUIDE_SIDE,
                                                              max_pixels=job.max_pixels))
    if params.frames == 1:
        return dream(picture, params, model=model, progress=progress, cancel=cancel, guide=guide)
    result = animate(picture, params, model=model, progress=progress, cancel=cancel, guide=guide)
    fitted = fit_animation(result.frames, job.upload_limit or sys.maxsize, job.animation_format)
    return replace(result, frames=(), animation=fitted)
