"""Shell completion (`ispcube completion bash|zsh|fish` and Click's _ISPCUBE_COMPLETE protocol),
run as the shell runs it: a fresh process of the installed command."""

import os
from pathlib import Path
import shutil
import subprocess
import sys

import pytest

ISPCUBE = str(Path(sys.executable).parent / "ispcube")


def ispcube(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([ISPCUBE, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **env})


def complete(words: str, shell: str = "bash") -> list[str]:
    """What the shell would offer for the last word of WORDS (the one being typed)."""
    cword = str(len(words.split()) - 1) if shell != "fish" else words.split()[-1]
    done = ispcube(_ISPCUBE_COMPLETE=f"{shell}_complete", COMP_WORDS=words, COMP_CWORD=cword)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_the_bash_script_is_valid_bash_and_names_the_protocol():
    script = ispcube("completion", "bash")
    assert script.returncode == 0, script.stderr
    assert "_ISPCUBE_COMPLETE=bash_complete" in script.stdout
    assert subprocess.run(["bash", "-n"], input=script.stdout, text=True).returncode == 0


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts(shell):
    script = ispcube("completion", shell)
    assert script.returncode == 0 and f"_ISPCUBE_COMPLETE={shell}_complete" in script.stdout
    if shutil.which(shell):
        assert subprocess.run([shell, "-n"], input=script.stdout, text=True).returncode == 0


def test_the_env_var_source_instruction_prints_the_same_script():
    sourced = ispcube(_ISPCUBE_COMPLETE="bash_source")
    assert sourced.returncode == 0 and "complete -o nosort -F _ispcube_completion ispcube" in sourced.stdout
    assert sourced.stdout == ispcube("completion", "bash").stdout


def test_completing_a_noun_offers_client():
    assert "plain,client" in complete("ispcube cli")


def test_completing_inside_a_noun_offers_its_commands_with_the_reduced_app():
    assert complete("ispcube client sh") == ["plain,show"]
    assert "plain,webpass" in complete("ispcube --db x.db client --format json w")
    offered = complete("ispcube client no", "zsh")
    assert "note" in offered
    assert [line.split("\t")[0] for line in complete("ispcube client webpass ch", "fish")] == ["plain,check"]


def test_an_unknown_shell_is_a_usage_error():
    done = ispcube("completion", "tcsh")
    assert done.returncode == 2 and done.stderr == "ispcube: shell 'tcsh' is not one of bash, zsh, fish\n"
    bad = ispcube(_ISPCUBE_COMPLETE="bash_frobnicate")
    assert bad.returncode == 2 and "bash_complete" in bad.stderr


def _values(words: str, **env: str) -> list[str]:
    cword = str(len(words.split()) - (0 if words.endswith(" ") else 1))    # a trailing space: a new empty word
    done = ispcube(_ISPCUBE_COMPLETE="bash_complete", COMP_WORDS=words, COMP_CWORD=cword, **env)
    assert done.returncode == 0 and not done.stderr, done.stderr
    return [line.removeprefix("plain,") for line in done.stdout.splitlines() if line]


def test_option_values_complete_with_their_words():
    assert _values("ispcube client list --format j") == ["json"]
    assert _values("ispcube --format c") == ["csv"]
    assert _values("ispcube client list --service t") == ["throttled"]
    assert _values("ispcube export clients --service ") == ["active", "throttled", "cut", "deleted"]
    assert _values("ispcube pay A1 --method tr") == ["transfer"]
    assert _values("ispcube client list --payment-method mer") == ["mercadopago"]


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('completion') / 'isp.db'}"
    for args in (["init"], ["client", "add", "--code", "ANA1", "--name", "Ana"],
                 ["client", "add", "--code", "ANB2", "--name", "Beto"],
                 ["client", "add", "--code", "X9", "--name", "X"],
                 ["client", "add", "--code", "ANZ", "--name", "Borrado"], ["--yes", "client", "delete", "ANZ"],
                 ["router", "add", "core", "--kind", "mikrotik", "--host", "10.9.0.1"],
                 ["router", "add", "cola", "--kind", "mikrotik", "--host", "10.9.0.2"],
                 ["router", "add", "norte", "--kind", "radius", "--host", "10.9.0.3"]):
        done = ispcube("--db", url, *args)
        assert done.returncode == 0, done.stderr
    return url


def test_client_codes_complete_from_the_database_the_line_names(shop):
    assert _values(f"ispcube --db {shop} client show AN") == ["ANA1", "ANB2"]          # not the deleted ANZ
    assert _values(f"ispcube --db {shop} ledger show X9 AN") == ["ANA1", "ANB2"]
    assert _values(f"ispcube --db {shop} connection list --client X") == ["X9"]
    assert _values("ispcube client show AN", ISPCUBE_DATABASE_URL=shop) == ["ANA1", "ANB2"]


def test_router_names_complete(shop):
    assert _values(f"ispcube --db {shop} enforce --router co") == ["cola", "core"]
    assert _values(f"ispcube --db {shop} router test n") == ["norte"]
    assert _values(f"ispcube --db {shop} connection add ANA1 --router ") == ["cola", "core", "norte"]


def test_a_database_that_cannot_be_opened_completes_nothing_quietly(tmp_path):
    assert _values(f"ispcube --db {tmp_path / 'missing.db'} client show A") == []
