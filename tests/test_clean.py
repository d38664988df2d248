"""Cleaning: article kept, page chrome removed with reasons, metadata found. Pages written here."""

from __future__ import annotations

from kb.ingest.clean import clean_html, clean_markdown, clean_plain
from kb.ingest.textclean import byline_author, glued_headline, parse_date

BODY = [
    "City councils across the region voted this week to expand their bicycle lane networks, citing rising ridership and safety concerns raised by residents.",
    "According to the transport department, the number of daily cyclists has grown steadily for five years, and officials expect that trend to continue.",
    "Critics argue that the plans were rushed and that local businesses were not consulted before parking spaces were removed from the main streets.",
    "Funding will come from a mix of regional grants and existing maintenance budgets, the council said in a statement on Tuesday evening.",
]

SCRAPE = "\n".join(
    [
        "Home",
        "News",
        "Sport",
        "Weather",
        "",
        "Councils back wider cycle lane network",
        "",
        "By Maria Lopez",
        "",
        "March 3, 2021",
        "",
        BODY[0],
        "",
        BODY[1],
        "",
        "What the plan means",
        "",
        BODY[2],
        "",
        BODY[3],
        "",
        "Share this article",
        "Sign up for our morning newsletter and never miss a story.",
        "Enter your email address",
        "12 Comments",
        "Great article, thanks for posting this! Check out my site http://spam.example for deals on everything you need today.",
        "Reply",
        "Related articles",
        "Ten things to do this weekend in the city centre with your family and friends before the summer ends for good",
        "© 2021 Example Media. All rights reserved.",
    ]
)


def test_scrape_keeps_article_and_removes_chrome() -> None:
    spans, meta, removed = clean_plain(SCRAPE)
    text = spans
    for para in BODY:
        assert para in text
    assert "What the plan means" in text  # a heading inside the article stays
    for chrome in (
        "Home",
        "Share this article",
        "newsletter",
        "Comments",
        "spam.example",
        "Related articles",
        "All rights",
    ):
        assert chrome not in text, chrome
    assert meta.title == "Councils back wider cycle lane network"
    assert meta.author == "Maria Lopez"
    assert meta.date == "2021-03-03"
    reasons = {r.reason for r in removed}
    assert "before the article" in reasons and "after the article" in reasons
    assert all(r.reason for r in removed)


def test_pull_quote_and_repeated_title_removed() -> None:
    page = "\n\n".join(
        [
            "Why remote teams need rituals",
            "Why remote teams need rituals",
            "Teams that meet on a regular schedule report higher trust and fewer missed deadlines than teams that meet only ad hoc, a new survey suggests.",
            "Rituals give distributed teams a shared rhythm",
            "Managers interviewed for the survey said that rituals give distributed teams a shared rhythm, which matters more as time zones multiply.",
            "Several of them added that the rituals need not be long: a ten-minute check-in at the start of the week is often enough to keep everyone aligned.",
        ]
    )
    text, meta, removed = clean_plain(page)
    assert meta.title == "Why remote teams need rituals"
    assert "Why remote teams need rituals" not in text
    assert text.count("rituals give distributed teams a shared rhythm") == 1
    assert any(r.reason.startswith("pull quote") for r in removed)


def test_long_prose_is_not_chrome_by_keyword() -> None:
    para = (
        "The study found that people who sign up for a newsletter from their local library are more likely to attend its events, "
        "and that the effect persists for several years after they first subscribe, which surprised the researchers who ran it."
    )
    page = "\n\n".join([BODY[0], para, BODY[1]])
    text, _, _ = clean_plain(page)
    assert para in text


def test_bullets_stay_a_list() -> None:
    page = "\n\n".join(
        [
            BODY[0],
            "The council recommends:",
            "• Wider lanes on main roads.",
            "• Secure parking at stations.",
            BODY[1],
        ]
    )
    text, _, _ = clean_plain(page)
    assert "• Wider lanes on main roads.\n• Secure parking at stations." in text


def test_byline_and_date_parsing() -> None:
    assert byline_author("By Ernest Hemingway") == "Ernest Hemingway"
    assert byline_author("by Jane Q. Public | Staff Writer") == "Jane Q. Public"
    assert byline_author("by Jane Public | Staff Writer") == "Jane Public"
    assert (
        byline_author("By contrast, the results were weaker than expected in every region we studied.")
        is None
    )
    assert parse_date("Oct 04, 2010") == "2010-10-04"
    assert parse_date("4 October 2010") == "2010-10-04"
    assert parse_date("Published 2019-11-19 08:00") == "2019-11-19"
    assert parse_date("in early 2006") is None


