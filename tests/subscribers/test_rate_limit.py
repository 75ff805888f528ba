"""Sign-up attempts counted in memory (the default storage): a limit per key, in a moving window."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from subscribers.rate_limit import Attempts, SharedCounts


def test_the_window_allows_limit_attempts_per_key_then_slides() -> None:
    async def attempts() -> list[bool]:
        counts = SharedCounts("memory://", key_prefix="test")
        window = Attempts(counts.storage, "client", limit=2, window=timedelta(seconds=1))
        answers = [await window.allow("ip") for _ in range(3)]
        answers.append(await window.allow("other"))
        time.sleep(1.05)  # the first two have aged out
        answers += [await window.allow("ip"), await window.allow("ip"), await window.allow("ip")]
        await counts.close()
        return answers

    assert asyncio.run(attempts()) == [True, True, False, True, True, True, False]
