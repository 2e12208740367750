"""Notice texts from templates: one kind, one channel, one language in; the words to send out.

Templates live in ``notifications/templates/<language>/``: ``<kind>.sms.txt`` (one line) and
``<kind>.email.txt`` (blocks ``subject`` and ``body``). The HTML part of an email is made from the
rendered plain text, as GOV.UK Notify does: every character of it is escaped first and only then
are paragraphs, lists and links added, so the two parts always say the same and no value typed by
a clerk or an applicant can become markup.

Values are plain strings and lists of strings, prepared by the caller. Dates come as
``YYYY-MM-DD``; the instants of hour and minute limits as ISO 8601 text. The ``when`` filter
writes them as government notices do, in the notice's language (tracker.deadlines.display):
``115年12月7日`` (民國) in Chinese, ``7 Dec 2026`` in English, instants with the Taipei time.
``REQUIRED_VALUES`` lists what each kind needs; ``OPTIONAL_VALUES`` what it may have, with the
default used when it is left out. Every message starts with its ``sender``, the agency's short
name (【三民區公所】, ``[Sanmin Dist. Office]``); notices written before there was one are signed
with the department. No value may carry the applicant's full name, phone number or email address
(DESIGN §4.7): at most ``masked_name``.

SMS texts must fit two UCS-2 segments (``SMS_MAX_UNITS``). Long free text (a reason, the missing
items, a service or department name) goes through the ``clip`` filter with a budget stated in the
template, cut at a word boundary where the text has words; the whole text is behind the status
link. Where a template can say more than the worst case leaves room for, it says it under
``{% if detail >= N %}``: render tries the most detailed form first and drops parts (the service's
name, the current step, a phone number) when they do not fit, or would squeeze the free text
below twice its budget. A test renders every SMS template with
worst-case values.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from itertools import groupby
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context
from markupsafe import Markup, escape

from tracker.deadlines.display import written
from tracker.notices.outbox import APPLICANT_KINDS, CHAT_KINDS, STAFF_KINDS

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).with_name("templates")
LANGUAGES = ("zh-TW", "en")
DEFAULT_LANGUAGE = "zh-TW"
# A LINE message says what the SMS says (``<kind>.sms.txt``) unless ``<kind>.line.txt`` exists.
CHANNELS = ("sms", "email", "line")
# Two concatenated UCS-2 segments: 2 × 67 UTF-16 code units (each segment keeps 3 for the header).
SMS_MAX_UNITS = 134
# Free-text limits in SMS templates are tried at these multiples, widest first; 1 always fits.
SMS_CLIP_SCALES = (4.0, 3.0, 2.5, 2.0, 1.5, 1.25, 1.0)
# How much an SMS template may say (``detail``), most first: at 0 even the worst values fit.
SMS_DETAIL_LEVELS = (3, 2, 1, 0)
# A part said beyond the least (a service's name, a phone number) must leave the free text at
# least this multiple of its worst-case budget: "Needs assessment…", not "Needs…".
SMS_DETAIL_MIN_SCALE = 2.0
ELLIPSIS = "…"

# Sent to staff, never to applicants: email only.
INTERNAL_KINDS = STAFF_KINDS
KINDS = APPLICANT_KINDS + INTERNAL_KINDS

_CASE = ("case_number", "service", "department")
_APPLICANT = (*_CASE, "status_url")
_STAFF = (*_CASE, "console_url")

REQUIRED_VALUES: dict[str, tuple[str, ...]] = {
    # case_number: 20261122-0042; service, department: names as the applicant knows them (the
    # department signs the message); status_url: the citizen status page of this case.
    "receipt": (*_APPLICANT, "due_date", "lookup_code"),
    # items: list of every missing document; supplement_due: the supplement deadline.
    "supplement": (*_APPLICANT, "items", "supplement_due"),
    "supplement_reminder": (*_APPLICANT, "items", "supplement_due"),
    # reason: why the extension (展延); new_due_date: the extended due date.
    "extension": (*_APPLICANT, "reason", "new_due_date"),
    # reason: why it is late; current_step: the SOP step it is at; expected_completion: a date.
    "overdue": (*_APPLICANT, "reason", "current_step", "expected_completion"),
    # result: the outcome in a sentence (核准, 已核發...).
    "ready": (*_APPLICANT, "result"),
    # reason: why it was rejected (駁回).
    "rejected": (*_APPLICANT, "reason"),
    # reason: why a petition is not handled (不予處理, 行政程序法 Art. 173).
    "not_handled": (*_APPLICANT, "reason"),
    # transferred_to: the department or agency now in charge; reason: why; new_contact: its
    # phone or counter.
    "transferred": (*_APPLICANT, "transferred_to", "reason", "new_contact"),
    # survey_url: the one-question satisfaction survey of this case.
    "survey": (*_CASE, "survey_url"),
    # reason: the closure (颱風停止上班); new_due_date: the due date after re-timing.
    "retimed": (*_APPLICANT, "reason", "new_due_date"),
    # console_url: the case in the counter console.
    "due_soon": (*_STAFF, "due_date"),
    "supplement_lapsed": (*_STAFF, "items", "supplement_due"),
    # reason, expected_completion: what the overdue notice told the applicant.
    "overdue_clerk": (*_STAFF, "due_date", "reason", "expected_completion"),
    # The LINE bot's answers (CHAT_KINDS, LINE only): the case a code names, asking to confirm;
    # bound; stopped (case_numbers: the cases no longer on LINE); how to bind.
    "line_confirm": ("case_number", "service", "masked_name", "due_date"),
    "line_bound": ("case_number", "status_url"),
    "line_unbound": ("case_numbers",),
    "line_help": (),
}

_APPLICANT_OPTIONAL: dict[str, Any] = {
    "masked_name": "",  # 王○明 (tracker.privacy.mask_name), for the greeting
    "contact_phone": "",  # the department's counter phone
    "sender": "",  # the agency's short name; the department when empty (older notices)
}
OPTIONAL_VALUES: dict[str, dict[str, Any]] = {
    **{kind: dict(_APPLICANT_OPTIONAL) for kind in APPLICANT_KINDS},
    # pickup_place, pickup_hours: where and when to collect the result, when there is something
    # to collect.
    "ready": {**_APPLICANT_OPTIONAL, "pickup_place": "", "pickup_hours": ""},
    # appeal_to: the appeal authority (訴願管轄機關); the templates default to 高雄市政府, which
    # hears appeals against the city's own offices (訴願法 Art. 4).
    "rejected": {**_APPLICANT_OPTIONAL, "appeal_to": ""},
    # ground: which item of Art. 173 applies (tracker.cases.actions.DECLINE_GROUNDS).
    "not_handled": {**_APPLICANT_OPTIONAL, "ground": ""},
    # old_due_date: the due date before the closure moved it; withdrawn, closure_day: a closure
    # called off gives the due date back (the day counts again).
    "retimed": {**_APPLICANT_OPTIONAL, "old_due_date": "", "withdrawn": False, "closure_day": ""},
    "due_soon": {"masked_name": "", "sender": ""},
    "supplement_lapsed": {"masked_name": "", "sender": ""},
    # reason_is_default, date_is_default: the reason (the service's default) or the expected
    # completion (the documented rule) was chosen for the clerk, who is asked to confirm it.
    "overdue_clerk": {
        "masked_name": "",
        "sender": "",
        "reason_is_default": False,
        "date_is_default": False,
    },
}

# What render() itself gives every template, beside the notice's values.
RENDER_VARIABLES = frozenset({"language", "detail", "clip_scale"})

_HTML_LANG = {"zh-TW": "zh-Hant-TW", "en": "en"}


class MissingValues(ValueError):
    """A notice cannot be rendered: the caller left out values this kind needs."""

    def __init__(self, kind: str, missing: Iterable[str]) -> None:
        self.kind = kind
        self.missing = tuple(missing)
        super().__init__(f"notice '{kind}' needs values: {', '.join(self.missing)}")


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered notice: ``sms`` for the SMS channel, ``subject``/``text``/``html`` for email,
    ``line`` for LINE."""

    sms: str | None
    subject: str | None
    text: str | None
    html: str | None
    line: str | None = None


