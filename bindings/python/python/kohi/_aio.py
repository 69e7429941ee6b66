"""``async for event in watcher`` and ``async with``: the watcher's waits run on worker threads
of the event loop's default executor, one at a time and at most 0.2 s each, so the loop never
blocks and no wait outlives the loop by more than that (``asyncio.run`` waits for the default
executor's threads before it returns: one wait of its own length would hold the program's exit)."""

import asyncio

# How long one wait lasts at most (seconds).
_STEP = 0.2


async def _shielded(owner, start):
    """The result of ``owner``'s step on the executor: the one in progress (``owner._step``), or
    one ``start()`` begins. Shielded: an await that is cancelled leaves the step running and
    kept, and the next call takes its result, so nothing the step took is dropped."""
    if owner._step is None:
        owner._step = start()
    try:
        result = await asyncio.shield(owner._step)
    except asyncio.CancelledError:
        if owner._step.cancelled():
            owner._step = None
        raise
    except BaseException:
        owner._step = None
        raise
    owner._step = None
    return result


class AsyncEvents:
    """The events of a ``kohi.Watcher`` for ``async for``, ending where iterating it ends
    (``idle_timeout`` without an event and no file waiting, ``cancel()``, ``close()``). One task
    iterates at a time.

    A wait that is cancelled (its task cancelled, or ``asyncio.timeout`` reached) leaves its
    worker thread to finish its step: the event that step takes is handed out by the next
    ``__anext__``, never dropped."""

    __slots__ = ("_watcher", "_step")

    def __init__(self, watcher):
        self._watcher = watcher
        self._step = None

    def __aiter__(self):
        return self

    async def __anext__(self):
        loop = asyncio.get_running_loop()
        started = loop.time()
        while True:
            # Cancelling this call leaves the wait, and its event, to the next call.
            event, cancelled, waiting = await _shielded(
                self, lambda: loop.run_in_executor(None, self._watcher._step, _STEP)
            )
            if event is not None:
                return event
            if cancelled:
                raise StopAsyncIteration
            idle = self._watcher._idle_timeout
            if idle is not None and waiting == 0 and loop.time() - started >= idle:
                raise StopAsyncIteration


async def enter(watcher):
    return watcher


async def leave(watcher):
    # close() ends a step still running and frees the folder.
    watcher.close()


# Patients one batch of ``async for`` reads ahead at most.
_BATCH = 256


class AsyncPatients:
    """The patients of a ``kohi.PatientStream`` for ``async for``: a batch is read ahead on the
    running loop's default executor (the file is never read on the loop's thread), then handed
    out one at a time; the next batch is read when this one is used up. The batch belongs to
    the stream, so ``next()`` and another loop take up where this one stopped, and a read whose
    waiting task is cancelled leaves its patients to the next call: none is dropped."""

    __slots__ = ("_stream", "_step")

    def __init__(self, stream):
        self._stream = stream
        self._step = None

    def __aiter__(self):
        return self

    async def __anext__(self):
        stream = self._stream
        if self._step is not None or not stream._has_ready():
            # Cancelling this call leaves the read, and its patients, to the next.
            loop = asyncio.get_running_loop()
            await _shielded(self, lambda: loop.run_in_executor(None, stream._read_ahead, _BATCH))
        # Taken from the batch (or, at the end, the reader's None at once); an error read after
        # the batch's patients comes here, after them.
        try:
            return next(stream)
        except StopIteration:
            raise StopAsyncIteration from None
