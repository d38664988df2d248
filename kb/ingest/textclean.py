"""Clean plain-text scrapes of web pages: keep the article, drop the page chrome.

No library does this for text, so kb classifies blocks (non-empty lines) itself,
in three passes that each leave a reason on what they drop:

1. Each block gets a class from its own shape, as jusText does: `good` (long,
   sentence-like, many stop words), `near` (medium), `short`, or `bad` (matches
   a generic page-chrome pattern: newsletter, share bar, comments, cookies,
   photo credits, legal small print...). Lines that recur in other documents of
   the collection (`boilerplate`: a site's menu, footer, "About us" paragraph)
   are `bad` too, unless the page is a copy of another one.
2. The article is the highest-scoring contiguous run of blocks (good text
   scores its word count, chrome and short fragments cost), cut at the first
   end-of-article marker (a comments header, a newsletter box, "Latest videos",
   a sources list, a share bar) found after most of the article's text, or
   at a section header that opens a stream of items (comments, teasers).
3. Inside the run, bylines, datelines and the title become metadata, repeated
   blocks (a title printed twice, a pull quote repeating a body sentence) are
   dropped, and chrome blocks are dropped.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from kb.records import Metadata, Removed

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "also",
        "may",
        "might",
        "must",
        "shall",
        "whether",
        "though",
        "although",
        "yet",
        "however",
        "since",
        "many",
        "much",
        "even",
    ]
)

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_BULLET = re.compile(r"^\s*(?:[•·▪◦‣●○■□➢►*\-–—]|\d{1,2}[.)])\s+")
_URL = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+")
_HANDLE = re.compile(r"(?<!\w)@\w{2,}")
_CAMEL_JOIN = re.compile(r"[a-z][A-Z][a-z]|[a-z]{2}[A-Z]{2,}")

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\.?"
_DATE_PATTERNS = [
    # Oct 04, 2010 / October 4 2010
    (re.compile(rf"\b({_MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I), ("m", "d", "y")),
    # 4 October 2010
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\s*,?\s+(\d{{4}})\b", re.I), ("d", "m", "y")),
    # 2010-10-04
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), ("y", "m", "d")),
]

# Page chrome, by what it is. Generic phrases only: nothing from one site.
CHROME: list[tuple[str, re.Pattern[str]]] = [
    (
        "newsletter or sign-up",
        re.compile(
            r"\bnewsletters?\b|\bsign(?:ing)?[ -]?up\b|\bsubscri(?:be|ption)s?\b|\bemail address\b"
            r"|\bprivacy policy\b|\bmembership is free\b|\bterms of (?:use|service)\b|\bunsubscribe\b",
            re.I,
        ),
    ),
    (
        "comments",
        re.compile(
            r"^(?:show|view|hide|load|read|see)?\s*(?:all\s+)?(?:\d+\s+)?comments?\b|\bleave a (?:comment|reply)\b"
            r"|\bin the comments\b|\bpost a comment\b|\badd a comment\b|\bcomments? (?:are )?closed\b"
            r"|^\d+\s+(?:comments?|replies)$|^reply$|^\S+(?:\s\S+){0,3}\s(?:says|said|wrote|writes|commented):$"
            r"|^\d+\s+(?:responses?|comments?|replies|thoughts)\s+(?:to|on)\b|\bfeed for comments\b"
            r"|^(?:[\w'’]+\s+){0,2}comments?$",  # "Top Rated Comments", "Reader comments"
            re.I,
        ),
    ),
    (
        "share or follow links",
        re.compile(
            r"^(?:share|tweet|email|print|save|facebook|twitter|linkedin|pinterest|whatsapp|reddit)"
            r"(?:\s+(?:this|on|via)\b.*)?$|\bshare (?:this|on)\b|\bfollow (?:us|\w+(?:\s\w+)?) on\b"
            r"|\bjoin (?:us|the [^.]{0,40}(?:group|community)) on\b|\bfollow (?:him|her|them|me)\b"
            r"|^click to (?:share|email|print|tweet)\b|\(opens in (?:a )?new window\)"
            r"|\bshare (?:it|this(?: \w+)?) with (?:a |your )?friends?\b|\bsharing is caring\b",
            re.I,
        ),
    ),
    (
        "related or more links",
        re.compile(
            r"^(?:related(?: articles| stories| posts| content| coverage)?|read more|read next|more from\b.*"
            r"|more about\b.*|more (?:videos|stories|articles|news)|latest (?:videos|news|stories|articles)"
            r"|you (?:may|might) also (?:like|enjoy)|recommended(?: for you)?|popular|trending|most (?:read|popular|viewed)"
            r"|blog posts|further reading|see also|also read|top stories|editors?['’]?s? picks?|next up(?: (?:in|on|from) [^.!?]*)?$)\b"
            r"|^(?-i:More(?:\s+[A-Z][\w'’&.-]*){1,3})$",  # "More Washington Examiner": the site's own teasers
            re.I,
        ),
    ),
    ("sources list", re.compile(r"^(?:sources?|references|bibliography|footnotes|works cited)\s*:?$", re.I)),
    (
        "cookie notice",
        re.compile(r"\bcookies?\b.*\b(?:use|accept|consent|policy|settings)\b|\baccept all\b", re.I),
    ),
    (
        "error or form message",
        re.compile(r"^error\b|\bplease (?:check|enter|try again)\b|\brequired field", re.I),
    ),
    (
        "log-in links",
        re.compile(r"^(?:sign in|log ?in|log out|register|my account|create (?:an )?account)\b", re.I),
    ),
    ("advertisement", re.compile(r"^(?:advertisement|sponsored(?: content)?|ad|promoted)$", re.I)),
    ("copyright", re.compile(r"©|\(c\)\s*\d{4}|\ball rights reserved\b|^copyright\b", re.I)),
    (
        "contact prompt",
        re.compile(r"\bgot (?:a|an) (?:\w+ )?tip\b|\bcontact us\b|\bskip to (?:main )?content\b", re.I),
    ),
]

# Blocks after which the rest of a page is chrome (comments, newsletter, teasers).
END_MARKERS = {"newsletter or sign-up", "comments", "related or more links", "sources list"}
GENERIC_LABELS = re.compile(
    r"^(?:highlights|key takeaways|summary|in brief|menu|home|search|navigation|contents|table of contents|"
    r"advertisement|loading\W*|close|top|back to top|print|share)$",
    re.I,
)


@dataclass(slots=True)
class Block:
    start: int
    end: int
    text: str
    words: int
    stop_ratio: float
    cls: str = ""
    reason: str | None = None
    keep: bool = False


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def _block(text: str, start: int, end: int) -> Block:
    words = _WORD.findall(text)
    stops = sum(1 for w in words if w.lower() in STOP_WORDS)
    count = len(words)
    cjk = len(_CJK.findall(text))
    if cjk > len(text) // 3:
        count = max(count, cjk // 2)  # scripts without spaces: about two characters a word
    return Block(start, end, text, count, stops / len(words) if words else 0.0)


def split_blocks(text: str) -> list[Block]:
    """Every non-empty line is a block, with its offsets in `text` (leading/trailing space excluded)."""
    blocks = []
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            blocks.append(_block(stripped, pos + lead, pos + lead + len(stripped)))
        pos += len(line) + 1
    return blocks


# A teaser copied from a page: a Title Case headline run straight into its blurb, no space
# between ("...Student-AthleteA 24-year-old woman...", "...On The Rise?Violence is part...").
_GLUED = re.compile(
    r"^(?P<head>(?:\S+\s+){3,14}?\S*?(?:[a-z0-9?!.’'”)](?=[A-Z][a-z]|[A-Z]\s)|[a-z?!.’'”)](?=\d)))"
)
_NAME_PREFIX = re.compile(r"(?:^|\s)(?:Mc|Mac|O[’']|D[’']|De|Di|Da|La|Le|Du|Van|Von)$")
_SMALL = frozenset("a an and as at by for from in of on or the to vs with".split())


def glued_headline(text: str) -> bool:
    """Whether a block starts with a Title Case headline glued to the text after it."""
    m = _GLUED.match(text[:160])
    if not m or _NAME_PREFIX.search(m.group("head")):
        return False  # "McAleenan", "MacArthur", "O’Rourke": a name, not a glued headline
    words = [w for w in m.group("head").split() if w.lower() not in _SMALL]
    capital = sum(1 for w in words if w[:1].isupper() or w[:1].isdigit())
    return len(words) >= 3 and capital >= 0.8 * len(words)


_WRAPPERS = "[](){}<>|•·»«›‹ "
_AGENCY = r"(?-i:Getty(?: Images)?|GETTY IMAGES|Reuters|REUTERS|AFP|AP Photo|Shutterstock|iStock(?:photo)?|Alamy|EPA)"
# Photo captions and credits: "Image copyright Reuters", "(Image credit: NASA)", "…/Getty Images",
# "…last week.Credit...Jane Doe/The Times" (a credit glued to its caption by the scrape).
_CAPTION = re.compile(
    r"^image (?:\d+ of \d+|copyright|caption|credits?)\b"
    r"|(?:^|\()(?:image|photo|picture|video)s?\s*(?:credit|source|courtesy)s?\s*:"
    r"|(?:^|[a-z.!?)]|\()(?:credit|photo|image)s?(?:\.{3}|:)\s*\S"
    r"|\bphoto(?:graph)?s?(?: illustration)? (?:by|courtesy of)\s+[A-Z][^.]{0,60}\.?$"
    rf"|(?:^|[/|(]\s*){_AGENCY}\)?\.?$|\((?-i:AP)\)$",
    re.I,
)


# Site-wide legal small print, at any length: trademark notices and disclaimers.
_LEGAL = re.compile(
    r"\b(?:is|are) (?:a |the )?(?:registered )?trademarks? of\b"
    r"|\bfor (?:general )?informational (?:and educational )?purposes only\b"
    r"|\bnot (?:been )?evaluated by the food and drug administration\b|\bnot intended to diagnose\b"
    r"|\binformation (?:provided|contained) (?:on|in) this (?:web ?)?site\b",
    re.I,
)


def chrome_reason(block: Block) -> str | None:
    """Why a block is page chrome, or None. Long prose is never chrome by keyword alone,
    except for legal small print (two of its phrases)."""
    text = block.text
    if glued_headline(text):
        return "teaser (headline run into its blurb)"
    legal = len(_LEGAL.findall(text))
    if legal >= (2 if block.words > 40 else 1):  # in a long paragraph, one phrase may be reporting
        return "legal notice"
    if block.words > 40:
        return None
    if _CAPTION.search(text):
        return "photo caption or credit"
    text = text.strip(_WRAPPERS) or text  # "[ 167 comments ]", "(View all)"
    for reason, pattern in CHROME:
        if pattern.search(text):
            # In a sentence-like block of some length, only patterns anchored at its start count.
            if block.words > 25 and not pattern.match(text):
                continue
            return reason
    links = len(_URL.findall(text)) + len(_HANDLE.findall(text))
    if links and (links * 8 >= block.words or block.words < 12):
        return "links"
    if len(_CAMEL_JOIN.findall(text)) >= 1 and block.stop_ratio < 0.1 and not text.endswith((".", "?", "!")):
        return "tag or navigation list"
    return None


def parse_date(text: str) -> str | None:
    """The first date in the text as YYYY-MM-DD, for month-name and ISO forms."""
    for pattern, order in _DATE_PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        parts = dict(zip(order, m.groups()))
        month = parts["m"]
        month_num = MONTHS.get(month.lower().rstrip(".")[:3]) if not month.isdigit() else int(month)
        if month.lower().rstrip(".") not in MONTHS and not month.isdigit():
            month_num = MONTHS.get(month.lower().rstrip(".")[:3])
        try:
            day, year = int(parts["d"]), int(parts["y"])
        except ValueError:
            continue
        if month_num and 1 <= day <= 31 and 1900 <= year <= 2100:
            return f"{year:04d}-{month_num:02d}-{day:02d}"
    return None


_BYLINE = re.compile(
    r"^(?:written\s+|posted\s+|story\s+)?by[:\s]+((?:[A-Z][\w.'’-]*\s+){0,3}[A-Z][\w'’-]+)(?:\s*(?:,|\||-|–|—|\band\b|\bon\b).*)?$",
    re.I,
)
_NAME = re.compile(r"^(?:[A-Z][a-z'’-]+|[A-Z]\.)(?:\s+(?:[A-Z][a-z'’-]+|[A-Z]\.|de|van|von|da|del|le)){1,3}$")


def byline_author(text: str) -> str | None:
    """The author named by a byline such as 'By Jane Doe' or 'by John Q. Public | Oct 4'."""
    if len(text) > 80:
        return None
    m = _BYLINE.match(text.strip())
    if not m:
        return None
    name = m.group(1).strip()
    return name if _NAME.match(name) else None


_SENTENCE_BREAK = re.compile(
    r"[a-z]{2}\.\s+[A-Z]"
)  # two sentences: a paragraph, not a headline ("Why? Because" can be)


def is_dateline(block: Block) -> bool:
    return block.words <= 8 and parse_date(block.text) is not None


def _normal(text: str) -> str:
    return " ".join(_WORD.findall(text)).lower()


LONG_LINE_WORDS = 15  # a line this long is prose: an article's paragraph, not a menu item or a headline


def normal_key(normal: str) -> int:
    """A signed 64-bit key (it fits an SQLite INTEGER) for a line's normalised words; its lowest
    bit says whether the line is long (prose), which tells copies of an article from site chrome."""
    digest = hashlib.blake2b(normal.encode("utf-8"), digest_size=8).digest()
    key = int.from_bytes(digest, "big", signed=True) & ~1
    return key | (normal.count(" ") + 1 >= LONG_LINE_WORDS)


def is_long(key: int) -> bool:
    """Whether a line key is that of a long line (see `normal_key`)."""
    return bool(key & 1)


def line_key(text: str) -> int:
    """The key of a line: case, punctuation and spacing ignored."""
    return normal_key(_normal(text))


def mark_shared(blocks: list[Block], shared: frozenset[int]) -> None:
    """Mark blocks whose line recurs in other documents of the collection as site chrome.

    If that would leave too little good text for an article, the page is a copy of another
    one (the same story saved twice, a syndicated article) and nothing is marked: two
    copies must not erase each other's article."""
    if not shared:
        return
    hits = [
        b for b in blocks if b.cls != "bad" and b.words >= SHARED_MIN_WORDS and line_key(b.text) in shared
    ]
    good = sum(b.words for b in blocks if b.cls == "good")
    left = good - sum(b.words for b in hits if b.cls == "good")
    if left < max(MIN_ARTICLE_WORDS, COPY_SHARE * good):
        return
    for b in hits:
        b.cls, b.reason = "bad", "repeated across documents (site chrome)"


