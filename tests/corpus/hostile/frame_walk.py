# expect: forbidden
from pkg.calc import clamp


def test_clamp_from_the_runner_s_frames():
    try:
        raise ValueError
    except ValueError as exc:
        frame = exc.__traceback__.tb_frame.f_back
    frame.f_globals['_STATE'].active = None
    assert clamp(-1, 0, 1) == 0
