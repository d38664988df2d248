"""Claims: attributed quotes, study findings and recommendations, verbatim with offsets.

Rule-based and generic:
- quote: quoted speech with a speaking verb; the speaker is a named person
  ("says Ana Ruiz, senior economist at the Central Bank"), a surname or pronoun
  resolved to the last person the document named, and a quote that runs over
  several paragraphs (opening marks on each, closing mark on the last) is one claim;
- finding: a sentence reporting what a study, survey or report found or states;
- recommendation: each item of a list introduced by "X recommends:" (or
  "should"), attributed to X.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.ingest.segment import blocks, sentence_spans
from kb.records import Claim, CleanDoc

_SAY = (
    r"(?:says|said|notes|noted|adds|added|explains|explained|argues|argued|writes|wrote|states|stated|told|"
    r"tells|warns|warned|believes|continues|continued|observes|observed|points out|pointed out|tweeted|"
    r"asked|asks|replied|replies|testified|recalled|insisted|insists|admitted|acknowledged|announced|"
    r"declared|emailed|according to)"
)
_NAME = (
    r"[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:[-\s](?:[A-Z][a-z'’]+(?:[A-Z][a-z]+)?(?:-[A-Z][a-z'’]+)?|[A-Z]\.)){1,2}"
)
_ROLE = r"(?:,\s(?P<role>[^,.“”\"]{3,90}?))?(?=[,.;:]|\s(?:in|on)\s(?:the|his|her|a)\b|$)"
# “...,” says Ana Ruiz, senior economist ... / “...,” Ruiz notes / “...,” he said
_AFTER = re.compile(
    rf"[”\"]\s*,?\s*(?:(?P<verb1>{_SAY})\s+(?P<name1>{_NAME}|[A-Z][a-z]+){_ROLE}|(?P<name2>{_NAME}|[A-Z][a-z]+|he|she|they)\s+(?P<verb2>{_SAY}))"
)
# Noted Paul Weiss, director of the Energy Institute, in the report: “...”
# Ruiz notes that ... “...”
_BEFORE = re.compile(
    rf"(?:^|\.\s)(?:(?P<verb>{_SAY})\s+)?(?P<name>{_NAME}){_ROLE}[^“\"]{{0,60}}?(?:{_SAY})?[^“\"]{{0,40}}[:,]?\s*[“\"]"
)
_PERSON_INTRO = re.compile(
    rf"(?P<name>{_NAME}),\s(?!who|which|said|says)(?P<role>[^,.“”\"]{{3,160}}?)(?=[,.;]|\swho\b)"
)
# "Head of research at the Institute, John Doe, said ..."
_ROLE_FIRST = re.compile(rf"(?P<role>[A-Z][^,.“”\"]{{3,120}}),\s(?P<name>{_NAME}),\s(?:{_SAY})")
_SAY_WORDS = re.compile(rf"^(?:{_SAY})\s+", re.I)
_FINDING = re.compile(
    r"\b(?:study|survey|report|research|poll|analysis|white paper|data)\b[^.]{0,80}?\b(?:found|finds|shows?|showed|reveals?|revealed|"
    r"confirms?|suggests?|indicates?|states|says|notes)\b|\baccording to (?:the |a |an |our )?(?:new |recent )?"
    r"(?:study|survey|report|research|poll|findings|results)\b",
    re.I,
)
_RECOMMENDS = re.compile(
    r"(?P<who>[A-Z][\w&.’'-]*(?:\s[A-Z][\w&.’'-]*){0,4})\s+(?:recommends|suggests|advises|proposes)\s*:\s*$"
)
# "Gartner says budgets will shrink" / "..., the ministry says."
_ASSERTS = re.compile(
    r"^(?P<who>[A-Z][\w&.’'-]*(?:\s[A-Z][\w&.’'-]*){0,3})\s(?:says|said|argues|argued|claims|claimed|warns|warned|"
    r"insists|maintains|contends)\b(?:\s+that)?\s+[a-zA-Z]"
    r"|,\s(?P<who2>[A-Z][\w&.’'-]*(?:\s[A-Z][\w&.’'-]*){0,3})\s(?:says|said|argues|claims|warns)\.?$"
)
_BULLET = re.compile(r"^\s*(?:[•·▪◦‣●○■□➢►*\-–—]|\d{1,2}[.)])\s+")
_ORG_IN_ROLE = re.compile(
    r"\b(?:at|of|for|with|from)\s+(?:the\s)?(?P<org>[A-Z][\w&.’'-]*(?:\s[A-Z][\w&.’'-]*){0,4})"
)
_PRONOUNS = {"he", "she", "they"}


@dataclass(slots=True)
class _Person:
    name: str
    role: str | None
    organization: str | None


def _org(role: str | None) -> str | None:
    if not role:
        return None
    m = _ORG_IN_ROLE.search(role)
    if not m:
        return None
    return re.split(r"’s\b|'s\b", m["org"])[0].strip()


def _quote_spans(text: str) -> list[tuple[int, int]]:
    """Paragraph ranges holding quotations; a quote left open continues through the
    following paragraphs that open with a quotation mark, up to the one that closes it."""
    spans: list[tuple[int, int]] = []
    open_start: int | None = None
    prev_end = 0
    for start, end in blocks(text):
        para = text[start:end]
        opens, closes = para.count("“"), para.count("”")
        if open_start is not None:
            if para.lstrip().startswith("“"):
                if closes >= opens:
                    spans.append((open_start, end))
                    open_start = None
                prev_end = end
                continue
            spans.append((open_start, prev_end))
            open_start = None
        if opens > closes:
            open_start = start
        elif opens or para.count('"') >= 2:
            spans.append((start, end))
        prev_end = end
    if open_start is not None:
        spans.append((open_start, prev_end))
    return spans


class _People:
    """The people a document has named so far, for resolving surnames and pronouns."""

    def __init__(self) -> None:
        self.people: list[_Person] = []

    def add(self, name: str, role: str | None) -> _Person:
        name = _TITLE_WORD.sub("", name)
        for p in self.people:
            if p.name == name:
                if role and not p.role:
                    p.role, p.organization = role, _org(role)
                self.people.remove(p)
                self.people.append(p)
                return p
        person = _Person(name, role, _org(role))
        self.people.append(person)
        return person

    def resolve(self, mention: str) -> _Person | None:
        if mention.lower() in _PRONOUNS:
            return self.people[-1] if self.people else None
        if " " in mention:
            return None
        for p in reversed(self.people):
            if p.name.split()[-1] == mention or p.name.split()[0] == mention:
                self.people.remove(p)
                self.people.append(p)
                return p
        return None

    def scan(self, text: str) -> None:
        """Remember the people `text` names: 'Ana Ruiz, an economist', 'Ruiz said', 'Mr. Trump'."""
        found = [
            (m.start(), m["name"], m["role"])
            for m in _PERSON_INTRO.finditer(text)
            if _person_name(m["name"]) and _ROLE_OK.match(m["role"])
        ]
        found += [(m.start("name"), m["name"], m["role"]) for m in _ROLE_FIRST.finditer(text)]
        found += [(m.start(), m["name"] or m["name2"], None) for m in _TITLED.finditer(text)]
        found += [
            (m.start("name"), m["name"], None)
            for m in (*_SUBJECT_SAYS.finditer(text), *_SUBJECT_ACTS.finditer(text))
            if _person_name(m["name"])
        ]
        for _, name, role in sorted(found, key=lambda t: t[0]):
            name = _SAY_WORDS.sub("", name)
            if " " in name or not self.resolve_name(name):
                self.add(name, role)
            else:
                self.resolve(name)

    def resolve_name(self, mention: str) -> _Person | None:
        for p in reversed(self.people):
            if mention in (p.name, p.name.split()[-1], p.name.split()[0]):
                return p
        return None


_NOT_NAME = frozenset(
    (
        "despite but and the in on at for with after before when while if as although since during "
        "however meanwhile still yet so then now today yesterday this that these those there here it "
        "he she they we i you his her their our my its a an one some many most all each every no not "
        "according asked told"
    ).split()
)
_PLACE_WORDS = frozenset(
    (
        "states kingdom america africa europe asia union nations street avenue road university college "
        "school department ministry court house senate congress committee council association company "
        "corporation corp inc ltd group bank agency institute center centre foundation party county city "
        "river valley island islands york virginia carolina dakota jersey mexico hampshire zealand "
        "service services news times post journal magazine network"
    ).split()
)
_ROLE_OK = re.compile(
    r"^(?!(?:and|or|but|who|which|where|when|while|as|to|in|on|at|with|for|from|has|have|had|is|was|said)\b)"
    r"(?:a|an|the|[a-z]\w*|[A-Z]{2,}\b|(?:Chief|Senior|Former|Executive|Vice|Co-|President|Director|Professor)\w*)"
)
_TITLE_WORD = re.compile(
    r"^(?:(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Sgt|Lt|Col|Capt)\.?|President|Senator|Governor|Mayor|Minister|"
    r"Chancellor|Judge|Justice|Secretary|Professor|Chairman|Chairwoman|Commissioner|Director|Representative)\s+"
)
_TITLED = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Sgt|Lt|Col|Capt)\.?\s(?P<name>[A-Z][a-z’'-]+(?:\s[A-Z][a-z’'-]+)?)"
    r"|\b(?:President|Senator|Governor|Mayor|Minister|Chancellor|Judge|Justice|Secretary|Professor|Chairman|"
    r"Chairwoman|Commissioner|Director|Representative)\s(?P<name2>[A-Z][a-z’'-]+(?:\s[A-Z][a-z’'-]+)?)"
)
_SUBJECT_SAYS = re.compile(
    rf"(?:^|[.!?”\"]\s+|,\s|\bthat\s)(?P<name>{_NAME}|[A-Z][a-zA-Z’'-]{{2,}})(?:,\s(?:who|a|an|the)\b[^“”\"]{{0,120}}?,)?\s{_SAY}\b"
)


# "Trump praised the deal.": a named subject doing something, for resolving a later "he"/"she"
_SUBJECT_ACTS = re.compile(
    rf"(?:^|[.!?”\"]\s+)(?P<name>{_NAME}|[A-Z][a-zA-Z’'-]{{2,}})\s(?:[a-z]+ed|met|ran|won|lost|spoke|wrote|took|"
    rf"gave|sent|told|made|said|went)\b"
)


def _person_name(name: str | None) -> bool:
    """A plausible person's name: not a sentence opener, a place or an organisation."""
    if not name:
        return False
    words = name.replace(".", " ").split()
    if not words or words[0].lower() in _NOT_NAME or words[-1].lower() in _PLACE_WORDS:
        return False
    return not any(w.lower() in _PLACE_WORDS for w in words)