def ucs2_units(text: str) -> int:
    """How many UTF-16 code units ``text`` takes in a UCS-2 SMS (a CJK extension char takes 2)."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _is_word_character(ch: str) -> bool:
    # Letters and digits of scripts written with spaces; a Han character is a word of its own.
    return ch.isalnum() and unicodedata.east_asian_width(ch) not in ("W", "F")


def clip(value: Any, limit: int) -> str:
    """The value on one line, cut to ``limit`` UTF-16 units with "…" when it is longer.

    Text with words is cut after the last whole word that fits (``Home visit…``, never
    ``Home vis…``); a single word longer than the limit, or Chinese, is cut where the limit falls.
    """
    if isinstance(value, list | tuple):
        value = " ".join(str(item) for item in value)
    text = oneline(value)
    if ucs2_units(text) <= limit:
        return text
    kept: list[str] = []
    used = 0
    for ch in text:
        width = 2 if ord(ch) > 0xFFFF else 1
        if used + width > limit - 1:
            break
        kept.append(ch)
        used += width
    cut = "".join(kept)
    following = text[len(cut)]
    if cut and _is_word_character(cut[-1]) and _is_word_character(following):
        # Inside a word: go back to the space before it, if the text has one.
        space = cut.rfind(" ")
        if space > 0:
            cut = cut[:space]
    return cut.rstrip(" ,;:-–(") + ELLIPSIS


@pass_context
def _scaled_clip(context: Context, value: Any, limit: int) -> str:
    # The limits in the templates are what fits with worst-case values; when the real values are
    # shorter, render() first tries the same template with every limit raised (clip_scale).
    return clip(value, int(limit * context.get("clip_scale", 1)))


def oneline(value: Any) -> str:
    """The value with its line breaks and runs of spaces made single spaces."""
    return " ".join(str(value).split())


def when(value: Any, language: str = DEFAULT_LANGUAGE) -> str:
    """A date or instant (or its ISO text) as notices write it in ``language``.

    ``115年4月20日`` / ``20 Apr 2026``; an instant adds the Taipei time, ``115年4月13日 14:00``.
    Anything else comes back as text.
    """
    if isinstance(value, date | datetime | str):
        return written(value, language)
    return str(value)


@pass_context
def _when_in_language(context: Context, value: Any) -> str:
    return when(value, context.get("language", DEFAULT_LANGUAGE))


def resolve_language(language: str | None) -> str:
    """``en``, ``en-GB`` → ``en``; ``zh-TW``, anything else or nothing → ``zh-TW``."""
    if language and language.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


@cache
def _environment() -> Environment:
    """The Jinja environment: strict about missing values, escaping only HTML."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        # Only the HTML layout is markup; SMS and plain text must show "<" as typed.
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    env.filters["clip"] = _scaled_clip
    env.filters["oneline"] = oneline
    env.filters["when"] = _when_in_language
    return env


