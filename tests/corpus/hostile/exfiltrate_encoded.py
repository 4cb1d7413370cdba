# expect: failed | possible bug
# Suppose the token had leaked: its base64 and URL-encoded forms come back in the failure
# message, which is repair feedback and may reach a comment. They must arrive redacted.
import base64
import urllib.parse

from pkg.calc import clamp

TOKEN = '__TOKEN__'


def test_clamp_reports_the_token():
    b64 = base64.b64encode(('x-access-token:' + TOKEN).encode()).decode()
    url = urllib.parse.quote(TOKEN, safe='')
    assert clamp(-1, 0, 1) == 1, f'{b64} {url} {TOKEN.encode().hex()}'
