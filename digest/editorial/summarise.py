"""Summaries: the Summariser interface, the lead baseline and the extractive summariser (pure)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from digest.editorial.reading_time import count_words
from digest.editorial.sentences import split_sentences
from digest.states import SummaryMethod

__all__ = [
    "ExtractiveSummariser",
    "Summariser",
    "Summary",
    "SummaryRequest",
    "extractive_summary",
    "is_boilerplate",
    "lead_summary",
    "split_sentences",
]


@dataclass(frozen=True)
class SummaryRequest:
    """What a summariser is given: the cleaned text, its title, the feed's own description."""

    title: str
    text: str
    feed_description: str = ""
    word_budget: int = 60
    max_sentences: int = 2
    language: str | None = None  # BCP 47, when known: how its sentences are split


@dataclass(frozen=True)
class Summary:
    text: str
    method: SummaryMethod


class Summariser(Protocol):
    """Summarises a batch of articles, one Summary per request, in order; never raises for
    one bad article (an implementation that calls out falls back to the extractive summary)."""

    async def summarise(self, requests: Sequence[SummaryRequest]) -> list[Summary]: ...


class ExtractiveSummariser:
    """The offline default: sentences of the article itself (see extractive_summary)."""

    async def summarise(self, requests: Sequence[SummaryRequest]) -> list[Summary]:
        return [extractive_summary(r) for r in requests]


