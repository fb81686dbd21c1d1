"""A card as a small document (sections of paragraphs, bullet lists, tables and images),
written out twice from the same structure: Markdown (``card.md``) and a self-contained HTML
page (``card.html``) that links the PNGs beside it.

One structure, two writers: no Markdown-to-HTML dependency, and every text that came from
metadata or the user is escaped exactly once, by the HTML writer.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Table:
    """A table of text cells; ``rows`` are as long as ``headers``."""

    headers: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Bullets:
    """A bullet list of plain-text items."""

    items: list[str]


@dataclass(frozen=True)
class Image:
    """A PNG beside the card (``file`` is its name) and what it shows."""

    file: str
    alt: str


Block = str | Table | Bullets | Image


@dataclass
class Section:
    """A titled section; ``anchor`` is its HTML id (the browser test looks sections up)."""

    anchor: str
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class CardDoc:
    """The whole card: a title, a one-line status, then sections in order."""

    title: str
    headline: str
    sections: list[Section]


def to_markdown(doc: CardDoc) -> str:
    """The card as Markdown (GitHub flavour: pipe tables)."""
    out = [f"# {doc.title}", "", f"**{doc.headline}**", ""]
    for section in doc.sections:
        out += [f"## {section.title}", ""]
        for block in section.blocks:
            out += [*_markdown_block(block), ""]
    return "\n".join(out).rstrip() + "\n"


def _markdown_block(block: Block) -> list[str]:
    if isinstance(block, Table):
        cells = [[c.replace("|", "\\|") for c in row] for row in [block.headers, *block.rows]]
        lines = ["| " + " | ".join(row) + " |" for row in cells]
        return [lines[0], "|" + "---|" * len(block.headers), *lines[1:]]
    if isinstance(block, Bullets):
        return [f"- {item}" for item in block.items]
    if isinstance(block, Image):
        return [f"![{block.alt}]({block.file})"]
    return [block]


def to_html(doc: CardDoc) -> str:
    """The card as one HTML page: inline CSS, no script, images by relative path."""
    body = [f"<h1>{_e(doc.title)}</h1>", f'<p class="headline">{_e(doc.headline)}</p>']
    body.append(
        "<nav>"
        + " · ".join(f'<a href="#{s.anchor}">{_e(s.title)}</a>' for s in doc.sections)
        + "</nav>"
    )
    for section in doc.sections:
        body.append(f'<section id="{section.anchor}"><h2>{_e(section.title)}</h2>')
        body += [_html_block(block) for block in section.blocks]
        body.append("</section>")
    return _PAGE.format(title=_e(doc.title), body="\n".join(body))


def _html_block(block: Block) -> str:
    if isinstance(block, Table):
        head = "".join(f"<th>{_e(h)}</th>" for h in block.headers)
        rows = "".join(
            "<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in block.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{_e(item)}</li>" for item in block.items) + "</ul>"
    if isinstance(block, Image):
        return (
            f'<figure><img src="{_e(block.file)}" alt="{_e(block.alt)}">'
            f"<figcaption>{_e(block.alt)}</figcaption></figure>"
        )
    return f"<p>{_e(block)}</p>"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem auto;
       max-width: 70rem; padding: 0 1rem; color: #1f2933; line-height: 1.45; }}
h1 {{ margin-bottom: 0.2rem; }}
.headline {{ font-weight: 600; color: #2f6f4f; }}
nav {{ margin: 0.8rem 0 1.2rem; font-size: 0.9rem; }}
section {{ margin-top: 1.6rem; }}
table {{ border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }}
th, td {{ border: 1px solid #d0d7de; padding: 0.25rem 0.6rem; text-align: left;
         vertical-align: top; }}
th {{ background: #f3f5f7; }}
figure {{ display: inline-block; margin: 0.5rem 1rem 0.5rem 0; }}
figure img {{ max-width: 100%; border: 1px solid #e1e4e8; }}
figcaption {{ font-size: 0.8rem; color: #57606a; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""
