"""The page from Jinja2 templates: ``page.html`` lists the sections, ``section.html`` renders one,
and each kind of element has its own small template (``<kind>.html``). Autoescaped: text is
escaped unless an element is HTML written elsewhere (`elements.Html`)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from randrnn.analysis.report.elements import Section

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.globals["render"] = element
    return env


def element(e: object) -> Markup:
    """One element through the template of its kind."""
    return Markup(environment().get_template(f"{e.kind}.html").render(e=e))


def page(title: str, sections: Sequence[Section]) -> str:
    """The whole page: title, a link per section, the sections in order."""
    return environment().get_template("page.html").render(title=title, sections=sections)