# Sentences that belong to the page around an article, never in its summary.
_BOILERPLATE = re.compile(
    r"""^(?:
        (?:by|par)\s+[\w.'’-]+(?:\s+[\w.'’-]+){0,4}\s*$            # a byline alone
      | (?:read|see)\s+(?:also|more)\b | also\s+read\b | lire\s+aussi\b | à\s+lire\b
      | (?:اقرأ|إقرأ)\s+(?:أيضا|أيضًا|المزيد)
      | related\s*(?:articles?|stories|posts)?\s*:
      | (?:click|tap)\s+(?:here|through)\b | cliquez\s+ici\b
      | (?:subscribe|sign\s+up|abonnez-vous|follow\s+us|share\s+this)\b
      | (?:photo|image|picture|credit|crédit|source)s?\s*(?:credit)?\s*:
      | (?:copyright|©|all\s+rights\s+reserved|tous\s+droits)
      | (?:courtesy\s+of|written\s+by|reporting\s+by|editing\s+by|additional\s+reporting)\b
      | (?:this\s+(?:article|story)\s+(?:was\s+)?(?:originally|first)\s+(?:appeared|published))
      | (?:advertisement|publicité|sponsored)\b
      | \(?\s*\d+\s*(?:minutes?|mins?)\s*read\s*\)?\s*$
      | (?:updated|published|posted|mis\s+à\s+jour|publié)\s*(?:on|le)?\s*:?\s*\d
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_BOILERPLATE_ANYWHERE = re.compile(
    # A link aggregator's labels: reddit's "[link]" and "[959 comments]", "submitted by".
    r"\[\s*(?:link|\d[\d,.]*\s*comments?)\s*\]|^\s*submitted\s+by\b|"
    r"\b(?:click here|cliquez ici|subscribe to our|sign up for our|(?:our|the) newsletter|"
    r"all rights reserved|(?:photo|image) credit|(?:photo|image|picture)\s*:\s*\S|"
    r"getty images|reuters/|afp photo|ap photo|\(photo:|\(crédit)",
    re.IGNORECASE,
)
# How a sentence's score is made: news puts the point first, so position leads.
POSITION_WEIGHT = 0.8
POSITION_DECAY = 0.5
CENTRALITY_WEIGHT = 0.1
TITLE_WEIGHT = 0.1
# Below this share of the most central sentence's centrality, a sentence only pads a summary.
# The opening sentence is what the story is about, whatever its words.
MIN_RELEVANCE = 0.2
LEAD_SENTENCES = 1
# Sentences shorter than this many words score less, in proportion.
SHORT_SENTENCE_WORDS = 10
# A sentence whose content words are more than this share in a chosen one says it again.
REDUNDANT = 0.6
# Once a summary has this share of its budget, a sentence that does not fit ends it.
FULL_ENOUGH = 0.3
# Sentences past this many candidates score too low to be chosen: not considered (speed).
MAX_CANDIDATES = 40
# A paragraph of at least this many words without a final stop is a standfirst, not a heading.
STANDFIRST_WORDS = 10
_STARTS_LIKE_A_SENTENCE = re.compile(r"[\"'“‘«(]?[A-ZÀ-ÝĀ-Ž0-9\u0621-\u064a\u0660-\u0669]")
# A summary sentence ends like one: a stop, ! ? or … (Arabic ؟ and ۔), then perhaps quotes.
ENDS_LIKE_A_SENTENCE = re.compile(r"[.!?…。！？؟۔][\"'”’»)\]」』）]*$")
_TOKEN = re.compile(r"\w+")
_IDEOGRAPHIC_END = re.compile(r"[。！？][」』”’）)]*$")
_IDEOGRAPHS = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_STOPWORDS = frozenset(
    """a an and are as at be been but by for from had has have he her his i in is it its
    of on or she that the their them they this to was were which who will with would not
    said says say also after before over than more most into about up out new one two
    le la les un une des du de et en est au aux ce ces dans par pour sur qui que il elle
    ils elles son sa ses leur leurs ne pas plus a été être avec selon
    في من على إلى عن مع أن إن هذا هذه ذلك التي الذي الذين كان كانت قد لم لا ما هو هي
    وقال قال وفي وأن كما بين بعد قبل حتى أو ثم عند""".split()  # noqa: SIM905
)


# Markup shown as text: HTML escaped twice by a feed ("&amp;lt;p&amp;gt;").
_MARKUP = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
# Fewer words than this is a label ("Comments", "Photo"), never a sentence of an article.
SENTENCE_WORDS = 4


def carries_a_sentence(text: str) -> bool:
    """Whether text holds at least one sentence of an article: not a label, a link
    aggregator's line or markup shown as text."""
    return any(_says_something(s) for s in split_sentences(text))


def _says_something(sentence: str) -> bool:
    return (
        count_words(sentence) >= SENTENCE_WORDS
        and not is_boilerplate(sentence)
        and not _MARKUP.search(sentence)
    )


def is_boilerplate(sentence: str) -> bool:
    """A byline, a "Read also" or "Subscribe" line, a photo credit, a reading-time badge…"""
    s = sentence.strip(" \"'“”‘’«»()[]-–—•*")
    return bool(_BOILERPLATE.match(s) or _BOILERPLATE_ANYWHERE.search(s))


def extractive_summary(request: SummaryRequest) -> Summary:
    """The feed's description when it is a clean summary within the budget; otherwise the
    article's best sentences (by position and centrality), whole, in their original order,
    within the word budget and the sentence cap, never boilerplate, the title or a repeat."""
    description = _clean_description(request)
    if description:
        return Summary(description, SummaryMethod.FEED)
    candidates, vocabulary = _candidates(request.text, request.title, request.language)
    if not candidates:
        return Summary(_fallback(request), SummaryMethod.EXTRACTIVE)
    scores, relevance = _scores(candidates, vocabulary, request.title)
    chosen: list[int] = []
    used = 0
    for index in sorted(range(len(candidates)), key=lambda i: (-scores[i], i)):
        if len(chosen) >= max(request.max_sentences, 1):
            break
        sentence = candidates[index]
        if used + sentence.words > request.word_budget:
            if used >= request.word_budget * FULL_ENOUGH:
                break  # a concise summary beats one padded with whatever still fits
            continue
        if chosen and sentence.position >= LEAD_SENTENCES and relevance[index] < MIN_RELEVANCE:
            continue  # fills the budget with something the article is not about
        content = frozenset(sentence.counts)
        if any(_said_already(content, frozenset(candidates[j].counts)) for j in chosen):
            continue  # says again what a chosen sentence says
        chosen.append(index)
        used += sentence.words
    if not chosen:
        # Not one sentence fits the budget: the best one, cut at a word and marked as cut.
        best = max(range(len(candidates)), key=lambda i: (scores[i], -i))
        return Summary(_cut(candidates[best].text, request.word_budget), SummaryMethod.EXTRACTIVE)
    return Summary(_join([candidates[i].text for i in sorted(chosen)]), SummaryMethod.EXTRACTIVE)


def lead_summary(
    text: str, title: str = "", word_budget: int = 60, language: str | None = None
) -> str:
    """The baseline: whole sentences from the start, in order, within the budget; never the
    title again."""
    title_key = _fingerprint(title)
    chosen: list[str] = []
    used = 0
    for sentence in split_sentences(text, language):
        if _fingerprint(sentence) == title_key:
            continue
        words = count_words(sentence)
        if used + words > word_budget:
            if not chosen:
                return _cut(sentence, word_budget)
            break
        chosen.append(sentence)
        used += words
    return " ".join(chosen)


@dataclass(frozen=True)
class _Sentence:
    text: str
    position: int  # among the candidates, from 0
    words: int
    counts: Counter[str]


def _candidates(
    text: str, title: str, language: str | None = None
) -> tuple[list[_Sentence], list[Counter[str]]]:
    """The sentences a summary may take (the first MAX_CANDIDATES that read as sentences,
    not boilerplate, not the title, not a repeat) and the content words of every sentence
    (what centrality is measured against)."""
    title_key = _fingerprint(title)
    seen: list[frozenset[str]] = []
    out: list[_Sentence] = []
    vocabulary: list[Counter[str]] = []
    for paragraph in text.split("\n\n"):
        for sentence in split_sentences(paragraph, language):
            words_of = _words(sentence)
            content = Counter(t for t in words_of if t not in _STOPWORDS and not t.isdigit())
            vocabulary.append(content)
            if len(out) >= MAX_CANDIDATES:
                continue  # far down the article: counted for centrality, never chosen
            words = count_words(sentence)
            if not ENDS_LIKE_A_SENTENCE.search(sentence):
                if words < STANDFIRST_WORDS or not _STARTS_LIKE_A_SENTENCE.match(sentence):
                    continue  # a heading, a caption or a label, not a sentence
                # A standfirst printed without its full stop: a whole sentence all the same.
                sentence += "."
            elif words < 2:
                continue
            if is_boilerplate(sentence):
                continue
            key = " ".join(words_of)
            if not key or (title_key and _is_title(key, title_key)):
                continue
            tokens = frozenset(words_of)
            if any(_jaccard(tokens, other) > 0.7 for other in seen):
                continue  # the same sentence again (a standfirst repeated as paragraph one)
            seen.append(tokens)
            out.append(_Sentence(sentence, len(out), words, content))
    return out, vocabulary


def _scores(
    sentences: list[_Sentence], vocabulary: list[Counter[str]], title: str
) -> tuple[list[float], list[float]]:
    """(score, relevance) per sentence. The score mixes position (news puts the point first)
    and centrality (how much of the rest of the article's vocabulary a sentence shares), with
    a nudge for the title's words; relevance is the centrality alone, 0 to 1."""
    # Document frequency over sentences damps words every sentence uses.
    df: Counter[str] = Counter()
    for counts in vocabulary:
        df.update(counts.keys())
    n = len(vocabulary)
    idf = {w: math.log(1 + n / c) for w, c in df.items()}
    centroid: dict[str, float] = {}
    for counts in vocabulary:
        for w, c in counts.items():
            centroid[w] = centroid.get(w, 0.0) + c * idf[w]
    centroid_square = sum(v * v for v in centroid.values())
    title_words = {t for t in _words(title) if t not in _STOPWORDS}
    raw: list[float] = []
    for s in sentences:
        vector = {w: c * idf[w] for w, c in s.counts.items()}
        # The rest of the article, without the sentence itself: a sentence about nothing
        # else in the article scores nothing.
        rest = {w: centroid[w] - v for w, v in vector.items()}
        rest_square = centroid_square - sum(centroid[w] ** 2 - rest[w] ** 2 for w in vector)
        rest_norm = math.sqrt(max(rest_square, 0.0))
        norm = math.sqrt(sum(v * v for v in vector.values()))
        dot = sum(v * rest[w] for w, v in vector.items())
        raw.append(dot / (norm * rest_norm) if norm and rest_norm > 1e-9 else 0.0)
    top = max(raw) or 1.0
    relevance = [c / top for c in raw]
    scores = []
    for s, central in zip(sentences, relevance, strict=True):
        position = 1.0 / (1 + s.position) ** POSITION_DECAY
        title_share = len(title_words & s.counts.keys()) / len(title_words) if title_words else 0
        # Past the lead, a five-word sentence ("Patients noticed.") rarely carries the story.
        brevity = 1.0 if s.position < LEAD_SENTENCES else min(1.0, s.words / SHORT_SENTENCE_WORDS)
        mixed = POSITION_WEIGHT * position + CENTRALITY_WEIGHT * central
        scores.append((mixed + TITLE_WEIGHT * title_share) * brevity)
    return scores, relevance


def _clean_description(request: SummaryRequest) -> str:
    """The feed's description, if it reads as a finished summary within the budget."""
    description = " ".join(request.feed_description.split())
    if not description or description.endswith(("...", "[…]", "[...]", "…")):
        return ""
    sentences = split_sentences(description, request.language)
    words = count_words(description)
    if not 8 <= words <= request.word_budget or len(sentences) > max(request.max_sentences, 1):
        return ""
    if any(is_boilerplate(s) or not ENDS_LIKE_A_SENTENCE.search(s) for s in sentences):
        return ""
    if _fingerprint(description) == _fingerprint(request.title):
        return ""
    return description


def _fallback(request: SummaryRequest) -> str:
    """No sentence a summary may take (none with a final stop, say): the lead of the
    sentences that still say something, else nothing. "Comments" is never a summary."""
    kept = [s for s in split_sentences(request.text) if _says_something(s)]
    return lead_summary("\n".join(kept), request.title, request.word_budget) if kept else ""


def _cut(sentence: str, budget: int) -> str:
    return " ".join(sentence.split()[:budget]).rstrip(",;:") + "…"


def _join(sentences: list[str]) -> str:
    """Sentences side by side: a space after a Latin stop, none after 。！？ (as written)."""
    out = sentences[0]
    for sentence in sentences[1:]:
        out += ("" if _IDEOGRAPHIC_END.search(out) else " ") + sentence
    return out


def _words(text: str) -> list[str]:
    """Lower-cased words; a run of Chinese or Japanese characters, written without spaces,
    gives its character pairs instead (a fair stand-in for words when comparing sentences)."""
    out: list[str] = []
    for token in _TOKEN.findall(text.casefold()):
        if _IDEOGRAPHS.search(token):
            out.extend(token[i : i + 2] for i in range(max(len(token) - 1, 1)))
        else:
            out.append(token)
    return out


def _fingerprint(text: str) -> str:
    return " ".join(_TOKEN.findall(text.casefold()))


def _is_title(key: str, title_key: str) -> bool:
    """The title repeated as a sentence, perhaps with a few words around it, or a sentence of
    a title made of several."""
    if title_key in key and len(title_key) >= 0.6 * len(key):
        return True  # "Home › Northern Africa" and the title, say
    return f" {key} " in f" {title_key} "


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _said_already(new: frozenset[str], chosen: frozenset[str]) -> bool:
    """Most of a sentence's content words are in a sentence already chosen."""
    return bool(new) and len(new & chosen) / len(new) > REDUNDANT