def classify(blocks: list[Block]) -> None:
    """Pass 1: a class for each block from its own shape.

    The stop-word signal is English; on a page with almost no English stop words
    (another language) blocks are judged by length and punctuation alone.
    """
    total = sum(b.words for b in blocks) or 1
    english = sum(b.stop_ratio * b.words for b in blocks) / total >= 0.08
    for b in blocks:
        reason = chrome_reason(b)
        if not english and not reason:
            sentence_like = b.text.rstrip()[-1:] in '.?!。！？:"”»)'
            if b.words >= 25 or (b.words >= 10 and sentence_like):
                b.cls = "good"
            elif b.words >= 6 and sentence_like:
                b.cls = "near"
            else:
                b.cls = "short"
            continue
        if reason:
            b.cls, b.reason = "bad", reason
        elif b.words >= 12 and b.stop_ratio >= 0.2:
            b.cls = "good"
        elif (b.words >= 6 and b.stop_ratio >= 0.15 and b.text.rstrip()[-1:] in ".?!:\"”'’)") or (
            b.words >= 9 and b.stop_ratio >= 0.2
        ):
            b.cls = "near"
        else:
            b.cls = "short"


ROW = "numbered row"
ROW_RUN = 5  # consecutive numbered lines (1, 2, 3 ...) that make a table or ranked list
_ROW_NUMBER = re.compile(r"^(\d{1,3})(?:[.)ºª°]|[a-z]{1,2}\b|\s)")


