"""The files a command writes (R9): an output name checked before any work is done, and the
marks that let ispcube replace a file it wrote itself without --yes.
"""

import os
from pathlib import Path

from ispcube.errors import Invalid, UsageError


def output_path(out: str | None, suffixes: tuple[str, ...], option: str = "--out",
                replace: bool = False, header: str | None = None) -> Path:
    """Check an output file name before doing any work: its type, its folder, and a file
    already there (replaced only if ispcube wrote it, or with REPLACE, i.e. --yes). HEADER: the
    first line of the CSV report ispcube writes there, which marks an earlier one as its own."""
    if not out:
        raise Invalid(f"{option} FILE is required ({' or '.join(suffixes)})")
    path = Path(out).expanduser()
    if path.suffix.lower() not in suffixes:
        raise Invalid(f"{option} '{out}' must end in {' or '.join(suffixes)}")
    if not path.parent.is_dir():
        raise Invalid(f"{option} '{out}': folder {path.parent} does not exist")
    if path.is_dir():
        raise Invalid(f"{option} '{out}' is a folder")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise Invalid(f"{option} '{out}': folder {path.parent} is not writable")
    if os.path.lexists(path) and not replace and not written_by_ispcube(path) and \
            not (header and _opens_with(path, header)):
        marked = path.suffix.lower() in MARKED
        raise UsageError(f"{option} '{out}' already exists{' and ispcube did not write it' if marked else ''}: "
                         "refused without --yes (choose another name, or add --yes to replace it)")
    return path


HTML_MARK = "\n<!-- written by ispcube -->\n"
# GeoJSON allows members of one's own: the map's files open with this one.
GEOJSON_MARK = '{"type": "FeatureCollection", "generator": "ispcube"'
# Files whose kind can carry a mark, so that ispcube replaces its own without --yes; any other
# existing file (a spreadsheet, a bank file...) is replaced only with --yes.
MARKED = (".html", ".htm", ".pdf", ".geojson", ".json")


def _opens_with(path: Path, header: str) -> bool:
    """A regular file whose first line is HEADER (a report ispcube wrote, run after run)."""
    if path.is_symlink() or not path.is_file():
        return False
    with path.open("rb") as file:
        first = file.readline(len(header) + 6).removeprefix(b"\xef\xbb\xbf")
    return first.endswith(b"\n") and first.rstrip(b"\r\n") == header.encode()


def written_by_ispcube(path: Path) -> bool:
    """True for a regular file that carries the mark of a document ispcube wrote."""
    if path.is_symlink() or not path.is_file() or path.suffix.lower() not in MARKED:
        return False
    if path.suffix.lower() in (".html", ".htm"):
        with path.open("rb") as file:
            file.seek(max(0, path.stat().st_size - len(HTML_MARK)))
            return file.read() == HTML_MARK.encode()
    if path.suffix.lower() in (".geojson", ".json"):
        with path.open("rb") as file:
            return file.read(len(GEOJSON_MARK)) == GEOJSON_MARK.encode()
    from ispcube.adapters.pdf import has_our_identifier
    return has_our_identifier(path)
