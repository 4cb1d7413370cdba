"""A small module whose clamp() and percent_of() were just changed."""

STATE = {"scale": 1}


def add(a, b):
    return a + b


def scale(x):
    return x * STATE["scale"]


def clamp(value, low, high):
    if low > high:
        raise ValueError("low must not exceed high")
    if value < low:
        return low
    if value > high:
        return high
    return value


def percent_of(total, part):
    if total == 0:
        return 0.0
    return part / total * 10
