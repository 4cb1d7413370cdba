# expect: forbidden call: socket
import socket

from pkg.calc import clamp


def test_clamp_and_phone_home():
    socket.create_connection(("127.0.0.1", 9), timeout=1)
    assert clamp(-1, 0, 1) == 0
