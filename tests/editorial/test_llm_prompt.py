"""What the LLM is asked, and which answers may be shown."""

from __future__ import annotations

import pytest

from digest.editorial.llm_prompt import MAX_ARTICLE_CHARACTERS, chat_messages, check_answer
from digest.editorial.summarise import SummaryRequest

REQUEST = SummaryRequest(title="Dakar bus line opens", text="Buses run. " * 5000, word_budget=20)


def test_the_prompt_states_the_budget_and_carries_title_and_bounded_text() -> None:
    system, user = chat_messages(REQUEST)

    assert system["role"] == "system" and "at most 20 words" in system["content"]
    assert user["role"] == "user" and user["content"].startswith("Title: Dakar bus line opens")
    assert len(user["content"]) < MAX_ARTICLE_CHARACTERS + 100


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        (
            "Dakar opened a bus line with 120 electric buses.",
            "Dakar opened a bus line with 120 electric buses.",
        ),
        ('  "Dakar opened a bus line."\n', "Dakar opened a bus line."),
        ("Dakar opened a\nbus line.", "Dakar opened a bus line."),
        # Quotes that open a quotation inside the summary stay balanced.
        (
            "“We will run 120 buses,” the mayor of Dakar said.",
            "“We will run 120 buses,” the mayor of Dakar said.",
        ),
        ("«Dakar opened a bus line.»", "Dakar opened a bus line."),
        # The same words as a refusal, quoted well into the summary, are the article's.
        (
            "Dakar's mayor opened the line, telling critics: “I cannot wait any longer.”",
            "Dakar's mayor opened the line, telling critics: “I cannot wait any longer.”",
        ),
    ],
)
def test_good_answers(answer: str, shown: str) -> None:
    assert check_answer(answer, REQUEST) == (shown, None)


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("I'm sorry, but I cannot summarise this article.", "refused"),
        ("As an AI language model, I can't do that.", "refused"),
        ("Je ne peux pas résumer cet article.", "refused"),
        ("**Dakar** opened a bus line.", "not plain text"),
        ("- Dakar opened a bus line.", "not plain text"),
        ("<p>Dakar opened a bus line.</p>", "not plain text"),
        ("Here is a summary: Dakar opened a bus line.", "not plain text"),
        ("Dakar opened a bus line " + "with many buses " * 10 + ".", "too long"),
        ("Dakar opened a bus line with", "full sentence"),
        ("Click here to subscribe to our newsletter.", "boilerplate"),
    ],
)
def test_bad_answers_are_refused_with_a_reason(answer: str, why: str) -> None:
    shown, problem = check_answer(answer, REQUEST)

    assert shown == ""
    assert problem is not None and why in problem
