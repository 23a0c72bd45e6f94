"""Phones as people write them (U3) through `client add`, `client edit` and `client import`."""


def test_phones_are_taken_as_written_stored_once_and_found_by_their_digits(cli, tmp_path):
    cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--phone", "(02255) 46-1950; 011 4555-1234 int 23")
    assert cli.json("client", "show", "A1")["phones"] == ["02255 46-1950", "011 4555-1234 ext 23"]
    assert [c["code"] for c in cli.json("client", "list", "--search", "02255461950")] == ["A1"]
    cli.ok("client", "edit", "A1", "--phone", "+54 9 11 4555-1234")
    assert cli.json("client", "show", "A1")["phones"] == ["+54 9 11 4555-1234"]
    (tmp_path / "c.csv").write_text("codigo;nombre;telefono\nB1;Beto;(0351) 455.1234 interno 7\n", encoding="utf-8")
    cli.ok("client", "import", str(tmp_path / "c.csv"))
    assert cli.json("client", "show", "B1")["phones"] == ["0351 455-1234 ext 7"]


def test_a_bad_phone_is_refused_naming_it_and_nothing_changes(cli):
    refused = cli("client", "add", "--code", "A1", "--name", "Ana", "--phone", "(011 4555-1234")
    assert refused.exit_code == 1 and "phone '(011 4555-1234': is not a phone number" in refused.stderr
    assert cli.json("client", "list") == []
