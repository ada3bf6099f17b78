"""The review loop: the catalog out as gettext PO files and an HTML sheet, a reviewed PO back in.

A clinician and a translator read and edit texts in the tools they know (Poedit, Weblate, any
text editor). Each PO entry is one text: its id as the context, the English words as the source,
the language's words as the translation, and what the content check measured as a comment.
Import writes a changed text back into the YAML file that holds it, but only after the whole
catalog, changes included, passes `boneline content check`; otherwise nothing is written.
"""

from __future__ import annotations

import html
import io
import shutil
import tempfile
import textwrap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.pofile import read_po, write_po

from service.words.catalog import DEFAULT_LANGUAGE, LANGUAGES, Catalog, CatalogError
from service.words.content_check import SPOKEN_KINDS, VOICE_PREFIX, TextReport, check_catalog

PROJECT = "BoneLine message catalog"
# Lines of a text in a YAML file: `  id: >-` then the words, folded, indented by four.
WRAP_WIDTH = 96
KINDS: Mapping[str, str] = {
    "reminder": "scheduled reminder (text)",
    "checkin": "back-pain check-in (text)",
    "checkin_reply": "answer to a check-in",
    "topic": "topic answer",
    "menu": "topic menu",
    "safety": "safety reply",
    "voice": "phone line (spoken)",
    "phone_text": "text sent from a call",
    "alert": "care-team alert",
    "care": "care team's text",
}

Deployment = Callable[[Catalog], Mapping[str, Mapping[str, str]]]


class ReviewError(ValueError):
    """A PO file that cannot be brought in (unreadable, another catalog's ids, or failing)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


@dataclass
class ImportResult:
    """What an import changed."""

    language: str
    changed: dict[str, str] = field(default_factory=dict)
    version_before: str = ""
    version_after: str = ""


def kind_of(message_id: str) -> str:
    """A text's kind in words, from its id's first part."""
    first = message_id.split(".", 1)[0]
    return KINDS.get(first, first.replace("_", " "))


def reviewed_ids(catalog: Catalog) -> list[str]:
    """The ids a reviewer reads, in order; a reminder's voice version travels with it."""
    ids = catalog.ids(DEFAULT_LANGUAGE)
    spoken_twins = {VOICE_PREFIX + mid for mid in ids if mid.startswith(SPOKEN_KINDS)}
    return sorted(ids - spoken_twins)


def export_po(
    catalog: Catalog, language: str, measured: Mapping[tuple[str, str], TextReport]
) -> bytes:
    """One language's texts as a PO file: id as context, English as source, `language` as the
    translation, with the kind, segments and reading score as comments."""
    header = (
        f"# {PROJECT}, {language}: one entry per text. Change only msgstr; keep every"
        " {placeholder}\n# as it is. Then: boneline content import <this file>"
    )
    po = PoCatalog(
        locale=language,
        header_comment=header,
        project=PROJECT,
        version=catalog.catalog_version,
        copyright_holder=PROJECT,
        charset="utf-8",
        fuzzy=False,
    )
    for message_id in sorted(catalog.ids(language)):
        row = measured.get((message_id, language))
        comments = [f"kind: {kind_of(message_id)}"]
        if row is not None:
            comments.append(_measure_note(row))
        po.add(
            catalog.template(message_id, DEFAULT_LANGUAGE),
            catalog.template(message_id, language),
            context=message_id,
            auto_comments=comments,
        )
    out = io.BytesIO()
    write_po(out, po, width=0)
    return out.getvalue()


def _measure_note(row: TextReport) -> str:
    """What the content check measured, for a reviewer."""
    score = f"reading {'Fernandez-Huerta' if row.language == 'es' else 'grade'} {row.score:.1f}"
    if row.budget is None:
        return f"spoken on the phone line; {score}"
    return f"{row.segments} of {row.budget} SMS segments as sent ({row.encoding}); {score}"


def review_sheet(catalog: Catalog, measured: Mapping[tuple[str, str], TextReport]) -> str:
    """The whole catalog as one HTML page: English beside Spanish, text beside voice."""
    rows = "\n".join(_sheet_row(catalog, mid, measured) for mid in reviewed_ids(catalog))
    version = html.escape(catalog.catalog_version)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{PROJECT} {version}: review sheet</title>
