"""What an LLM summariser is asked, and whether its answer may be shown (pure)."""

from __future__ import annotations

import re

from digest.editorial.reading_time import count_words
from digest.editorial.summarise import ENDS_LIKE_A_SENTENCE, SummaryRequest, is_boilerplate

# The article is cut to this many characters: enough for a summary, and a bounded request.
MAX_ARTICLE_CHARACTERS = 12_000

# A refusal opens the answer ("Sorry, I cannot…"); the same words further into a summary
# are a quotation from the article.
_REFUSAL = re.compile(
    r"(?:I(?:'m| am)\s+(?:sorry|unable|not able)|I\s+(?:cannot|can(?:no|')t|won't)|"
    r"as an (?:AI|language model)|je ne peux pas|je suis désolé|désolé, )",
    re.IGNORECASE,
)
_PREAMBLE = re.compile(r"^(?:here(?:'s| is) (?:a |the )?summary|summary\s*:|résumé\s*:)", re.I)
_MARKUP = re.compile(r"(?:<[a-zA-Z/][^>]*>|\*\*|__|^#{1,6}\s|^\s*[-*•]\s|^\s*\d+\.\s|```)", re.M)
# An answer wrapped whole in one pair of quotes: the quotes go, nothing inside them.
_QUOTED = re.compile(r'^(["“«\'])(.*)(["”»\'])$', re.S)
_PAIRS = {'"': '"', "“": "”", "«": "»", "'": "'"}


def chat_messages(request: SummaryRequest) -> list[dict[str, str]]:
    """The chat-completions messages for one article."""
    instructions = (
        "You write the summary of a news article for a newsletter. Answer with the summary "
        f"only: plain text, at most {request.word_budget} words, at most "
        f"{request.max_sentences} complete sentences, in the article's language. No title, no "
        "preamble, no lists, no markdown. Use only facts stated in the article."
    )
    article = request.text[:MAX_ARTICLE_CHARACTERS]
    return [
        {"role": "system", "content": instructions},
        {"role": "user", "content": f"Title: {request.title}\n\n{article}"},
    ]


def _unquoted(text: str) -> str:
    text = text.strip()
    match = _QUOTED.match(text)
    if match and _PAIRS[match[1]] == match[3] and match[1] not in match[2]:
        return match[2].strip()
    return text


def check_answer(answer: str, request: SummaryRequest) -> tuple[str, str | None]:
    """(the summary to show, None) or ("", why it cannot be shown)."""
    text = _unquoted(" ".join(answer.split()))
    if not text:
        return "", "empty answer"
    if _REFUSAL.search(text[:24]):
        return "", "the model refused"
    if _MARKUP.search(answer.strip()) or _PREAMBLE.match(text):
        return "", "not plain text (markup, a list or a preamble)"
    words = count_words(text)
    if words > request.word_budget:
        return "", f"too long ({words} words, budget {request.word_budget})"
    if not ENDS_LIKE_A_SENTENCE.search(text):
        return "", "does not end on a full sentence"
    if is_boilerplate(text):
        return "", "reads as boilerplate"
    return text, None
