"""What `notify` says about the mail server (E4): a server that does not offer what the
settings need is named with what it lacks; a recipient the server refuses is named in the
client log, also when the other addresses of the same message were taken."""

from tests.integration.test_notify import debtor, log_kinds, mail  # noqa: F401 - fixture


def test_a_login_set_for_a_server_without_auth_says_it_lacks_auth(cli, mail):  # noqa: F811
    cli.ok("config", "set", "smtp.user", "avisos")
    debtor(cli, "A1", "Ana", email="ana@example.com")
    cli.ok("enforce")
    result = cli("notify")
    assert result.exit_code == 3, result.stdout + result.stderr
    assert "does not offer AUTH" in result.stderr and "STARTTLS" not in result.stderr
    assert mail.inbox == [] and "notice.sent" not in log_kinds(cli, "A1")
    cli.ok("config", "set", "smtp.user", "")
    assert cli.json("notify")["sent"] == 1          # kept pending, sent once the login is dropped


def test_a_server_without_starttls_still_says_it_lacks_starttls(cli, mail):  # noqa: F811
    cli.ok("config", "set", "smtp.starttls", "yes")
    debtor(cli, "A1", "Ana", email="ana@example.com")
    cli.ok("enforce")
    result = cli("notify")
    assert result.exit_code == 3 and "does not offer STARTTLS" in result.stderr, result.stderr


def test_a_refused_recipient_beside_a_taken_one_is_named_in_the_client_log(cli, mail):  # noqa: F811
    mail.refuse.add("vieja@example.com")
    debtor(cli, "A1", "Ana", "1000", "ana@example.com, vieja@example.com")
    cli.ok("enforce")
    assert cli("notify").exit_code == 0
    assert [rcpts for _, rcpts, _ in mail.inbox] == [["ana@example.com"]]
    sent = [e["message"] for e in cli.json("client", "log", "A1") if e["kind"] == "notice.sent"]
    assert len(sent) == 1 and "refused vieja@example.com (550" in sent[0], sent
