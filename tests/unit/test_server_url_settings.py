"""The settings that name a server (geocode.url, mercadopago.url, afip.wsaa_url, afip.wsfe_url)
take an http(s) address with a host and a real port, and never one holding a password: the
value is printed by `config list` and in every error about its server."""

import pytest

from ispcube.domain.settings import setting
from ispcube.errors import Invalid

KEYS = ("geocode.url", "mercadopago.url", "afip.wsaa_url", "afip.wsfe_url")


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("url", ["https://wsaahomo.afip.gov.ar/ws/services/LoginCms", "http://127.0.0.1:18443/x",
                                 "http://[::1]:8080/wsfev1/service.asmx", "https://api.example.net:65535"])
def test_an_address_is_kept(key, url):
    assert setting(key).parse(url + "/") == url


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/x", "http://127.0.0.1:0/x", "http://127.0.0.1:abc/x",
                                 "http://[::1/x", "http://a..b/x", "http://a b/x", "ftp://127.0.0.1/x", "http://",
                                 "127.0.0.1:8080"])
def test_what_is_not_an_address_is_refused_naming_it(key, url):
    with pytest.raises(Invalid) as refused:
        setting(key).parse(url)
    assert str(refused.value) == (f"'{url}' is not an http:// or https:// address such as "
                                  "https://server.example.net/path")


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("url", ["http://ana:s3cr3t@127.0.0.1:1/x", "https://ana:s3cr3t@afip.example:abc/x",
                                 "https://s3cr3t@afip.example/x"])
def test_an_address_holding_a_password_is_refused_without_repeating_it(key, url):
    with pytest.raises(Invalid) as refused:
        setting(key).parse(url)
    assert "holds a user name or password" in str(refused.value)
    assert "s3cr3t" not in str(refused.value)
