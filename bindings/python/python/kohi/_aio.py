"""``async for event in watcher`` and ``async with``: the blocking iteration run on a worker
thread of the event loop's default executor, one wait at a time, so the loop never blocks."""

import asyncio

_END = object()


class AsyncEvents:
    """The events of a ``kohi.Watcher`` for ``async for``, ending where iterating it ends
    (``idle_timeout``, ``cancel()``, ``close()``). One task iterates at a time.

    A wait that is cancelled (its task cancelled, or ``asyncio.timeout`` reached) leaves its
    worker thread waiting: the event that thread takes is handed out by the next ``__anext__``,
    never dropped. ``close()`` (or leaving ``async with``) ends that thread's wait."""

    __slots__ = ("_watcher", "_waiting")

    def __init__(self, watcher):
        self._watcher = watcher
        self._waiting = None

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self._waiting is None:
            loop = asyncio.get_running_loop()
            self._waiting = loop.run_in_executor(None, next, self._watcher, _END)
        try:
            # Shielded: cancelling this call leaves the wait, and its event, to the next call.
            event = await asyncio.shield(self._waiting)
        except asyncio.CancelledError:
            if self._waiting.cancelled():
                self._waiting = None
            raise
        except BaseException:
            self._waiting = None
            raise
        self._waiting = None
        if event is _END:
            raise StopAsyncIteration
        return event


async def enter(watcher):
    return watcher


async def leave(watcher):
    # close() wakes a worker thread still waiting and frees the folder.
    watcher.close()
