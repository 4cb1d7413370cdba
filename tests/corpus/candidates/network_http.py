# expect: forbidden call: network
import urllib.request

from pkg.calc import clamp


def test_clamp_and_fetch():
    urllib.request.urlopen("http://127.0.0.1:9/")
    assert clamp(-1, 0, 1) == 0