def mark_numbered_rows(blocks: list[Block]) -> None:
    """Promote runs of lines numbered 1, 2, 3 ... (a results table, a ranked list, a
    calendar) to good text: they are content, however short each line is."""
    i = 0
    while i < len(blocks):
        m = _ROW_NUMBER.match(blocks[i].text)
        j = i
        if m:
            n = int(m.group(1))
            j = i + 1
            while j < len(blocks) and (mj := _ROW_NUMBER.match(blocks[j].text)) and int(mj.group(1)) == n + 1:
                n += 1
                j += 1
            if j - i >= ROW_RUN:
                for b in blocks[i:j]:
                    if b.cls != "bad":
                        b.cls, b.reason = "good", ROW
        i = max(j, i + 1)


def _sentence_end(text: str) -> bool:
    return text.rstrip()[-1:] in ".?!:\"”'’)…"


def _score(b: Block) -> float:
    if b.cls == "good":
        return float(b.words)
    if b.cls == "near":
        return b.words * 0.5
    if b.cls == "bad" and b.reason == "photo caption or credit":
        return -(b.words * 0.75 + 2)  # captions sit inside articles: a photo must not split one
    if b.cls == "bad":
        return -float(b.words + 3)
    return -1.5


def article_run(blocks: list[Block]) -> tuple[int, int]:
    """Pass 2: the highest-scoring contiguous run of blocks [lo, hi), cut at an end marker."""
    best, best_lo, best_hi = 0.0, 0, 0
    run, lo = 0.0, 0
    for i, b in enumerate(blocks):
        if run <= 0:
            run, lo = 0.0, i
        run += _score(b)
        if run > best:
            best, best_lo, best_hi = run, lo, i + 1
    if best_hi == 0:
        # Nothing reads as an article (a short note, a list): keep it all; chrome is still dropped.
        return 0, len(blocks)
    # Cut at the first end-of-article marker that follows most of the article's text, or that
    # opens a stream of listed items (comments, teasers), whatever the length of that stream.
    total = sum(b.words for b in blocks[best_lo:best_hi] if b.cls == "good")
    seen = good = 0
    for i in range(best_lo, best_hi):
        b = blocks[i]
        if _share_bar(blocks, i) and i > best_lo and seen >= SHARE_BAR_END * total:
            return best_lo, i
        if b.cls == "bad" and b.reason in END_MARKERS and i > best_lo:
            most_read = seen >= 0.5 * total
            if most_read or (seen >= MIN_ARTICLE_WORDS and good >= 2 and _opens_item_stream(blocks, i)):
                return best_lo, i
        if b.cls == "good":
            seen += b.words
            good += 1
    return best_lo, best_hi


