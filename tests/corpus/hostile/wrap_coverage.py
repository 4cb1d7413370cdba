# expect: forbidden
from pkg.calc import clamp


def test_clamp_claims_every_line(monkeypatch):
    monkeypatch.setattr('tta_ci.validate.plugin._coverage_by_context',
                        lambda cov: {'x': {'lines': list(range(1, 40)), 'arcs': []}})
    assert clamp(5, 0, 10) == 5