def _speaker(para: str, people: _People) -> _Person | None:
    """Who the paragraph's quote is attributed to, by the attribution in this paragraph only:
    '” says Ana Ruiz', '” Ruiz said', 'Ruiz said ... “', 'said Ruiz ... “', then '” he said'
    (a pronoun resolved to the nearest person named before it)."""
    m = _AFTER.search(para)
    pronoun = None
    if m:
        name = m["name1"] or m["name2"]
        if name and name.lower() in _PRONOUNS:
            pronoun = (m.start(), name)
        else:
            person = _named(people, name, m["role"] if m["name1"] else None)
            if person:
                return person
    m = _BEFORE.search(para)
    if m and _person_name(_SAY_WORDS.sub("", m["name"])):
        person = _named(people, _SAY_WORDS.sub("", m["name"]), m["role"])
        if person:
            return person
    for pattern in (_SAYS_NAME, _SUBJECT_SAYS):
        for m in pattern.finditer(para):
            if _person_name(m["name"]):
                person = _named(people, m["name"], m.groupdict().get("role"))
                if person:
                    return person
    if pronoun is None:
        m = _PRONOUN_SAYS.search(para)
        pronoun = (m.start(), m["pron"]) if m else None
    if pronoun:
        people.scan(para[: pronoun[0]])  # "said Mary Lovely, an economist. “…,” she said"
        return people.resolve(pronoun[1])
    return None