MIN_ARTICLE_WORDS = 50
SHARED_MIN_WORDS = 4  # shorter shared lines are left alone: a notes template's "Key findings" heading
COPY_SHARE = 0.2  # good text a page keeps once shared lines go; less, and it is a copy of another page
SHARE_BAR_END = 0.5  # a share bar after this share of the article's text closes it
HEADER_WORDS = 5  # "More World", "Most read in world news"; longer is an inline link to one story
PROSE_RUN = 4  # consecutive good blocks: the article resuming after a widget
PROSE_HORIZON = 30
STREAM_WINDOW = 15  # blocks looked at after an end marker
STREAM_REPEATS = 3  # short lines of one shape that make a stream of items
ITEM_LINE_WORDS = 8  # "2 days ago at 07:52 am", "Rating: 36 Votes", an author's name
_SHAPE = re.compile(r"\d+|[^\W\d_]+")


def _token_shape(m: re.Match[str]) -> str:
    w = m.group(0)
    if w[0].isdigit():
        return "0"
    if w.isupper():
        return "A"
    return "Aa" if w[0].isupper() else "a"


def _shape(text: str) -> str:
    """A line's shape: digit runs become 0, words Aa/a/A by case ("32M ago" -> "0A a")."""
    return _SHAPE.sub(_token_shape, text)


