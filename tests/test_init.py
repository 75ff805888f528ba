"""`digest init`: a folder to run digest in, from the files the package carries; and the
packaged templates standing in for any the config's templates folder lacks."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from digest.config import load_settings
from digest.packaged_files import config_template, packaged_templates
from digest.web import create_app
from tests.cli_runner import Finished, run_digest
from tests.web.conftest import serve

REPO = Path(__file__).resolve().parent.parent


def digest(cwd: Path, *args: str, database_url: str | None = None) -> Finished:
    """`digest ARGS…` in CWD, on DATABASE_URL unless it is SQLite (then the config's own)."""
    env = {}
    if database_url and not database_url.startswith("sqlite"):
        env["DIGEST_DATABASE__URL"] = database_url
    return run_digest(args, cwd=cwd, env=env)


def only_eml(folder: Path) -> email.message.EmailMessage:
    [path] = folder.glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def test_init_writes_a_folder_where_digest_run_works_offline(
    tmp_path: Path, database_url: str
) -> None:
    made = digest(tmp_path, "init", "newsroom")
    assert made.returncode == 0, made.stderr
    newsroom = tmp_path / "newsroom"
    assert "newsroom/config.yaml" in made.stdout
    assert "Next: cd newsroom && digest run" in made.stdout

    # The shipped config, every comment kept, with the samples where init put them.
    written = (newsroom / "config.yaml").read_text()
    assert written == config_template().read_text().replace('"digest/samples/', '"samples/')
    settings = load_settings(newsroom / "config.yaml", environ={})
    for source in settings.sources:
        assert source.file is not None
        assert settings.resolve(source.file).is_file()
        assert settings.resolve(source.file).resolve().is_relative_to(newsroom)
    assert settings.resolve(settings.paths.templates) == newsroom / "templates"
    assert "secret_key:" not in written and not (newsroom / "digest.secret").exists()
    for name in ("digest.mjml.j2", "article_card.mjml.j2", "digest.txt.j2", "confirm.mjml.j2"):
        assert (newsroom / "templates" / "email" / name).is_file(), name
    assert (newsroom / "templates" / "web" / "base.html").is_file()
    assert (newsroom / "templates" / "web" / "static" / "web.css").is_file()

    ran = digest(newsroom, "run", database_url=database_url)
    assert ran.returncode == 0, ran.stderr
    assert "Collected 12 new article(s) from 2 source(s)" in ran.stdout
    assert "Delivered to 1 recipient(s) via file outbox" in ran.stdout
    message = only_eml(newsroom / "outbox")
    assert message["To"] == "reader@example.org"
    # The shipped subject names the lead story, then the list and the number.
    assert message["Subject"].endswith(" · The Weekly Regional Digest #1")


def test_init_without_a_folder_writes_into_the_current_one(tmp_path: Path) -> None:
    made = digest(tmp_path, "init")
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "config.yaml").is_file()
    assert (tmp_path / "samples" / "feeds" / "northern-africa.xml").is_file()
    assert "Next: digest run" in made.stdout


def test_init_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    assert digest(tmp_path, "init", "newsroom").returncode == 0
    config = tmp_path / "newsroom" / "config.yaml"
    card = tmp_path / "newsroom" / "templates" / "email" / "article_card.mjml.j2"
    config.write_text("# mine\n")
    card.unlink()

    again = digest(tmp_path, "init", "newsroom")
    assert again.returncode == 1
    lines = again.stderr.strip().splitlines()
    assert len(lines) == 2, again.stderr
    assert lines[0].startswith("error: newsroom/config.yaml already exists")
    assert "--force" in lines[1] and lines[1].startswith("hint: ")
    assert config.read_text() == "# mine\n"
    assert not card.exists()  # nothing written when anything is refused

    forced = digest(tmp_path, "init", "newsroom", "--force")
    assert forced.returncode == 0, forced.stderr
    assert config.read_text() != "# mine\n" and card.is_file()


def test_missing_email_templates_fall_back_to_the_packaged_ones(
    tmp_path: Path, database_url: str
) -> None:
    assert digest(tmp_path, "init", "newsroom").returncode == 0
    newsroom = tmp_path / "newsroom"
    email_dir = newsroom / "templates" / "email"
    # One template changed, one missing: the changed one is used, the packaged one stands in.
    text = email_dir / "digest.txt.j2"
    text.write_text("Our own plain text of {{ issue.list_name }}\n" + text.read_text())
    (email_dir / "article_card.mjml.j2").unlink()

    ran = digest(newsroom, "run", database_url=database_url)
    assert ran.returncode == 0, ran.stderr
    message = only_eml(newsroom / "outbox")
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    assert "Our own plain text of The Weekly Regional Digest" in plain.get_content()
    assert "Rice farmers near Ségou swap diesel for solar pumps" in html.get_content()


def test_without_a_templates_folder_the_packaged_templates_are_used(
    tmp_path: Path, database_url: str
) -> None:
    assert digest(tmp_path, "init", "newsroom").returncode == 0
    newsroom = tmp_path / "newsroom"
    config = newsroom / "config.yaml"
    config.write_text(config.read_text().replace('templates: "templates"', 'templates: "gone"'))

    ran = digest(newsroom, "run", database_url=database_url)
    assert ran.returncode == 0, ran.stderr
    assert only_eml(newsroom / "outbox")["To"] == "reader@example.org"


def test_the_web_app_falls_back_to_the_packaged_pages_and_static_files(
    write_config, tmp_path: Path
) -> None:
    mine = tmp_path / "mine"
    (mine / "web").mkdir(parents=True)
    (mine / "web" / "not_found.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>Our own lost page</h1>{% endblock %}'
    )
    settings = write_config({"paths": {"templates": str(mine)}})
    with serve(create_app(settings)) as live, live.client() as http:
        lost = http.get("/nowhere")
        assert lost.status_code == 404 and "<h1>Our own lost page</h1>" in lost.text
        subscribe = http.get("/subscribe")
        assert subscribe.status_code == 200 and "<form" in subscribe.text
        css = http.get("/static/web.css")
        assert css.status_code == 200
        assert css.text == (packaged_templates() / "web" / "static" / "web.css").read_text()


def test_the_packaged_files_are_the_top_level_ones_in_a_checkout() -> None:
    # A wheel carries copies made at build time (setup.py); a checkout reads the originals.
    assert packaged_templates() == REPO / "templates"
    assert config_template() == REPO / "config.yaml"