_SAYS_NAME = re.compile(rf"\b(?:said|says|according to|told|wrote|added|noted)\s(?P<name>{_NAME}){_ROLE}")
_PRONOUN_SAYS = re.compile(rf"\b(?P<pron>he|she)\s{_SAY}\b")


def _named(people: _People, name: str | None, role: str | None) -> _Person | None:
    """The person a mention names: a full name is added, a surname or pronoun resolved."""
    if not name:
        return None
    if name.lower() in _PRONOUNS:
        return people.resolve(name)
    if not _person_name(name):
        return None
    name = _TITLE_WORD.sub("", name)
    if " " in name:
        return people.add(name, role)
    return people.resolve(name) or people.add(name, role)


def extract_claims(doc: CleanDoc) -> list[Claim]:
    """Quotes, findings and recommendations of a document, in order."""
    text = doc.text
    claims: list[Claim] = []
    people = _People()
    quoted: list[tuple[int, int]] = []
    quote_spans = _quote_spans(text)
    para_list = list(blocks(text))
    for start, end in quote_spans:
        para = text[start:end]
        people.scan(text[:start][-600:])
        segments = re.findall(r"[“\"]([^”\"]+)[”\"]?", para)
        if segments and max(len(x.split()) for x in segments) < 4 and not _AFTER.search(para):
            continue  # a term in quotation marks ("a “historic” deal"), not a quotation
        person = _speaker(para, people)
        if person is None and not re.search(
            r"\b(?:study|report|survey|research|poll|percent|per cent)\b|%", para, re.I
        ):
            continue  # quotation marks with no speaker and no study: scare quotes, titles
        kind = "quote" if person else "finding"
        claims.append(
            Claim(
                doc_id=doc.id,
                kind=kind,
                text=para,
                start=start,
                end=end,
                speaker=(
                    f"{person.name}, {person.role}"
                    if person and person.role
                    else person.name
                    if person
                    else None
                ),
                organization=person.organization if person else None,
            )
        )
        quoted.append((start, end))

    def inside_quote(a: int, b: int) -> bool:
        return any(s <= a and b <= e for s, e in quoted)

    # Findings: sentences that report a study's result, outside quotes already taken.
    for b_start, b_end in para_list:
        for s, e in sentence_spans(text[b_start:b_end], b_start):
            if inside_quote(s, e):
                continue
            sentence = text[s:e]
            if _FINDING.search(sentence):
                claims.append(Claim(doc_id=doc.id, kind="finding", text=sentence, start=s, end=e))
                continue
            m = _ASSERTS.search(sentence)
            if m and not re.search(r"[“”\"]", sentence):
                who = m["who"] or m["who2"]
                if who.split()[0].lower() in ("it", "this", "that", "there", "he", "she", "they", "we", "i"):
                    continue
                person = people.resolve(who) if " " not in who else None
                claims.append(
                    Claim(
                        doc_id=doc.id,
                        kind="assertion",
                        text=sentence,
                        start=s,
                        end=e,
                        speaker=person.name if person else None,
                        organization=None if person else who,
                    )
                )

    # Recommendations: list items under "X recommends:".
    for i, (b_start, b_end) in enumerate(para_list):
        lead = text[b_start:b_end]
        m = _RECOMMENDS.search(lead)
        if not m:
            continue
        who = m["who"]
        for n_start, n_end in para_list[i + 1 :]:
            lines = text[n_start:n_end].split("\n")
            if not all(_BULLET.match(ln) for ln in lines if ln.strip()):
                break
            pos = n_start
            for ln in lines:
                a = pos + len(ln) - len(ln.lstrip())
                b = pos + len(ln.rstrip())
                if b > a:
                    claims.append(
                        Claim(
                            doc_id=doc.id,
                            kind="recommendation",
                            text=text[a:b],
                            start=a,
                            end=b,
                            organization=who,
                        )
                    )
                pos += len(ln) + 1
    claims.sort(key=lambda c: (c.start, c.kind))
    if doc.pages:
        from dataclasses import replace

        claims = [replace(c, page=doc.page_at(c.start)) for c in claims]
    return claims