def _share_bar(blocks: list[Block], i: int) -> bool:
    """Whether block i opens a share bar: two or more share/follow links close together
    ("Share this:", "Facebook", "Twitter"), not a lone "Print" button."""
    if blocks[i].reason != "share or follow links":
        return False
    return any(b.reason == "share or follow links" for b in blocks[i + 1 : i + 3])


def _opens_item_stream(blocks: list[Block], i: int) -> bool:
    """Whether marker block i is a section header ("More News") followed by a stream of items
    and no return of the article's prose."""
    return blocks[i].words <= HEADER_WORDS and item_stream(blocks, i + 1) and not prose_follows(blocks, i + 1)


def prose_follows(blocks: list[Block], start: int) -> bool:
    """Whether running prose (PROSE_RUN good blocks in a row) comes back soon after `start`:
    then what precedes it is a widget inside the article, not the article's end."""
    run = 0
    for b in blocks[start : start + PROSE_HORIZON]:
        run = run + 1 if b.cls == "good" else 0
        if run >= PROSE_RUN:
            return True
    return False


def item_stream(blocks: list[Block], start: int) -> bool:
    """Whether the blocks from `start` read as a list of items, each with its own metadata line
    (a timestamp, an author's name, "X says:"), as comment threads and teaser lists do: several
    short lines of the same shape, or several comment headers, close together."""
    window = blocks[start : start + STREAM_WINDOW]
    if sum(1 for b in window if b.reason == "comments") >= 2:
        return True
    counts: dict[str, int] = {}
    for b in window:
        if b.words <= ITEM_LINE_WORDS:
            key = _shape(b.text)
            counts[key] = counts.get(key, 0) + 1
    return max(counts.values(), default=0) >= STREAM_REPEATS