HTML_JSONLD = """<!DOCTYPE html><html lang="en"><head><title>Bridges | Example Daily</title>
<meta property="og:site_name" content="Example Daily">
<link rel="canonical" href="https://daily.example/bridges">
<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":"Old bridges get a second life",
"author":{"@type":"Person","name":"Sam Carter"},"datePublished":"2022-05-17","publisher":{"@type":"Organization","name":"Example Daily"}}</script>
</head><body><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<article><h1>Old bridges get a second life</h1>
<p>Engineers are converting disused railway bridges into walking routes, a trend that has spread to more than forty towns in the past decade.</p>
<h2>Cost</h2><p>Conversions typically cost a fraction of demolition, according to figures published by the national infrastructure agency last spring.</p>
<ul><li>Lower maintenance than roads.</li><li>Popular with local residents.</li></ul>
<p>Local groups often raise part of the money themselves, which gives residents a say in how the finished route is designed and used.</p>
</article><aside><h3>Sign up for our newsletter</h3><p>Get the best stories every morning.</p></aside>
<footer>© 2022 Example Daily. All rights reserved.</footer></body></html>"""

HTML_PLAIN = """<html><head><title>Notes on soil health</title><meta name="author" content="R. Patel"></head><body>
<div class="menu"><a href="/">Home</a><a href="/about">About</a></div>
<div class="post"><h1>Notes on soil health</h1><p class="byline">By Riya Patel, June 2, 2020</p>
<p>Healthy soil holds more water, which matters in dry summers when farms depend on every drop that falls during the spring months.</p>
<p>Cover crops planted after the harvest protect the ground from erosion and feed the organisms that keep the soil structure open.</p>
<p>Farmers who tried the approach reported that yields dipped in the first year but recovered by the third, with lower fertiliser bills.</p>
</div><div class="comments"><h3>3 Comments</h3><p>Nice post! Visit my shop for cheap deals.</p></div></body></html>"""


def test_html_with_json_ld_metadata() -> None:
    text, meta, _ = clean_html(HTML_JSONLD)
    assert meta.title == "Old bridges get a second life"
    assert meta.author == "Sam Carter"
    assert meta.date == "2022-05-17"
    assert meta.publisher == "Example Daily"
    assert meta.url == "https://daily.example/bridges"
    assert "disused railway bridges" in text and "Local groups" in text
    assert "- Lower maintenance than roads.\n- Popular with local residents." in text
    assert "Cost" in text  # headings kept
    assert "newsletter" not in text and "All rights" not in text and "Home" not in text


def test_html_without_json_ld() -> None:
    text, meta, _ = clean_html(HTML_PLAIN)
    assert meta.title == "Notes on soil health"
    assert meta.author and "Patel" in meta.author
    assert "Cover crops" in text and "Farmers who tried" in text
    assert "cheap deals" not in text and "About" not in text


def test_malformed_html_does_not_crash() -> None:
    text, _, _ = clean_html(
        "<html><body><p>Unclosed paragraph with enough words to count as an article body here"
        + "<div>" * 5000
    )
    assert isinstance(text, str)


def test_markdown_keeps_headings_and_lists_drops_nav() -> None:
    md = "\n".join(
        [
            "[Home](/) | [Blog](/blog)",
            "",
            "# Field notes",
            "",
            BODY[0],
            "",
            "## Findings",
            "",
            "- First finding, with **bold** text.",
            "- Second finding.",
            "",
            BODY[1],
        ]
    )
    text, meta, _ = clean_markdown(md)
    assert meta.title == "Field notes"
    assert "Findings" in text
    assert "- First finding, with bold text.\n- Second finding." in text
    assert "[Home]" not in text and "Blog" not in text


def test_short_note_is_kept() -> None:
    text, _, _ = clean_plain("Call the supplier about the March invoice.")
    assert text == "Call the supplier about the March invoice."
    text, _, _ = clean_plain("Ideas\n\n- try the new layout\n- ask Sam\n\nSubscribe to our newsletter")
    assert "try the new layout" in text and "newsletter" not in text


