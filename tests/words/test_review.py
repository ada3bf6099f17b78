"""`boneline content export` and `import`: the catalog out for review, a reviewed PO back in."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from click.testing import CliRunner

from messages import CATALOG_DIR
from service.tools.cli import main
from service.words.catalog import Catalog

NEW_CHIA = "{program}: La chía tiene calcio. Ponga una cucharada en su yogur hoy."


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped catalog to import into."""
    target = tmp_path / "messages"
    for language in ("en", "es"):
        shutil.copytree(CATALOG_DIR / language, target / language)
    return target


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped catalog exported once for this module's tests."""
    out = tmp_path_factory.mktemp("review")
    export(CATALOG_DIR, out)
    return out


def reviewed_po(exported: Path, tmp_path: Path) -> Path:
    """A private copy of the exported Spanish PO file to edit."""
    copy = tmp_path / "es.po"
    shutil.copyfile(exported / "es.po", copy)
    return copy


def export(catalog_dir: Path, out: Path) -> None:
    """Run `boneline content export` on a catalog folder."""
    result = CliRunner().invoke(
        main, ["content", "export", "--out", str(out), "--catalog", str(catalog_dir)]
    )
    assert result.exit_code == 0, result.output
    assert f"catalog version {Catalog.load(catalog_dir).catalog_version}" in result.output


def edit(po_path: Path, message_id: str, words: str) -> None:
    """Change one entry's translation, as a translator's PO editor would."""
    po = read_po(io.BytesIO(po_path.read_bytes()))
    [entry] = [message for message in po if message.context == message_id]
    entry.string = words
    out = io.BytesIO()
    write_po(out, po, width=76)
    po_path.write_bytes(out.getvalue())


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every catalog file's bytes."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*.yaml")}


def test_export_writes_a_po_per_language_and_a_review_sheet(exported: Path) -> None:
    out = exported
    catalog = Catalog.load(CATALOG_DIR)
    spanish = read_po(io.BytesIO((out / "es.po").read_bytes()))
    assert str(spanish.locale) == "es"
    assert catalog.catalog_version in str(spanish.version)
    entries = {message.context: message for message in spanish if message.id}
    assert set(entries) == catalog.ids("es")
    chia = entries["reminder.calcium.chia"]
    assert chia.id == catalog.template("reminder.calcium.chia", "en")
    assert chia.string == catalog.template("reminder.calcium.chia", "es")
    assert "kind: scheduled reminder (text)" in chia.auto_comments
    assert any("1 of 1 SMS segments as sent (GSM-7)" in note for note in chia.auto_comments)
    sheet = (out / "review.html").read_text(encoding="utf-8")
    assert '<td class="id">reminder.calcium.chia</td>' in sheet
    assert "Call: Las semillas de chía tienen calcio." in sheet
    assert '<td class="id">voice.reminder.calcium.chia</td>' not in sheet  # shown beside its text


def test_an_edited_po_comes_back_in_and_changes_only_that_text(
    catalog_copy: Path, exported: Path, tmp_path: Path
) -> None:
    before = Catalog.load(catalog_copy)
    po = reviewed_po(exported, tmp_path)
    edit(po, "reminder.calcium.chia", NEW_CHIA)
    result = CliRunner().invoke(
        main, ["content", "import", str(po), "--catalog", str(catalog_copy)]
    )
    assert result.exit_code == 0, result.output
    after = Catalog.load(catalog_copy)
    assert "changed reminder.calcium.chia [es]" in result.output
    assert f"catalog version {before.catalog_version} -> {after.catalog_version}" in result.output
    assert after.template("reminder.calcium.chia", "es") == " ".join(NEW_CHIA.split())
    for language in ("en", "es"):
        for message_id in before.ids(language) - {"reminder.calcium.chia"}:
            assert after.template(message_id, language) == before.template(message_id, language)
    reminders = (catalog_copy / "es" / "reminders.yaml").read_text(encoding="utf-8")
    assert reminders.startswith("# Recordatorios y preguntas programadas")  # comments kept
    again = CliRunner().invoke(main, ["content", "import", str(po), "--catalog", str(catalog_copy)])
    assert "no text changed" in again.output


@pytest.mark.parametrize(
    ("message_id", "words", "problem"),
    [
        (
            "reminder.calcium.chia",
            "{program}: " + "Coma más calcio con cada comida del día. " * 5,
            "reminder.calcium.chia [es]: 2 segments (GSM-7); the limit is 1",
        ),
        (
            "help.reply",
            "{program} manda consejos. Ayuda: {support}.",
            "help.reply [es]: missing required item: frequency",
        ),
        (
            "enroll.ask_channel",
            "Listo. ¿Cómo quiere sus recordatorios?",
            "enroll.ask_channel: placeholders differ: en ['date'], es []",
        ),
    ],
)
def test_a_reviewed_text_that_fails_the_check_is_refused_and_nothing_is_written(
    catalog_copy: Path,
    exported: Path,
    tmp_path: Path,
    message_id: str,
    words: str,
    problem: str,
) -> None:
    po = reviewed_po(exported, tmp_path)
    edit(po, message_id, words)
    files = snapshot(catalog_copy)
    result = CliRunner().invoke(
        main, ["content", "import", str(po), "--catalog", str(catalog_copy)]
    )
    assert result.exit_code == 1
    assert "nothing was changed" in result.output and problem in result.output
    assert snapshot(catalog_copy) == files


def test_a_po_naming_a_text_the_catalog_lacks_is_refused(
    catalog_copy: Path, exported: Path, tmp_path: Path
) -> None:
    po = reviewed_po(exported, tmp_path)
    text = po.read_text(encoding="utf-8")
    po.write_text(text.replace('msgctxt "topic.tests"', 'msgctxt "topic.gone"'), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["content", "import", str(po), "--catalog", str(catalog_copy)]
    )
    assert result.exit_code == 1 and "topic.gone" in result.output
