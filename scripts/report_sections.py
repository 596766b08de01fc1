#!/usr/bin/env python3
"""A screenshot of each section of a report, for docs/report.md.

    python3 scripts/report_sections.py quick-study/report/report.html docs/figures/report

For every `<section id=...>` of the page it writes a copy of the page that shows that section
alone (a style rule hides the others, the heading and the navigation), renders the copy in
headless Chromium with scripts/screenshot_report.sh (Debian's `chromium`; not part of CI),
trims the blank rows under it, cuts it at MAX_HEIGHT pixels, stores it as a 256-colour PNG
OUT/NN-ANCHOR.png, and prints one Markdown line per section: its title and the image.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

SCRIPT = Path(__file__).resolve().with_name("screenshot_report.sh")
MAX_HEIGHT = 1400  # pixels of a section shown; the rest is in the report itself
SECTION = re.compile(r'<section id="([^"]+)"><h2>(.*?)</h2>')


def shoot(page: str, anchor: str, out: Path) -> None:
    """Render ``page`` with only section ``anchor`` shown, to ``out`` (trimmed, 256 colours)."""
    hide = f"body>h1,body>nav,section:not(#{anchor}){{display:none}}"
    alone = page.replace("</style>", hide + "</style>", 1)
    with tempfile.TemporaryDirectory() as tmp:
        copy, shot = Path(tmp) / "section.html", Path(tmp) / "shot.png"
        copy.write_text(alone, encoding="utf-8")
        subprocess.run(
            ["bash", str(SCRIPT), str(copy), str(shot), str(MAX_HEIGHT + 200)],
            check=True,
            capture_output=True,
        )
        image = Image.open(shot).convert("RGB")
    grey = image.convert("L")
    rows = [
        y for y in range(grey.height) if grey.crop((0, y, grey.width, y + 1)).getextrema()[0] < 245
    ]
    bottom = min((rows[-1] + 24) if rows else grey.height, MAX_HEIGHT)
    image.crop((0, 0, image.width, bottom)).quantize(colors=256).save(out, optimize=True)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.exit(__doc__)
    page = Path(argv[0]).read_text(encoding="utf-8")
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for number, (anchor, title) in enumerate(SECTION.findall(page), start=1):
        name = f"{number:02d}-{anchor}.png"
        shoot(page, anchor, out / name)
        print(f"{html.unescape(re.sub(r'<[^>]+>', '', title))}\t{out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