def test_teaser_blocks_and_menu_runs_are_removed() -> None:
    body = (
        "The county council voted on Tuesday to extend the library's opening hours through the winter, "
        "after a petition signed by more than two thousand residents asked for evening access."
    )
    body2 = (
        "Officials said the change would cost less than expected because volunteers had offered to staff "
        "the reading room on weekday evenings, and the budget for heating was already approved."
    )
    page = "\n".join(
        [
            "Local News",
            "Library Hours Extended For The WinterThe county council voted to keep doors open later this season.",
            body,
            "Weather",
            "School Closings",
            "Traffic Maps",
            "Community Calendar",
            body2,
            "Harvest Festival Draws Record Crowds To The ParkThousands of visitors came for the pumpkin contest.",
            "City Budget Talks Stall Over Road Repairs (48)",
            "New Bakery Opens On Main Street (12)",
            "Three Things To Do This Weekend (7)",
        ]
    )
    text, _, removed = clean_plain(page)
    assert body in text and body2 in text
    for chrome in ("School Closings", "Harvest Festival", "(48)", "WinterThe county"):
        assert chrome not in text, chrome
    assert {r.text: r.reason for r in removed}[
        "School Closings"
    ] == "run of short lines (menu, tags or teasers)"
    assert glued_headline("Library Hours Extended For The WinterThe county council voted to keep doors open.")
    assert not glued_headline("The council met in the new McDonald Hall and streamed it on YouTube.")


def test_a_list_after_a_lead_in_is_not_a_menu() -> None:
    page = "\n".join(
        [
            "The committee reviewed the proposals in detail over three long sessions and agreed on a shortlist "
            "that it will present to the full board in the spring, with costs attached to each item:",
            "Longer opening hours",
            "A second reading room",
            "Free evening classes",
            "Each proposal will be costed by the finance office before the board meets, and residents will "
            "have a month to comment on the shortlist before any decision is taken by the council.",
        ]
    )
    text, _, _ = clean_plain(page)
    assert "A second reading room" in text and "Free evening classes" in text


LONG_COMMENTS = [
    "I have lived in this city for thirty years and I have never seen the council move this quickly on anything, "
    "so forgive me if I am a little suspicious about who is really paying for all of these new lanes.",
    "Cycle lanes are great in the summer but nobody is going to ride a bicycle to work in the middle of January "
    "when the roads are covered in ice and the buses are already running late every single morning.",
    "My children cycle to school every day and the new lanes would make their journey much safer, so I am "
    "glad the council finally listened to the parents who have been asking for this for years.",
    "The real problem is that nobody enforces the rules we already have, and drivers park in the existing "
    "lanes every day without a ticket, so painting more of them will not change anything at all.",
]


def test_comment_thread_longer_than_the_article_is_cut() -> None:
    # Comments outweigh the article, so "most of the article came before" cannot find the end;
    # the thread's repeated "name says:" headers and timestamps do.
    thread = []
    for n, comment in enumerate(LONG_COMMENTS * 2):
        thread += [f"reader{n} says:", f"March {n + 3}, 2021 at 9:{10 + n} am", comment]
    page = "\n".join(["Councils back wider cycle lane network", BODY[0], BODY[1], BODY[2], *thread])
    text, _, removed = clean_plain(page)
    assert BODY[0] in text and BODY[2] in text
    assert LONG_COMMENTS[0] not in text and "says:" not in text
    assert {r.text: r.reason for r in removed}[LONG_COMMENTS[1]] == "after the article"


def test_teaser_stream_after_a_more_header_is_cut_but_a_widget_inside_the_article_is_not() -> None:
    teasers = []
    for n, blurb in enumerate(LONG_COMMENTS * 2):
        teasers += [f"Another story headline number {n} for the front page", blurb, f"{n + 2}H ago"]
    widget = [
        "Most read in local news",
        "FLOOD WARNING",
        "River levels rise again",
        "BIG WIN",
        "Team takes cup",
    ]
    widget += ["ROAD WORKS", "Bridge to close for a week"]
    page = "\n".join(
        ["Councils back wider cycle lane network", BODY[0], BODY[1], *widget, BODY[2], BODY[3], *BODY[:2]]
    )
    text, _, _ = clean_plain(page)
    assert BODY[3] in text  # the article resumes after the widget: not its end
    page = "\n".join(["Councils back wider cycle lane network", *BODY, "More News", *teasers])
    text, _, _ = clean_plain(page)
    assert BODY[3] in text
    assert LONG_COMMENTS[0] not in text and "Another story" not in text


def test_a_date_and_time_is_not_a_glued_headline() -> None:
    assert not glued_headline("Posted by Jane Smith on November 19, 2019, 6:21 AM EST")
    assert not glued_headline("November 19, 2019 at 6:34 am")