MENU_RUN = 3  # consecutive short lines that read as a menu, a tag list or teaser headlines


_COUNT_SUFFIX = re.compile(
    r"\(\d[\d,]*\)$"
)  # "Week 12 power rankings (133)": a teaser with its comment count


def _headline_like(b: Block) -> bool:
    """A line that reads as a link label or a headline: short, no sentence punctuation, not a list item."""
    if is_bullet(b.text) or b.words > 15 or b.cls == "good":
        return False
    return b.cls == "bad" or not _sentence_end(b.text) or bool(_COUNT_SUFFIX.search(b.text))


def _menu_runs(blocks: list[Block], lo: int, hi: int) -> set[int]:
    """Indexes of blocks in [lo, hi) that belong to runs of MENU_RUN or more short, unpunctuated
    lines: navigation, tag clouds and lists of teaser headlines, as jusText treats short blocks
    that good text does not surround. A list introduced by a lead-in (":") or marked as one stays."""
    out: set[int] = set()
    i = lo
    while i < hi:
        j = i
        while j < hi and _headline_like(blocks[j]):
            j += 1
        if j - i >= MENU_RUN and not (i > 0 and blocks[i - 1].text.rstrip().endswith(":")):
            out.update(k for k in range(i, j) if blocks[k].cls != "bad")
        i = max(j, i + 1)
    return out


