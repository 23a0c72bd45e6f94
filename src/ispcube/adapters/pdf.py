"""HTML to PDF with WeasyPrint, reading nothing but local files of one asset folder.

WeasyPrint would otherwise follow any URL a template names (http, ftp, file:///etc/...).
The fetcher here serves `data:` URIs (the company logo is embedded as one by the caller) and
files under the asset folder, and refuses everything else; the refused addresses are returned
so the caller can say why an image or a style is missing. WeasyPrint is imported here only.

Every PDF written here carries a file identifier (the trailer's /ID) that starts with
OUR_ID, in plain text at the end of the file, so a later run can tell a document ispcube wrote
(and may replace) from someone else's file (R14).
"""

from dataclasses import dataclass, field
from pathlib import Path
import uuid

from ispcube.errors import Invalid

OUR_ID = b"ispcube-document-"
TAIL_BYTES = 4096


@dataclass
class RenderedPdf:
    pages: int
    refused: list[str] = field(default_factory=list)


def local_only_fetcher(asset_dir: Path, refused: list[str]):
    """A WeasyPrint URL fetcher confined to ASSET_DIR; appends every refused URL to REFUSED."""
    from urllib.request import url2pathname

    from weasyprint.urls import URLFetcher

    root = asset_dir.resolve()

    class LocalOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:") or _inside(root, url, url2pathname):
                return super().fetch(url, headers)
            refused.append(url)
            raise ValueError(f"{url} is outside the template folder; documents never fetch from the network")

    return LocalOnlyFetcher(allowed_protocols=("file", "data"), allow_redirects=False)


def _inside(root: Path, url: str, url2pathname) -> bool:
    if not url.startswith("file:"):
        return False
    path = Path(url2pathname(url.split("?", 1)[0].split("#", 1)[0].removeprefix("file:"))).resolve()
    return path.is_file() and path.is_relative_to(root)


def write_pdf(html: str, out: Path | None, asset_dir: Path) -> RenderedPdf:
    """Render HTML into the file OUT (None: render only, e.g. to check a template)."""
    document, refused = _layout(html, asset_dir)
    if out is not None:
        data = _pdf_data(document, str(out))
        try:
            out.write_bytes(data)
        except OSError as exc:
            raise Invalid(f"cannot write {out}: {exc.strerror or exc}") from None
    return RenderedPdf(pages=len(document.pages), refused=refused)


def pdf_bytes(html: str, asset_dir: Path, name: str) -> tuple[bytes, RenderedPdf]:
    """Render HTML into a PDF held in memory (an e-mail's attachment), NAME in errors."""
    document, refused = _layout(html, asset_dir)
    return _pdf_data(document, name), RenderedPdf(pages=len(document.pages), refused=refused)


def _layout(html: str, asset_dir: Path):
    from weasyprint import HTML
    refused: list[str] = []
    try:
        document = HTML(string=html, base_url=asset_dir.resolve().as_uri() + "/",
                        url_fetcher=local_only_fetcher(asset_dir, refused)).render()
    except Exception as exc:  # noqa: BLE001 - WeasyPrint may fail in any way on odd HTML or CSS
        raise Invalid(f"WeasyPrint could not lay the document out ({type(exc).__name__}: {exc})") from None
    return document, refused


def _pdf_data(document, name: str) -> bytes:
    try:
        return document.write_pdf(pdf_identifier=OUR_ID + uuid.uuid4().hex.encode())
    except Exception as exc:  # noqa: BLE001 - e.g. an image WeasyPrint cannot decode
        raise Invalid(f"cannot make the PDF {name}: {exc}") from None


def has_our_identifier(path: Path) -> bool:
    """True when the file at PATH is a PDF whose identifier says ispcube wrote it."""
    try:
        with path.open("rb") as file:
            if file.read(5) != b"%PDF-":
                return False
            file.seek(max(0, path.stat().st_size - TAIL_BYTES))
            tail = file.read()
    except OSError:
        return False
    return b"/ID [(" + OUR_ID in tail
