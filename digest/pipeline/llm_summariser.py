"""Summaries from an OpenAI-compatible chat-completions endpoint, checked, with a fallback.

Any failure (no answer in time, an HTTP error, a malformed reply, an answer that fails the
checks of digest.editorial.llm_prompt) gives the extractive summary instead, and the reason
is logged: the digest never waits on, or shows, a bad answer.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence

import httpx

from digest.config_sections import LlmSettings
from digest.editorial.llm_prompt import chat_messages, check_answer
from digest.editorial.summarise import Summary, SummaryRequest, extractive_summary
from digest.secret_key import llm_api_key
from digest.states import SummaryMethod

log = logging.getLogger("digest")


class LlmError(Exception):
    """Why one answer cannot be used."""


class LlmSummariser:
    def __init__(self, settings: LlmSettings, environ: dict[str, str] | None = None) -> None:
        self.settings = settings
        key = llm_api_key(settings, environ)
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}
        # max_concurrency bounds every call of this summariser at once (a collection runs
        # one per source, several together); a semaphore serves one event loop only.
        self._limits: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._limits = weakref.WeakKeyDictionary()

    async def summarise(self, requests: Sequence[SummaryRequest]) -> list[Summary]:
        if not requests:
            return []
        loop = asyncio.get_running_loop()
        limit = self._limits.setdefault(loop, asyncio.Semaphore(self.settings.max_concurrency))
        timeout = httpx.Timeout(self.settings.timeout_seconds)
        async with httpx.AsyncClient(
            timeout=timeout, headers=self._headers, follow_redirects=False, trust_env=False
        ) as client:
            return list(await asyncio.gather(*(self._one(client, limit, r) for r in requests)))

    async def _one(
        self, client: httpx.AsyncClient, limit: asyncio.Semaphore, request: SummaryRequest
    ) -> Summary:
        try:
            async with limit:
                # The whole exchange, not each read, is bounded: a server that trickles bytes
                # cannot hold a summary back.
                answer = await asyncio.wait_for(
                    self._ask(client, request), self.settings.timeout_seconds
                )
            text, problem = check_answer(answer, request)
            if problem:
                raise LlmError(problem)
            return Summary(text, SummaryMethod.LLM)
        except Exception as exc:  # any failure of one answer: its fallback, never the run
            reason = str(exc) or type(exc).__name__
            log.warning(
                "llm summary of %r not used (%s): extractive summary instead", request.title, reason
            )
            return extractive_summary(request)

    async def _ask(self, client: httpx.AsyncClient, request: SummaryRequest) -> str:
        response = await client.post(
            f"{self.settings.base_url}/chat/completions",
            json={
                "model": self.settings.model,
                "messages": chat_messages(request),
                "temperature": 0,
                # Room for the budget in any language, not for an essay.
                "max_tokens": request.word_budget * 3,
            },
        )
        if response.status_code != 200:
            raise LlmError(f"HTTP {response.status_code} from {self.settings.base_url}")
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LlmError("malformed reply: no choices[0].message.content") from None
        if not isinstance(content, str):
            raise LlmError("malformed reply: content is not text")
        return content
