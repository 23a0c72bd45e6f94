"""Control characters are refused where one line of text is stored, and in notes all but line
breaks and tabs (R12): they would break listings, CSV files and router comments."""

import pytest


@pytest.mark.parametrize("flags, field", [
    (("--name", "Ana\x01Gómez"), "name"),
    (("--name", "Ana\tGómez"), "name"),
    (("--nickname", "x\ny"), "nickname"),
    (("--address", "Calle\x1b[31m 5"), "address"),
    (("--contact", "a\x7fb"), "contact"),
])
def test_control_characters_in_client_fields_are_refused(cli, flags, field):
    refused = cli("client", "add", "--code", "A1", "--name", "Ana", *flags)
    assert refused.exit_code == 1 and field in refused.stderr and "control character" in refused.stderr
    assert refused.stderr.count("\n") == 1 and cli.json("client", "list") == []


def test_a_name_with_accents_and_a_no_break_space_is_kept(cli):
    cli.ok("client", "add", "--code", "A1", "--name", "José\u00a0Núñez")
    assert cli.json("client", "show", "A1")["name"] == "José\u00a0Núñez"


def test_notes_keep_line_breaks_and_refuse_other_controls(cli):
    cli.ok("client", "add", "--code", "A1", "--name", "Ana")
    cli.ok("client", "note", "add", "A1", "-", input="llamó el lunes\n\tdice que paga el viernes\n")
    refused = cli("client", "note", "add", "A1", "-", input="pitido \x07 aquí\n")
    assert refused.exit_code == 1 and "control character" in refused.stderr
    notes = [n["text"] for n in cli.json("client", "note", "list", "A1")]
    assert notes == ["llamó el lunes\n\tdice que paga el viernes"]
