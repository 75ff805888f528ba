"""config.yaml -> settings: the shipped file works, wrong keys and values name what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.config import load_settings
from digest.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_config_loads_and_resolves_paths_next_to_it() -> None:
    settings = load_settings(REPO / "config.yaml", environ={})
    assert [s.name for s in settings.sources] == ["Maghreb Dispatch", "Sahel & Coast Weekly"]
    assert settings.lists[0].slug == "weekly" and settings.lists[0].demo_subscribers
    assert settings.delivery.transport == "file"
    assert settings.database_url == f"sqlite:///{REPO / 'digest.db'}"
    for source in settings.sources:
        assert source.file is not None and settings.resolve(source.file).is_file()


def test_a_wrong_type_names_file_key_and_expectation(tmp_path: Path) -> None:
    path = write(tmp_path, "delivery:\n  smtp:\n    port: abc\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert caught.value.message == f"{path}: delivery.smtp.port: expected an integer (got 'abc')"


def test_an_unknown_key_names_the_closest_known_one_then_lists_them(tmp_path: Path) -> None:
    path = write(tmp_path, "delivery:\n  smtpp: {}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert caught.value.message.startswith(
        f"{path}: delivery.smtpp: unknown key, did you mean 'smtp'? (expected one of: "
    )
    assert "transport" in caught.value.message and "\n" not in caught.value.message


def test_a_misspelt_nested_key_and_section_are_each_matched(tmp_path: Path) -> None:
    path = write(tmp_path, "newsletter:\n  postal_adress: 'Casa'\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert "newsletter.postal_adress: unknown key, did you mean 'postal_address'?" in (
        caught.value.message
    )
    path = write(tmp_path, "delivry: {}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert "delivry: unknown key, did you mean 'delivery'?" in caught.value.message


def test_an_unknown_key_like_no_known_one_only_lists_them(tmp_path: Path) -> None:
    path = write(tmp_path, "delivery:\n  zzz: 1\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert "delivery.zzz: unknown key (expected one of: " in caught.value.message
    assert "did you mean" not in caught.value.message


def test_a_bad_choice_and_list_index_are_named(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "delivery: {transport: pigeon}\n"
        "sources:\n  - {name: A, url: 'https://a.example.org/feed'}\n  - {name: B}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    everything = caught.value.message + caught.value.hint
    assert "delivery.transport: expected one of 'file' or 'smtp' (got 'pigeon')" in everything
    assert "sources[1]: expected exactly one of url (http/https) or file" in everything


def test_environment_overrides_nested_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "delivery:\n  smtp:\n    port: 587\n")
    settings = load_settings(
        path,
        environ={
            "DIGEST_DELIVERY__SMTP__PORT": "2525",
            "DIGEST_DATABASE__URL": "postgresql+psycopg://u@db/x",
            "DIGEST_SECRET_KEY": "not an override",
        },
    )
    assert settings.delivery.smtp.port == 2525
    assert settings.database_url == "postgresql+psycopg://u@db/x"


def test_a_bad_environment_override_names_the_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "{}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={"DIGEST_DELIVERY__SMTP__PORT": "many"})
    assert caught.value.message.startswith(
        "DIGEST_DELIVERY__SMTP__PORT (overrides config.yaml): "
        "delivery.smtp.port: expected an integer"
    )


def test_missing_file_and_broken_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_settings(tmp_path / "nope.yaml", environ={})
    path = write(tmp_path, "delivery:\n  smtp: [\n")
    with pytest.raises(ConfigError, match=r"line \d+, column \d+"):
        load_settings(path, environ={})


def test_lists_must_name_known_sources_and_valid_zones(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "lists:\n  - {slug: weekly, name: W, sources: [Nowhere]}\n",
    )
    with pytest.raises(ConfigError, match=r"unknown source\(s\) \['Nowhere'\]"):
        load_settings(path, environ={})
    path = write(tmp_path, "lists:\n  - {slug: weekly, name: W, timezone: Mars/Olympus}\n")
    with pytest.raises(ConfigError, match=r"lists\[0\]\.timezone: expected an IANA time zone"):
        load_settings(path, environ={})


def test_the_shipped_editorial_rules() -> None:
    editorial = load_settings(REPO / "config.yaml", environ={}).editorial
    assert editorial.summariser == "extractive"
    assert (editorial.summary_words, editorial.words_per_minute) == (60, 230)
    assert "Global ties" in [rule.tag for rule in editorial.tag_rules]
    assert set(editorial.gazetteer) == {
        "Northern Africa",
        "West Africa",
        "East Africa",
        "Central Africa",
        "Southern Africa",
    }


def test_a_bad_tag_rule_names_the_rule_and_what_to_fix(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'editorial:\n  tag_rules:\n    - tag: "Ties"\n      keywords: [pact]\n'
        '    - tag: "Broken"\n      patterns: ["(unclosed"]\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert caught.value.message.startswith(f"{path}: editorial.tag_rules[1]: patterns: '(unclosed'")
    assert "is not a regular expression" in caught.value.message

    empty = write(tmp_path, 'editorial:\n  tag_rules:\n    - tag: "Nothing"\n')
    with pytest.raises(ConfigError, match=r"tag_rules\[0\]: expected at least one of keywords"):
        load_settings(empty, environ={})


def test_a_bad_summariser_or_llm_url(tmp_path: Path) -> None:
    path = write(tmp_path, "editorial:\n  summariser: magic\n")
    with pytest.raises(ConfigError, match=r"editorial.summariser: expected one of 'extractive'"):
        load_settings(path, environ={})
    path = write(tmp_path, "editorial:\n  llm:\n    base_url: api.example.com\n")
    with pytest.raises(ConfigError, match=r"editorial.llm.base_url: expected an http\(s\) URL"):
        load_settings(path, environ={})


def test_embed_origins_are_exact_origins_and_list_languages_are_tags(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "readers:\n  embed_origins: ['HTTPS://Partner.Example:443', 'http://127.0.0.1:8001/']\n",
    )
    assert load_settings(path, environ={}).readers.embed_origins == [
        "https://partner.example",
        "http://127.0.0.1:8001",
    ]
    for bad in ("https://partner.example/join", "partner.example", "ftp://partner.example"):
        path = write(tmp_path, f"readers:\n  embed_origins: ['{bad}']\n")
        with pytest.raises(ConfigError) as caught:
            load_settings(path, environ={})
        assert "readers.embed_origins: expected an origin: scheme://host[:port]" in (
            caught.value.message
        ), bad
    path = write(tmp_path, "readers:\n  embed_origin: []\n")
    with pytest.raises(ConfigError, match="did you mean 'embed_origins'"):
        load_settings(path, environ={})
    path = write(tmp_path, "lists:\n  - {slug: weekly, name: W, language: 'French'}\n")
    with pytest.raises(ConfigError, match=r"lists\[0\]\.language: expected a language tag"):
        load_settings(path, environ={})
    path = write(tmp_path, "lists:\n  - {slug: weekly, name: W, welcome: false, language: fr-CA}\n")
    lst = load_settings(path, environ={}).lists[0]
    assert (lst.welcome, lst.language) == (False, "fr-CA")


@pytest.mark.parametrize(
    ("subject", "problem"),
    [
        ("{title} this week", r"unknown placeholder \{title\}"),
        ("{lead.__class__}", r"unknown placeholder \{lead.__class__\}"),
        ("{lead!r}", r"unknown placeholder \{lead!r\}"),
        ("{lead:>80}", r"unknown placeholder \{lead:>80\}"),
        ("{lead", r"unmatched brace"),
        ("{}", r"unknown placeholder \{\}"),
    ],
)
def test_a_subject_pattern_is_checked_when_the_config_is_read(
    tmp_path: Path, subject: str, problem: str
) -> None:
    path = write(tmp_path, f"lists:\n  - slug: weekly\n    name: W\n    subject: '{subject}'\n")
    with pytest.raises(ConfigError, match=rf"lists\[0\]\.subject: {problem}") as caught:
        load_settings(path, environ={})
    assert "{lead}" in caught.value.message  # names what it may hold


def test_a_subject_names_the_lead_story_by_default(tmp_path: Path) -> None:
    path = write(tmp_path, "lists:\n  - {slug: weekly, name: W}\n")
    assert "{lead}" in load_settings(path, environ={}).lists[0].subject
    assert "{lead}" in load_settings(REPO / "config.yaml", environ={}).lists[0].subject


@pytest.mark.parametrize(
    ("yaml", "key"),
    [
        ('lists:\n  - {slug: weekly, name: "Sahel\\nweekly"}\n', r"lists\[0\]\.name"),
        ('newsletter: {name: "Regional\\0 Digest"}\n', r"newsletter\.name"),
        ('newsletter: {from_name: "Desk\\x1b"}\n', r"newsletter\.from_name"),
    ],
)
def test_a_name_for_headers_with_a_control_character_is_refused(
    tmp_path: Path, yaml: str, key: str
) -> None:
    with pytest.raises(ConfigError, match=rf"{key}: .*control character"):
        load_settings(write(tmp_path, yaml), environ={})


@pytest.mark.parametrize(
    ("key", "subject", "problem"),
    [
        ("welcome_subject", "Welcome to {lists}", r"unknown placeholder \{lists\}"),
        ("welcome_subject", "Welcome to {list", r"unmatched brace"),
        ("confirmation_subject", "Confirm {list}", r"unknown placeholder \{list\}"),
        ("confirmation_subject", "Confirm {newsletter.__class__}", r"unknown placeholder"),
    ],
)
def test_the_readers_mail_subjects_are_checked_when_the_config_is_read(
    tmp_path: Path, key: str, subject: str, problem: str
) -> None:
    path = write(tmp_path, f"readers:\n  {key}: '{subject}'\n")
    with pytest.raises(ConfigError, match=rf"readers\.{key}: {problem}") as caught:
        load_settings(path, environ={})
    assert "{newsletter}" in caught.value.message  # names what it may hold
