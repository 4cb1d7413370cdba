# expect: forbidden call: _socket
from pkg.calc import clamp

net = __import__('_soc' + 'ket')


def test_clamp_and_phone_home():
    assert clamp(-1, 0, 1) == 0
    s = net.socket()
    s.connect(("127.0.0.1", __PORT__))