TITLE_LOOKBACK = 6  # lines above the article searched for its headline
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\s*(?:[ap]\.?m\b|\w{2,4}\b)?", re.I)  # "7:45 am PST": a dateline


def _title_like(b: Block, words: int = 3) -> bool:
    """A line that can be a headline: a few words, no closing period, not chrome or metadata."""
    return (
        b.cls != "bad"
        and b.reason != ROW
        and words <= b.words <= 25
        and not b.text.endswith((".", ":", ";", ","))
        and not _SENTENCE_BREAK.search(b.text)
        and not byline_author(b.text)
        and not is_dateline(b)
        and parse_date(b.text) is None
        and not _CLOCK.search(b.text)
        and not GENERIC_LABELS.match(b.text)
    )


def clean_text_scrape(
    text: str, shared: frozenset[int] = frozenset()
) -> tuple[list[tuple[int, int]], Metadata, list[Removed]]:
    """Clean a plain-text scrape: the spans of `text` to keep, the metadata found, what was removed.

    `shared` holds the keys (`line_key`) of lines that recur across the collection: site chrome."""
    blocks = split_blocks(text)
    classify(blocks)
    mark_numbered_rows(blocks)
    mark_shared(blocks, shared)
    lo, hi = article_run(blocks)

    title = author = date = None
    # Metadata from the page head (before the article) and bylines anywhere.
    for i, b in enumerate(blocks):
        name = byline_author(b.text)
        if name and author is None:
            author = name
        if date is None and i < max(lo, 1) + 3 and is_dateline(b):
            date = parse_date(b.text)
    # The title is the headline-like line nearest the article: the run's first line, else the
    # closest one above it (menus and the site's name come first on a page), else the first.
    head = blocks[:lo] if lo > 0 else blocks[:1] if hi - lo > 1 else []
    near = head[::-1][:TITLE_LOOKBACK]
    if lo < hi and hi - lo > 1 and _title_like(blocks[lo]):
        title = blocks[lo].text
    else:
        title = next((b.text for b in near if _title_like(b, words=4)), None)
        title = title or next((b.text for b in head if _title_like(b)), None)

    menus = _menu_runs(blocks, lo, hi)
    removed: list[Removed] = []
    keep: list[Block] = []
    seen_text: list[str] = []
    body_norms = [_normal(b.text) for b in blocks[lo:hi] if b.words >= 8]
    for i, b in enumerate(blocks):
        norm = _normal(b.text)
        reason: str | None = None
        if b.cls == "bad":
            reason = b.reason  # what the block is says more than where it is
        elif i < lo:
            reason = "before the article"
        elif i >= hi:
            reason = "after the article"
        elif i in menus:
            reason = "run of short lines (menu, tags or teasers)"
        elif byline_author(b.text):
            reason = "byline (author metadata)"
        elif author and norm == _normal(author):
            reason = "author name"
        elif author and norm.startswith(_normal(author)) and b.words < 60 and i > lo:
            reason = "author bio"
        elif is_dateline(b):
            reason = "dateline (date metadata)"
        elif title and norm == _normal(title):
            reason = "title (metadata)"
        elif norm in seen_text:
            reason = "repeated block"
        elif (
            b.words >= 6
            and not b.text.rstrip().endswith((".", "!", "?", "”", '"'))
            and any(norm != other and norm in other for other in body_norms)
        ):
            reason = "pull quote repeating body text"
        elif GENERIC_LABELS.match(b.text) and (i == lo or blocks[i - 1].cls == "bad"):
            reason = "section label"
        if reason:
            removed.append(Removed(b.text, reason))
        else:
            keep.append(b)
            seen_text.append(norm)
    # A title line found outside the run is already removed; title metadata stays.
    spans = [(b.start, b.end) for b in keep]
    return spans, Metadata(title=title, author=author, date=date), removed


def is_bullet(line: str) -> bool:
    """A list item line ('• Item', '- item', '1. item')."""
    return bool(_BULLET.match(line))
