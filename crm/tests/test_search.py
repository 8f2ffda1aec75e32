"""The search rules (crm.search): folding, reading a query, highlighting its matches."""

import pytest
from django.template import Context, Template

from crm.search import MAX_WORDS, fold, highlight_spans, search_terms, words
from crm.templatetags.crm_search import highlight


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Müller", "muller"),
        ("MÜLLER", "muller"),
        ("José", "jose"),
        ("Jose\u0301", "jose"),  # the accent typed as a combining mark
        ("Straße", "strasse"),
        ("Søren Ærø", "soren aero"),
        ("Œuvre Łódź Đorđe Þór", "oeuvre lodz dorde thor"),
        ("İstanbul", "istanbul"),
        ("ﬁne ²", "fine 2"),
        ("O’Brien", "o'brien"),
        ("Ada LOVELACE", "ada lovelace"),
        ("Москва", "москва"),  # other scripts keep their letters, case-folded
    ],
)
def test_fold_drops_case_and_accents_and_spells_other_letters_as_typed(text, folded):
    assert fold(text) == folded


def test_folding_a_text_is_folding_each_of_its_characters():
    text = "Dr. Zoë Ærø-Łukasz, Straße 12, İzmir, ﬁ, José Müller"
    assert fold(text) == "".join(fold(c) for c in text)


def test_words_are_distinct_and_sorted_whatever_the_order_typed():
    assert words(["Ada Lovelace", "lovelace", "ADA"]) == words(["Lovelace ada"]) == "ada lovelace"


def test_a_query_is_read_as_folded_words_without_repeats_or_punctuation():
    terms = search_terms("  Smith  ÁNA - & smith ")
    assert [word.text for word in terms.words] == ["smith", "ana"]
    assert terms.notice == ""


def test_a_query_of_punctuation_only_searches_nothing_and_says_so():
    terms = search_terms("!!! -- ...")
    assert not terms
    assert terms.notice == "“!!! -- ...” has no letters or digits to search for."


def test_a_query_of_many_words_searches_the_first_ones_and_says_so():
    terms = search_terms(" ".join(f"word{i}" for i in range(1000)))
    assert len(terms.words) == MAX_WORDS
    assert terms.notice == f"Only the first {MAX_WORDS} words were searched for."


def test_a_number_typed_with_spaces_is_one_number(settings):
    settings.CRM_PHONE_REGION = "FR"
    terms = search_terms("06 12 34 56 78")
    assert terms.words == ()
    assert terms.phone == ("0612345678", "33612345678")


def test_a_word_of_phone_punctuation_also_matches_by_its_digits_and_key():
    (smith, number) = search_terms("smith (212)555-0143").words
    assert smith.alternatives == ("smith",)
    assert number.alternatives == ("(212)555-0143", "2125550143", "12125550143")


@pytest.mark.parametrize(
    ("value", "query", "marked"),
    [
        ("Müller", "muller", "<mark>Müller</mark>"),
        ("Anna Müller", "MÜLLER", "Anna <mark>Müller</mark>"),
        ("José Costa", "costa jose", "<mark>José</mark> <mark>Costa</mark>"),
        ("Jose\u0301", "jose", "<mark>Jose\u0301</mark>"),
        ("Søren", "sor", "<mark>Sør</mark>en"),
        ("Straße", "strasse", "<mark>Straße</mark>"),
        ("(555) 01-23", "555 0123", "(<mark>555) 01-23</mark>"),
        ("(555) 01-23", "0123", "(555) <mark>01-23</mark>"),
        ("(555) 01-23", "01-23", "(555) <mark>01-23</mark>"),
        ("ada@example.org", "example", "ada@<mark>example</mark>.org"),
        ("Ada Lovelace", "zzz", "Ada Lovelace"),
        ("Ada", "", "Ada"),
    ],
)
def test_highlight_marks_what_search_matched(value, query, marked):
    assert highlight(value, query) == marked


def test_highlight_marks_a_number_found_by_its_key(settings):
    settings.CRM_PHONE_REGION = "FR"
    marked = "+<mark>33 6 12 34 56 78</mark>"
    assert highlight("+33 6 12 34 56 78", "06 12 34 56 78") == marked
    assert highlight("+33 6 12 34 56 78", "0612345678") == marked
    # The key of a national number typed without a country code is not in its digits.
    settings.CRM_PHONE_REGION = "US"
    assert highlight("(212) 555-0143", "+1 212 555 0143") == "<mark>(212) 555-0143</mark>"


def test_highlight_escapes_the_value_inside_and_outside_the_marks():
    assert highlight("<script>alert('Müller')</script>", "muller") == (
        "&lt;script&gt;alert(&#x27;<mark>Müller</mark>&#x27;)&lt;/script&gt;"
    )
    assert highlight("<b>Ada</b>", "b") == "&lt;<mark>b</mark>&gt;Ada&lt;/<mark>b</mark>&gt;"
    assert highlight("Ada & Co", "") == "Ada &amp; Co"


def test_highlight_in_a_template_escapes_the_query_too():
    template = Template("{% load crm_search %}{{ name|highlight:query }}")
    page = template.render(Context({"name": "Zoë <i>", "query": "zoe <i>"}))
    assert page == "<mark>Zoë</mark> <mark>&lt;i&gt;</mark>"


def test_overlapping_matches_make_one_mark():
    assert highlight_spans("Lovelace", search_terms("love lovelace vel")) == [(0, 8)]