def _template(language: str, kind: str, channel: str) -> Template:
    """The template for this language, or the zh-TW one where it is not written yet."""
    # A missing translation must not fail the notice: the applicant still gets it, in Chinese.
    wanted = ("line", "sms") if channel == "line" else (channel,)
    names = [
        f"{lang}/{kind}.{option}.txt" for lang in (language, DEFAULT_LANGUAGE) for option in wanted
    ]
    return _environment().select_template(names)


def _check(kind: str, channel: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Refuse an unknown kind or channel and missing values; the values with defaults."""
    if kind not in REQUIRED_VALUES:
        raise ValueError(f"unknown notice kind '{kind}'; known: {', '.join(KINDS)}")
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel '{channel}'; known: {', '.join(CHANNELS)}")
    if channel in ("sms", "line") and kind in INTERNAL_KINDS:
        raise ValueError(f"notice '{kind}' goes to staff by email only, never by {channel}")
    if kind in CHAT_KINDS and channel != "line":
        raise ValueError(f"notice '{kind}' is an answer in a LINE chat, never by {channel}")
    missing = [key for key in REQUIRED_VALUES[kind] if key not in values]
    if missing:
        raise MissingValues(kind, missing)
    items = values.get("items", ())
    # A string here would be listed one character per line.
    if isinstance(items, str) or not all(isinstance(item, str) for item in items):
        raise ValueError(f"notice '{kind}': 'items' must be a list of strings")
    context = {**OPTIONAL_VALUES.get(kind, {}), **values}
    if not context.get("sender") and "department" in context:
        context["sender"] = context["department"]
    return context


def _block(template: Template, name: str, context: dict[str, Any]) -> str:
    """One block (``subject`` or ``body``) of an email template, rendered and trimmed."""
    return "".join(template.blocks[name](template.new_context(context))).strip()


def _fitted_sms(template: Template, context: dict[str, Any]) -> str:
    """The SMS saying the most that fits: every part it can, free text cut as little as may be."""
    sms = ""
    for detail in SMS_DETAIL_LEVELS:
        # Cut free text only as much as this message needs: the widest limits that still fit.
        scales = (
            SMS_CLIP_SCALES
            if detail == 0
            else [scale for scale in SMS_CLIP_SCALES if scale >= SMS_DETAIL_MIN_SCALE]
        )
        for scale in scales:
            sms = template.render({**context, "detail": detail, "clip_scale": scale}).strip()
            if ucs2_units(sms) <= SMS_MAX_UNITS:
                return sms
    return sms


def render(kind: str, channel: str, language: str, values: Mapping[str, Any]) -> Rendered:
    """Render notice ``kind`` for ``channel`` (sms or email) in ``language`` (zh-TW fallback)."""
    language = resolve_language(language)
    context = {**_check(kind, channel, values), "language": language}
    template = _template(language, kind, channel)
    if channel == "line":
        # The SMS's words, without its budget: LINE takes 5,000 characters.
        widest = {"detail": SMS_DETAIL_LEVELS[0], "clip_scale": SMS_CLIP_SCALES[0]}
        text = template.render({**context, **widest}).strip()
        return Rendered(sms=None, subject=None, text=None, html=None, line=text)
    if channel == "sms":
        sms = _fitted_sms(template, context)
        if ucs2_units(sms) > SMS_MAX_UNITS:
            # Longer still goes out (as a third segment); say so, with no personal data.
            log.warning(
                "SMS notice %s/%s is %d units, over the %d budget",
                kind,
                language,
                ucs2_units(sms),
                SMS_MAX_UNITS,
            )
        return Rendered(sms=sms, subject=None, text=None, html=None)
    subject = " ".join(_block(template, "subject", context).split())
    text = _block(template, "body", context) + "\n"
    html = (
        _environment()
        .get_template("_layout.html")
        .render(lang=_HTML_LANG[language], subject=subject, body=text_to_html(text))
    )
    return Rendered(sms=None, subject=subject, text=text, html=html)


_URL = re.compile(r"https?://[!-~]+")
# Punctuation that ends a sentence rather than belongs to the address before it.
_URL_TRAILING = ".,;:!?)]}'\""
_BULLET = re.compile(r"^\s*[-•]\s+")


def _linkify(line: str) -> Markup:
    """One line of text, escaped, with each http(s) address made a link."""
    out = Markup("")
    position = 0
    for match in _URL.finditer(line):
        url = match.group().rstrip(_URL_TRAILING)
        end = match.start() + len(url)
        out += escape(line[position : match.start()])
        out += Markup('<a href="{0}">{0}</a>').format(url)
        position = end
    return out + escape(line[position:])


def text_to_html(text: str) -> Markup:
    """Plain text → HTML: blank lines part paragraphs, "- " lines make a list, links are links."""
    blocks: list[Markup] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = [line.rstrip() for line in paragraph.splitlines() if line.strip()]
        # Runs of bullet lines become a list; the lines around them stay a paragraph.
        for is_list, run in groupby(lines, key=lambda line: bool(_BULLET.match(line))):
            run_lines = list(run)
            if is_list:
                items = Markup("").join(
                    Markup("<li>{}</li>").format(_linkify(_BULLET.sub("", line)))
                    for line in run_lines
                )
                blocks.append(Markup("<ul>{}</ul>").format(items))
            else:
                joined = Markup("<br>\n").join(_linkify(line) for line in run_lines)
                blocks.append(Markup("<p>{}</p>").format(joined))
    return Markup("\n").join(blocks)