<style>
body {{ font-family: sans-serif; margin: 1rem; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #999; padding: 0.3rem; vertical-align: top; text-align: left; }}
th {{ background: #eee; position: sticky; top: 0; }}
td.id {{ font-family: monospace; white-space: nowrap; }}
.voice {{ font-style: italic; }}
.fail {{ color: #a00; font-weight: bold; }}
</style>
</head>
<body>
<h1>{PROJECT}, version {version}</h1>
<p>Each row is one text: English beside Spanish, and for reminders and check-ins the text beside
what a call says. Segments are counted as the text is sent (Spanish without the accents on
a, i, o, u); reading is the Flesch-Kincaid grade in English (6 or lower) and the
Fernandez-Huerta score in Spanish (80 or higher). Edit the words in the PO files.</p>
<table>
<thead><tr><th>id</th><th>kind</th><th>English</th><th>Spanish</th><th>segments en / es</th>
<th>reading en / es</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""


def _sheet_row(
    catalog: Catalog, message_id: str, measured: Mapping[tuple[str, str], TextReport]
) -> str:
    """One text's row, with its voice version below it in each language."""
    cells = [f'<td class="id">{html.escape(message_id)}</td>']
    cells.append(f"<td>{html.escape(kind_of(message_id))}</td>")
    voice_id = VOICE_PREFIX + message_id
    for language in LANGUAGES:
        words = html.escape(catalog.template(message_id, language))
        if voice_id in catalog.ids(language):
            spoken = html.escape(catalog.template(voice_id, language))
            words += f'<br><span class="voice">Call: {spoken}</span>'
        cells.append(f'<td lang="{language}">{words}</td>')
    rows = [measured.get((message_id, language)) for language in LANGUAGES]
    segments = [
        "-" if row is None else ("spoken" if row.budget is None else f"{row.segments}/{row.budget}")
        for row in rows
    ]
    scores = ["-" if row is None else f"{row.score:.1f}" for row in rows]
    failing = any(row is not None and row.problems for row in rows)
    mark = ' class="fail"' if failing else ""
    cells.append(f"<td{mark}>{' / '.join(segments)}</td>")
    cells.append(f"<td{mark}>{' / '.join(scores)}</td>")
    return "<tr>" + "".join(cells) + "</tr>"


def measured_rows(report_rows: list[TextReport]) -> dict[tuple[str, str], TextReport]:
    """The content check's rows by (id, language), pooled rows left out."""
    return {(row.message_id, row.language): row for row in report_rows if row.encoding}


def read_changes(catalog: Catalog, po_file: bytes) -> tuple[str, dict[str, str]]:
    """The language of a reviewed PO file and the texts it changes (id -> new words)."""
    try:
        po = read_po(io.BytesIO(po_file))
    except Exception as error:  # babel raises several kinds for a broken file
        raise ReviewError(f"the PO file cannot be read: {error}") from error
    language = str(po.locale) if po.locale else ""
    if language not in LANGUAGES:
        raise ReviewError(f"the PO file's language must be one of {', '.join(LANGUAGES)}")
    known = catalog.ids(language)
    changes: dict[str, str] = {}
    unknown: list[str] = []
    for message in po:
        if not message.id:
            continue  # the header
        message_id = str(message.context or "")
        if message_id not in known:
            unknown.append(message_id or str(message.id)[:40])
            continue
        words = " ".join(str(message.string or "").split())
        if words and words != catalog.template(message_id, language):
            changes[message_id] = words
    if unknown:
        raise ReviewError("the PO file names texts this catalog does not have", unknown)
    return language, changes


def import_po(directory: Path, po_file: bytes, deployment: Deployment) -> ImportResult:
    """Bring a reviewed PO file into the catalog at `directory`, only if the result passes the
    content check; raise ReviewError (and write nothing) otherwise."""
    before = Catalog.load(directory)
    language, changes = read_changes(before, po_file)
    result = ImportResult(language, changes, before.catalog_version, before.catalog_version)
    if not changes:
        return result
    with tempfile.TemporaryDirectory() as scratch:
        trial = Path(scratch) / "messages"
        for name in LANGUAGES:
            shutil.copytree(directory / name, trial / name)
        written = write_texts(trial / language, changes)
        try:
            after = Catalog.load(trial)
        except CatalogError as error:
            raise ReviewError(f"the changed catalog cannot be read: {error}") from error
        report = check_catalog(after, deployment(after))
        if not report.ok:
            raise ReviewError("the reviewed texts break the content check", report.problems)
        for path in written:
            shutil.copyfile(path, directory / language / path.name)
    result.version_after = Catalog.load(directory).catalog_version
    return result


def write_texts(folder: Path, changes: Mapping[str, str]) -> list[Path]:
    """Put new words for these ids into the YAML files of one language's folder; return the
    files changed. Comments, keywords and every other text stay as they were."""
    left = dict(changes)
    written = []
    for path in sorted(folder.glob("*.yaml")):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        replaced = list(_replace_texts(lines, left))
        if replaced != lines:
            path.write_text("".join(replaced), encoding="utf-8")
            written.append(path)
    if left:
        raise ReviewError("these texts are in no file of the catalog", sorted(left))
    return written


def _replace_texts(lines: list[str], left: dict[str, str]) -> Iterator[str]:
    """The file's lines with each changed text's block folded anew (ids found are removed)."""
    skipping = False
    for line in lines:
        if skipping:
            if line.startswith("    ") and line.strip():
                continue
            skipping = False
        key = line[2:].split(":", 1)[0] if line.startswith("  ") and line[2:3] != " " else ""
        if key in left and line.rstrip().endswith(": >-"):
            yield line
            words = left.pop(key)
            wrapped = textwrap.wrap(words, WRAP_WIDTH - 4, break_on_hyphens=False)
            yield from (f"    {part}\n" for part in wrapped)
            skipping = True
            continue
        yield line