def test_captions_credits_and_legal_small_print_are_removed() -> None:
    legal = (
        "The information provided on this website is for general guidance, and every product named here "
        "is a registered trademark of its owner; nothing on these pages replaces the advice of a "
        "professional who knows your situation, and no part of it may be copied without permission."
    )
    page = "\n".join(
        [
            "Councils back wider cycle lane network",
            BODY[0],
            BODY[1],
            "A cyclist on the new lane in the city centre. Photograph by Jane Roe",
            "Jane Roe/Getty Images",
            "(Image credit: City Council)",
            "Image copyright Reuters",
            BODY[2],
            "Riders wait at the lights on Tuesday.Credit...John Doe/The Daily",
            BODY[3],
            legal,
        ]
    )
    text, _, removed = clean_plain(page)
    assert all(p in text for p in BODY)
    for chrome in ("Photograph by", "Getty", "Image credit", "Reuters", "Credit...", "trademark"):
        assert chrome not in text, chrome
    reasons = {r.text: r.reason for r in removed}
    assert reasons["Jane Roe/Getty Images"] == "photo caption or credit"
    assert reasons[legal] == "legal notice"
    # An agency's name inside a sentence, and "(AP)" opening a dateline, are article text.
    dateline = "SPRINGFIELD (AP) — " + BODY[0]
    text, _, _ = clean_plain(
        "\n".join([dateline, BODY[1], "Reuters reported the vote first, on Monday.", BODY[2]])
    )
    assert dateline in text and "Reuters reported" in text
    # One legal phrase inside a long paragraph of reporting is the story, not small print.
    story = (
        "The brand name is a registered trademark of the company, which has spent the last ten years in "
        "court trying to stop other firms from using it for their own tissues, and the judge said on Monday "
        "that the long dispute was finally over for everyone involved."
    )
    text, _, _ = clean_plain("\n".join([BODY[0], story, BODY[1]]))
    assert story in text


def test_a_sources_list_and_a_share_bar_end_the_article_but_a_print_button_does_not() -> None:
    sources = [
        "Sources:",
        'Transport department, "Cycling counts 2020," accessed March 1, 2021',
        "Interview with a councillor, Feb. 28, 2021",
    ]
    text, _, removed = clean_plain("\n".join(["Councils back wider cycle lane network", *BODY, *sources]))
    assert BODY[3] in text and "Cycling counts" not in text
    assert {r.text: r.reason for r in removed}["Sources:"] == "sources list"
    share_bar = ["Like this story? Share it with a friend!", "Facebook", "Twitter", "Suka ini:", "Memuat..."]
    form = (
        "Please log in using one of these methods to post your comment, or leave your name and email below."
    )
    text, _, _ = clean_plain("\n".join(["Councils back wider cycle lane network", *BODY, *share_bar, form]))
    assert BODY[3] in text and "Memuat" not in text and form not in text
    recipe = ["Print", "Ingredients", "8 ripe pears, peeled", "1 lemon", "Instructions", BODY[2], BODY[3]]
    text, _, _ = clean_plain("\n".join(["Councils back wider cycle lane network", BODY[0], BODY[1], *recipe]))
    assert BODY[3] in text


def test_bracketed_comment_headers_open_a_comment_stream() -> None:
    thread = ["[ 12 comments ]", "Top Rated Comments", "(View all)"]
    for n, comment in enumerate(LONG_COMMENTS * 2):
        thread += [f"reader{n}", f"2 days ago at 07:{10 + n} am", comment, f"Rating: {30 - n} Votes"]
    page = "\n".join(["Councils back wider cycle lane network", *BODY, *thread])
    text, _, removed = clean_plain(page)
    assert BODY[3] in text and LONG_COMMENTS[0] not in text
    assert {r.text: r.reason for r in removed}["[ 12 comments ]"] == "comments"


def test_a_headline_opening_the_article_is_the_title_not_the_site_name_above_it() -> None:
    page = "\n".join(
        [
            "Example Media, a Regional News company",
            "Home",
            "News",
            "Sport",
            "Councils back wider cycle lane network",
            BODY[0],
            BODY[1],
            BODY[2],
        ]
    )
    text, meta, _ = clean_plain(page)
    assert meta.title == "Councils back wider cycle lane network"
    assert "Councils back" not in text and BODY[0] in text


def test_a_numbered_table_is_the_article_even_beside_a_prose_sidebar() -> None:
    names = "Ana Bo Cai Dee Eli Fay Gus Hal Ida Jo Kit Lea".split()
    rows = [f"{n} {name} Silva {130 - 7 * n} pts" for n, name in enumerate(names, start=1)]
    sidebar = [
        "Click the photo of our columnist to read every column he has written for us about the season so far.",
        "Click the image above to see how the drivers are ranked after this weekend's race at the old circuit.",
    ]
    page = "\n".join(
        ["Home", "News", "Standings", "Championship standings after round 6", *rows, "Tags", *sidebar]
    )
    text, _, _ = clean_plain(page)
    assert all(r in text for r in rows)
    # Numbers that do not count up one by one are not a table.
    text, _, _ = clean_plain("\n".join(["Home", "5 things to know", "12 photos", "3 videos", *sidebar]))
    assert "12 photos" not in text
