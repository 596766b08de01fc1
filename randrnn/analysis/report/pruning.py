"""Section "Pruning": `randrnn.pruning.report.report_section` (its figures and tables are computed
and drawn in `randrnn.pruning`), placed on the page like every other section."""

from __future__ import annotations

import re

from randrnn.analysis.report.context import StudyContext
from randrnn.analysis.report.elements import Figures, Html, Paragraph
from randrnn.pruning.report import report_section

TITLE = "Pruning"
_WRAPPER = re.compile(r"^\s*<section id='pruning'>\s*<h2>Pruning</h2>\s*(.*?)\s*</section>\s*$",
                      re.DOTALL)  # fmt: skip


def compute(ctx: StudyContext) -> str | None:
    """The pruning part as HTML (figures written beside the page), None without pruning."""
    return report_section(ctx.study, ctx.figures.out_dir)


def render(fragment: str | None, figures: Figures) -> tuple:
    if not fragment:
        return (Paragraph("This study has no pruning results (run randrnn prune)."),)
    found = _WRAPPER.match(fragment)  # the section's own heading: this page writes it
    return (Html(found.group(1) if found else fragment),)
