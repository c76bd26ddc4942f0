"""The supervisors' dashboard page, rendered on the server from the figures: HTML and SVG charts
(api/insight/charts.py), every text from the catalogs in the page's language (``?lang=``,
English by default; ``dir="rtl"`` for Arabic and Dari), no script at all. The filters are a GET
form, so a filtered view is a link, and the CSV export link carries the same filters.

Built with ElementTree: every figure and label is escaped on the way out, none can become markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode
from xml.etree.ElementTree import Element, SubElement, tostring

from api.insight.charts import bar_chart, line_chart
from api.insight.figures import Figures, Waits
from api.satisfaction import QUESTION as SATISFACTION_QUESTION
from wegwijs.languages import SHIPPED, is_shipped, native_name, writing_direction
from wegwijs.responses import load_specs, render

PREFIX = "staff_dashboard_"


def text(key: str, language: str) -> str:
    return render(load_specs()[PREFIX + key], language).text


def named(kind: str, code: str, language: str) -> str:
    """A topic's or channel's name in the page's language; the code itself when it has none."""
    key = f"{PREFIX}{kind}_{code}"
    return render(load_specs()[key], language).text if key in load_specs() else code


def language_name(code: str) -> str:
    """A language in its own name; a dash for an event without one (an erasure by staff)."""
    return native_name(code) if is_shipped(code) else "–"


def duration(seconds: int | None) -> str:
    """m:ss (h:mm:ss from an hour), the same in every language; a dash when there is none."""
    if seconds is None:
        return "–"
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def seconds_attribute(seconds: int | None) -> str:
    return "" if seconds is None else str(seconds)


def share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "–"


