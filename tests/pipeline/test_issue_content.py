"""The editor's content edits, through the pipeline to the email: order, sections, lead, a
story's own title and summary, a story added by URL."""

from __future__ import annotations

from functools import partial

import pytest

from digest import pipeline
from digest.errors import DigestError
from digest.models import Article
from digest.pipeline import added_stories, editor_actions, rendering
from tests.pipeline.drafts import NOW, compose
from tests.servers import FixtureHTTPServer, Route

EDITOR = "nadia"

# A page of our own in the shape of a regional news site's article (breadcrumb, reading time,
# a "Read also" list under it), to add by hand.
ADDED_PAGE = b"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Nouakchott fishers map the coast with drones | Coast Desk</title>
<meta property="og:title" content="Nouakchott fishers map the coast with drones">
<link rel="canonical" href="https://coast-desk.example/nouakchott-drones">
</head><body>
<nav class="breadcrumb"><a href="/">Home</a> &rsaquo; <a href="/west">West Africa</a></nav>
<article><h1>Nouakchott fishers map the coast with drones</h1><p>(2 minutes read)</p>
<p>Fishing cooperatives in Nouakchott have started flying small drones over the shoreline each
morning to count boats, spot illegal trawlers and map where the sand has moved overnight.</p>
<p>The cooperative's secretary said the maps are shared with the coast guard every week, and
that the catch registered at the port has become easier to check against what boats report.</p>
<p>The project is paid for by the cooperatives themselves, with training from a university
engineering school that lends the drones during the first season.</p>
</article><aside><h3>Read also:</h3><ul><li><a href="/a">Another story</a></li></ul></aside>
</body></html>"""


def email_order(rt: pipeline.Runtime, issue_id: int) -> list[int]:
    """The stories' ids in the order the email's sections show them."""
    view, _rendered = rendering.render_view(rt, issue_id)
    return [story.id for section in view.sections for story in section.stories]


def text_order(rt: pipeline.Runtime, issue: editor_actions.EditorIssue) -> list[str]:
    """The stories' titles in the order the text part shows them."""
    text = pipeline.render(rt, issue.ref.id).text
    titles = [entry.title for entry in issue.entries]
    return sorted(titles, key=text.index)


def test_moving_a_story_up_across_its_section_boundary_is_not_claimed(
    rt: pipeline.Runtime,
) -> None:
    issue = compose(rt)
    assert len(issue.sections) == 2
    first_of_second = next(e for e in issue.entries if e.section == issue.sections[1])
    before = email_order(rt, issue.ref.id)
    try:
        editor_actions.move_article(
            rt, issue.ref.id, first_of_second.article_id, -1, editor=EDITOR, now=NOW
        )
    except DigestError as exc:
        assert "already the first of its section" in exc.message
        assert email_order(rt, issue.ref.id) == before
    else:  # a move that reports success must show in the email
        assert email_order(rt, issue.ref.id) != before


def test_the_email_follows_the_editors_order_of_sections_and_stories(
    rt: pipeline.Runtime,
) -> None:
    issue = compose(rt)
    north, west = issue.sections
    second_section = [e for e in issue.entries if e.section == west]
    editor_actions.move_section(rt, issue.ref.id, west, -1, editor=EDITOR, now=NOW)
    editor_actions.move_article(
        rt, issue.ref.id, second_section[-1].article_id, -1, editor=EDITOR, now=NOW
    )
    mover = next(e for e in issue.entries if e.section == north)
    editor_actions.move_to_section(rt, issue.ref.id, mover.article_id, west, editor=EDITOR, now=NOW)

    again = compose(rt)  # composing again keeps every choice
    assert again.sections == (west, north)
    expected = [e.article_id for e in second_section]
    expected[-2], expected[-1] = expected[-1], expected[-2]
    expected.append(mover.article_id)
    assert [e.article_id for e in again.entries if e.section == west] == expected
    assert email_order(rt, again.ref.id) == [e.article_id for e in again.entries]
    assert text_order(rt, again) == [e.title for e in again.entries]


def test_a_storys_title_and_summary_are_the_issues_own_and_survive_composing(
    rt: pipeline.Runtime,
) -> None:
    issue = compose(rt)
    story = issue.entries[2]
    editor_actions.edit_story(
        rt,
        issue.ref.id,
        story.article_id,
        title=" Solar pumps  in Ségou: the first harvest ",
        summary="Farmers say the pumps paid for themselves in one season.",
        editor=EDITOR,
        now=NOW,
    )
    again = compose(rt)
    edited = next(e for e in again.entries if e.article_id == story.article_id)
    assert edited.title == "Solar pumps in Ségou: the first harvest"
    assert edited.edited_summary.startswith("Farmers say")
    rendered = pipeline.render(rt, again.ref.id)
    assert "Solar pumps in Ségou: the first harvest" in rendered.html
    assert "paid for themselves in one season" in rendered.text
    assert story.title not in rendered.text
    with rt.sessions() as session:
        article = session.get(Article, story.article_id)
        assert article is not None
        assert (article.title, article.summary) == (story.title, story.summary)  # untouched

    # Blank: the collected ones again.
    editor_actions.edit_story(
        rt, issue.ref.id, story.article_id, title="", summary="", editor=EDITOR, now=NOW
    )
    assert story.title in pipeline.render(rt, issue.ref.id).text


