"""Turn a document file's bytes into the text that quotes are cut from.

- `.txt`, `.md`: the decoded file, untouched (no newline or whitespace changes), so a
  quote is a span of the file itself. UTF-8 (with or without BOM) and UTF-16 with BOM
  are read directly; anything else is detected with charset-normalizer, preferring
  Windows-1252 (the usual legacy encoding of English and Western European pages) when
  it reads the bytes about as cleanly as the detector's first guess.
- `.html`, `.htm`: text only, through BeautifulSoup. Scripts, styles, forms and page
  furniture (`nav`, `header`, `footer`, `aside`, ARIA banners) are dropped; block
  elements become lines, list items start with "- ", runs of spaces collapse.
- `.pdf`: pypdf's text layer, pages joined by a blank line; the start offset of each
  page is kept so a citation can name the page.

Left out: OCR for scanned PDFs (they are rejected with that reason), `.docx`, tables.
"""

from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass
from pathlib import Path

from bot.errors import DocumentError

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")


@dataclass(frozen=True)
class Extracted:
    text: str
    page_starts: tuple[int, ...] = ()  # PDF only: offset in `text` where page i+1 begins


def extract(path: Path, data: bytes | None = None, max_chars: int | None = None) -> Extracted:
    """Read `path` (or the given bytes, named by `path`) into quotable text; a text
    longer than `max_chars` is refused (a PDF stops being read as soon as it is)."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(
            f"{path.name}: unsupported file type {suffix or '(none)'!r}.",
            f"Use one of {', '.join(SUPPORTED_SUFFIXES)}.",
        )
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as err:
            raise DocumentError(f"{path.name}: cannot read the file ({err.strerror}).") from err
    if suffix == ".pdf":
        result = _pdf(path.name, data, max_chars)
    elif suffix in (".html", ".htm"):
        result = Extracted(_html(decode_text(path.name, data)))
    else:
        result = Extracted(decode_text(path.name, data))
    if not result.text.strip():
        raise DocumentError(f"{path.name}: the document has no text.")
    if max_chars is not None and len(result.text) > max_chars:
        raise _too_long(path.name, max_chars)
    return result


def _too_long(name: str, max_chars: int) -> DocumentError:
    return DocumentError(
        f"{name}: its text is over the {max_chars / 2**20:.0f} MB limit for one document "
        "(SMABOT_MAX_DOCUMENT_MB).",
        "Split it into parts.",
    )


def decode_text(name: str, data: bytes) -> str:
    """Bytes to str without altering a single character of the content."""
    if data.startswith(codecs.BOM_UTF8):
        return _strict(name, data[len(codecs.BOM_UTF8) :], "utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(name, data, "utf-16")
    if b"\x00" in data:
        raise DocumentError(
            f"{name}: this looks like a binary file, not text.",
            "Save it as UTF-8 text, or as .pdf or .html.",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise DocumentError(
            f"{name}: the text encoding could not be recognised.", "Save the file as UTF-8."
        )
    western = next(
        (m for m in matches if m.encoding == "cp1252" and m.chaos <= best.chaos + 0.1), None
    )
    return str(western or best)


def _strict(name: str, data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise DocumentError(
            f"{name}: invalid {encoding} at byte {err.start}.", "Save the file as UTF-8."
        ) from err


_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "iframe",
    "form",
    "button",
    "nav",
    "header",
    "footer",
    "aside",
    "select",
    "input",
    "head",
)
_DROP_ROLES = ("navigation", "banner", "contentinfo", "search", "menu", "menubar")
_BLOCK_TAGS = (
    "p",
    "div",
    "section",
    "article",
    "main",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "dt",
    "dd",
    "tr",
    "table",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "figcaption",
    "address",
    "br",
    "hr",
)


def _html(markup: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": True}):
        if not tag.decomposed and tag.get("role") in _DROP_ROLES:
            tag.decompose()
    for tag in soup.find_all(attrs={"aria-hidden": "true"}):
        if not tag.decomposed:
            tag.decompose()
    for li in soup.find_all("li"):
        li.insert(0, "- ")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    root = soup.body or soup
    lines = (
        re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in root.get_text().split("\n")
    )
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return text.strip() + "\n"


def _pdf(name: str, data: bytes, max_chars: int | None = None) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentError(f"{name}: the PDF is encrypted.", "Save an unprotected copy.")
        pages, total = [], 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            total += len(pages[-1])
            if max_chars is not None and total > max_chars:
                raise _too_long(name, max_chars)
    except DocumentError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError) as err:
        # PyPdfError: pypdf's own limits, e.g. a stream that inflates without end
        raise DocumentError(
            f"{name}: the PDF is damaged or unreadable ({err}).", "Export it again from the source."
        ) from err
    if not any(p.strip() for p in pages):
        raise DocumentError(
            f"{name}: the PDF has no text layer (a scan?).",
            "Run OCR on it first, or add it as text.",
        )
    parts, starts, offset = [], [], 0
    for page in pages:
        page = page.strip("\n") + "\n"
        starts.append(offset)
        parts.append(page)
        offset += len(page) + 1  # the "\n" separator below
    return Extracted("\n".join(parts), tuple(starts))