class Page:
    def __init__(self, figures: Figures, language: str, open_callbacks: int | None) -> None:
        self.figures, self.language = figures, language
        self.open_callbacks = open_callbacks

    def t(self, key: str) -> str:
        return text(key, self.language)

    def topic_name(self, code: str) -> str:
        return named("topic", code, self.language)

    def channel_name(self, code: str) -> str:
        return named("channel", code, self.language)

    def query(self, **extra: str) -> str:
        filters = self.figures.filters
        values = {"start": filters.start.isoformat(), "end": filters.end.isoformat()}
        if filters.language:
            values["language"] = filters.language
        return urlencode({**values, **extra})

    # -- building blocks ------------------------------------------------------------------------
    def table(
        self,
        parent: Element,
        table_id: str,
        headers: Sequence[str],
        rows: Sequence[Sequence[tuple[str, dict[str, str]]]],
    ) -> None:
        if not rows:
            SubElement(parent, "p", {"class": "empty", "id": f"{table_id}-empty"}).text = self.t("no_data")
            return
        table = SubElement(parent, "table", {"id": table_id})
        head = SubElement(SubElement(table, "thead"), "tr")
        for header in headers:
            SubElement(head, "th", {"scope": "col"}).text = header
        body = SubElement(table, "tbody")
        for row in rows:
            tr = SubElement(body, "tr")
            for value, attributes in row:
                SubElement(tr, "td", attributes).text = value

    def section(self, main: Element, section_id: str, title_key: str) -> Element:
        section = SubElement(main, "section", {"id": section_id, "aria-labelledby": f"{section_id}-title"})
        SubElement(section, "h2", {"id": f"{section_id}-title"}).text = self.t(title_key)
        return section

    def waits(self, waits: Waits, name: str) -> list[tuple[str, dict[str, str]]]:
        return [
            (
                duration(waits.median),
                {"data-measure": f"{name}_median", "data-seconds": seconds_attribute(waits.median)},
            ),
            (duration(waits.p90), {"data-measure": f"{name}_p90", "data-seconds": seconds_attribute(waits.p90)}),
        ]

    # -- the page -------------------------------------------------------------------------------
    def render(self) -> str:
        language = self.language
        html = Element("html", {"lang": language, "dir": writing_direction(language)})
        head = SubElement(html, "head")
        SubElement(head, "meta", {"charset": "utf-8"})
        SubElement(head, "meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"})
        SubElement(head, "title").text = self.t("title")
        SubElement(head, "link", {"rel": "stylesheet", "href": "/staff/static/dashboard.css"})
        body = SubElement(html, "body")
        header = SubElement(body, "header")
        SubElement(header, "h1").text = self.t("title")
        SubElement(header, "a", {"href": "/staff", "id": "back"}).text = self.t("back")
        main = SubElement(body, "main", {"class": "dashboard"})
        SubElement(main, "p", {"class": "note"}).text = self.t("intro")
        self.filters(main)
        self.summary(main)
        self.conversations(main)
        self.topics(main)
        self.fallback(main)
        self.handovers(main)
        self.callbacks(main)
        self.satisfaction(main)
        return "<!doctype html>\n" + tostring(html, encoding="unicode", method="html")

    def filters(self, main: Element) -> None:
        filters = self.figures.filters
        form = SubElement(main, "form", {"method": "get", "action": "/staff/dashboard", "id": "filters"})
        for name, key, value in (("start", "from", filters.start), ("end", "to", filters.end)):
            label = SubElement(form, "label")
            label.text = self.t(key) + " "
            SubElement(
                label, "input", {"type": "date", "name": name, "id": f"filter-{name}", "value": value.isoformat()}
            )
        self.select(
            form,
            "language",
            self.t("language"),
            [("", self.t("all_languages"))] + [(c, native_name(c)) for c in SHIPPED],
            filters.language or "",
        )
        self.select(form, "lang", self.t("page_language"), [(c, native_name(c)) for c in SHIPPED], self.language)
        SubElement(form, "button", {"type": "submit"}).text = self.t("show")
        SubElement(main, "a", {"id": "export", "href": "/staff/api/insight.csv?" + self.query()}).text = self.t(
            "export"
        )

    def select(self, form: Element, name: str, label_text: str, options: list[tuple[str, str]], chosen: str) -> None:
        label = SubElement(form, "label")
        label.text = label_text + " "
        select = SubElement(label, "select", {"name": name, "id": f"filter-{name}"})
        for value, shown in options:
            attributes = {"value": value, **({"selected": "selected"} if value == chosen else {})}
            SubElement(select, "option", attributes).text = shown

    def summary(self, main: Element) -> None:
        section = self.section(main, "summary", "summary")
        figures = [
            ("conversations", self.figures.conversations),
            ("messages", self.figures.turns),
            ("erasures", self.figures.erasures),
        ]
        dl = SubElement(section, "dl", {"class": "summary"})
        for key, value in figures:
            SubElement(dl, "dt").text = self.t(key)
            SubElement(dl, "dd", {"id": f"summary-{key}"}).text = str(value)

    def conversations(self, main: Element) -> None:
        days = self.figures.days
        for section_id, key, series, column in (
            ("by-language", "conversations_by_language", self.figures.by_language, "language"),
            ("by-channel", "conversations_by_channel", self.figures.by_channel, "channel"),
        ):
            section = self.section(main, section_id, key)
            names = language_name if column == "language" else self.channel_name
            floats = {name: {d: float(v) for d, v in per_day.items()} for name, per_day in series.items()}
            section.append(line_chart(self.t(key), days, floats, names))
            rows = [
                [
                    (day.isoformat(), {}),
                    (names(name), {f"data-{column}": name}),
                    (
                        str(count),
                        {"data-measure": "conversations", "data-day": day.isoformat(), f"data-{column}": name},
                    ),
                ]
                for name, per_day in series.items()
                for day, count in per_day.items()
            ]
            self.table(section, f"{section_id}-table", [self.t("day"), self.t(column), self.t("conversations")], rows)

    def topics(self, main: Element) -> None:
        section = self.section(main, "topics", "topics")
        rows = []
        for language, top in self.figures.topics.items():
            SubElement(section, "h3").text = language_name(language)
            section.append(
                bar_chart(
                    f"{self.t('topics')}: {language_name(language)}",
                    [(self.topic_name(topic), float(n)) for topic, n in top],
                )
            )
            rows += [
                [
                    (language_name(language), {"data-language": language}),
                    (self.topic_name(topic), {"data-topic": topic}),
                    (str(n), {"data-measure": "turns", "data-language": language, "data-topic": topic}),
                ]
                for topic, n in top
            ]
        self.table(section, "topics-table", [self.t("language"), self.t("topic"), self.t("messages")], rows)

    def fallback(self, main: Element) -> None:
        section = self.section(main, "fallback", "fallback")
        rates = {
            language: {day: fell / turns for day, (fell, turns) in per_day.items() if turns}
            for language, per_day in self.figures.fallback.items()
        }
        section.append(line_chart(self.t("fallback"), self.figures.days, rates, language_name, as_share=True))
        rows = [
            [
                (day.isoformat(), {}),
                (language_name(language), {"data-language": language}),
                (str(fell), {"data-measure": "fallbacks", "data-day": day.isoformat(), "data-language": language}),
                (str(turns), {"data-measure": "turns", "data-day": day.isoformat(), "data-language": language}),
                (share(fell, turns), {}),
            ]
            for language, per_day in self.figures.fallback.items()
            for day, (fell, turns) in per_day.items()
        ]
        self.table(
            section,
            "fallback-table",
            [self.t("day"), self.t("language"), self.t("not_understood"), self.t("messages"), self.t("share")],
            rows,
        )

    def handovers(self, main: Element) -> None:
        section = self.section(main, "handovers", "handovers")
        reasons = self.figures.handovers
        section.append(
            bar_chart(self.t("handovers"), [(self.t(f"reason_{r.reason}"), float(r.opened)) for r in reasons])
        )
        rows = [
            [
                (self.t(f"reason_{r.reason}"), {"data-reason": r.reason}),
                (str(r.opened), {"data-measure": "opened", "data-reason": r.reason}),
                (str(r.claimed.count), {"data-measure": "claimed", "data-reason": r.reason}),
                *self.waits(r.claimed, "claim"),
                *self.waits(r.replied, "first_reply"),
                (str(r.stranded), {"data-measure": "stranded", "data-reason": r.reason}),
            ]
            for r in reasons
        ]
        headers = [
            self.t(k)
            for k in (
                "reason",
                "opened",
                "claimed",
                "claim_median",
                "claim_p90",
                "reply_median",
                "reply_p90",
                "stranded",
            )
        ]
        self.table(section, "handovers-table", headers, rows)
        waiting = self.section(main, "waiting", "waiting")
        rows = [
            [
                (language_name(language), {"data-language": language}),
                (str(w.count), {"data-measure": "claimed", "data-language": language}),
                *self.waits(w, "claim"),
            ]
            for language, w in self.figures.waiting_by_language.items()
        ]
        self.table(
            waiting, "waiting-table", [self.t(k) for k in ("language", "claimed", "claim_median", "claim_p90")], rows
        )

    def callbacks(self, main: Element) -> None:
        section = self.section(main, "callbacks", "callbacks")
        handled = self.figures.callbacks_handled
        row = [
            (str(self.figures.callbacks_requested), {"data-measure": "requested"}),
            (str(handled.count), {"data-measure": "handled"}),
            (
                duration(handled.median),
                {"data-measure": "handle_median", "data-seconds": seconds_attribute(handled.median)},
            ),
            ("–" if self.open_callbacks is None else str(self.open_callbacks), {"data-measure": "open_now"}),
        ]
        self.table(
            section,
            "callbacks-table",
            [self.t(k) for k in ("requested", "handled", "handle_median", "open_now")],
            [row],
        )

    def satisfaction(self, main: Element) -> None:
        for section_id, key, values, column in (
            ("satisfaction-language", "satisfaction_language", self.figures.satisfaction_by_language, "language"),
            ("satisfaction-topic", "satisfaction_topic", self.figures.satisfaction_by_topic, "topic"),
        ):
            section = self.section(main, section_id, key)
            if not values:
                SubElement(section, "p", {"class": "empty", "id": f"{section_id}-empty"}).text = self.t(
                    "no_satisfaction"
                )
                continue
            names = language_name if column == "language" else self.topic_name
            rows = [
                [
                    (names(name), {f"data-{column}": name}),
                    (str(s.answers), {"data-measure": "answers", f"data-{column}": name}),
                    (str(s.yes), {"data-measure": "yes", f"data-{column}": name}),
                    (str(s.partly), {"data-measure": "partly", f"data-{column}": name}),
                    (str(s.no), {"data-measure": "no", f"data-{column}": name}),
                    (
                        f"{s.helped:.0%}" if s.helped is not None else "–",
                        {"data-measure": "helped", f"data-{column}": name},
                    ),
                ]
                for name, s in values.items()
            ]
            # The answers' own button titles, in the staff language: what the users tapped.
            answers = [b["title"] for b in render(load_specs()[SATISFACTION_QUESTION], self.language).buttons]
            headers = [self.t(column), self.t("answers"), *answers, self.t("helped")]
            self.table(section, f"{section_id}-table", headers, rows)