def test_the_lead_story_is_the_editors_choice_on_the_issue_view(rt: pipeline.Runtime) -> None:
    issue = compose(rt)
    assert rendering.render_view(rt, issue.ref.id)[0].lead_article_id is None
    chosen = issue.entries[-1].article_id
    editor_actions.set_lead(rt, issue.ref.id, chosen, editor=EDITOR, now=NOW)
    assert rendering.render_view(rt, issue.ref.id)[0].lead_article_id == chosen
    assert compose(rt).lead_article_id == chosen
    with pytest.raises(DigestError, match="is not in issue"):
        editor_actions.set_lead(rt, issue.ref.id, 99_999, editor=EDITOR, now=NOW)
    editor_actions.set_lead(rt, issue.ref.id, None, editor=EDITOR, now=NOW)
    assert rendering.render_view(rt, issue.ref.id)[0].lead_article_id is None


def test_a_story_added_by_url_is_collected_and_shown(
    rt: pipeline.Runtime, http_server: FixtureHTTPServer
) -> None:
    issue = compose(rt)
    http_server.routes["/coast/nouakchott-drones"] = Route(
        ADDED_PAGE, content_type="text/html; charset=utf-8"
    )
    url = http_server.url("/coast/nouakchott-drones")
    article_id = added_stories.add_story(rt, issue.ref.id, url, editor=EDITOR, now=NOW)

    again = compose(rt)  # kept when composing again
    added = next(e for e in again.entries if e.article_id == article_id)
    assert added.title == "Nouakchott fishers map the coast with drones"
    assert added.section == "West Africa"  # the page's breadcrumb
    assert "drones" in added.summary and "Read also" not in added.summary
    assert "Nouakchott fishers map the coast with drones" in pipeline.render(rt, again.ref.id).text
    with pytest.raises(DigestError, match="already in the issue"):
        added_stories.add_story(rt, issue.ref.id, url, editor=EDITOR, now=NOW)


@pytest.mark.parametrize(
    ("url", "refusal"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),  # the SSRF guard
        ("file:///etc/passwd", "not a web page"),
        ("javascript:alert(1)", "not a web page"),
    ],
)
def test_a_story_url_goes_through_the_collectors_guard(
    rt: pipeline.Runtime, url: str, refusal: str
) -> None:
    issue = compose(rt)
    with pytest.raises(DigestError, match=refusal):
        added_stories.add_story(rt, issue.ref.id, url, editor=EDITOR, now=NOW)
    assert len(compose(rt).entries) == len(issue.entries)


def test_the_subject_names_the_lead_and_follows_the_editors_choices(
    write_config, http_server: FixtureHTTPServer
) -> None:  # type: ignore[no-untyped-def]
    settings = write_config(
        {
            "sources": [{"name": "North", "url": http_server.url("/feeds/northern-africa.xml")}],
            "lists": [{"slug": "weekly", "name": "The Weekly", "subject": "{lead} | {name}"}],
        }
    )
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        issue = compose(rt)
        first, chosen = issue.entries[0], issue.entries[-1]
        assert issue.ref.subject == f"{first.title} | The Weekly"

        editor_actions.set_lead(rt, issue.ref.id, chosen.article_id, editor=EDITOR, now=NOW)
        assert compose(rt).ref.subject == f"{chosen.title} | The Weekly"
        # The editor's own title of the lead, on the issue page: the subject says it too.
        retitle = partial(editor_actions.edit_story, rt, issue.ref.id, editor=EDITOR, now=NOW)
        retitle(chosen.article_id, title="Ports reopen", summary="")
        assert compose(rt).ref.subject == "Ports reopen | The Weekly"
        assert pipeline.render(rt, issue.ref.id).subject == "Ports reopen | The Weekly"
        # A subject the editor wrote stays theirs.
        editor_actions.edit_issue(rt, issue.ref.id, editor=EDITOR, now=NOW, subject="Our week")
        editor_actions.set_lead(rt, issue.ref.id, None, editor=EDITOR, now=NOW)
        assert compose(rt).ref.subject == "Our week"
