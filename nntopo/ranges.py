"""Every number a user can give, and its range, in one table, and the checks that read it: the
config objects, the CSV reader and the CLI's help take their ranges from here.
"""

from __future__ import annotations

import numbers

from .errors import ConfigError

MAX_DIM = 256  # the widest representation the videos show (wider than 3: through a projection)
MAX_INPUT = 1024  # the widest input: a dense first layer narrows it (nets/reduce.py); MNIST is 784
MAX_SEED = 2**32 - 1  # seeds are 0 ... 2^32 - 1, like numpy's

# Every number a user can give, and its range: (lowest, highest, whether the lowest itself is
# allowed). The checks below and the CLI's errors read this table; nothing else states a range.
RANGES: dict[str, tuple[float, float, bool]] = {
    # the network (NetConfig)
    "in_dim": (1, MAX_INPUT, True), "layers": (0, 64, True), "width": (1, MAX_DIM, True), "anchors": (1, 256, True),
    "field_width": (0.0, 100.0, False),
    "augment": (0, MAX_DIM - 1, True),  # an ode layer's zeros: its state (input + zeros) is at most MAX_DIM wide
    # training (TrainConfig) and the data
    "steps": (1, 1_000_000, True), "restarts": (1, 100, True), "snapshot_every": (1, 1_000_000, True),
    "lr": (0.0, 10.0, False), "identity_l2": (0.0, 100.0, True), "init_scale": (0.0, 10.0, True),
    "contractive": (0.0, 100.0, True), "lipschitz": (0.0, 1e4, True), "lipschitz_target": (0.0, 100.0, False),
    "good_enough": (0.0, 1.0, True),
    "points": (2, 20_000, True),  # per class
    "classes": (2, 10, True),  # of a dataset of any number of classes (blobs), or a CSV's labels
    "seed": (0, MAX_SEED, True),
    # rendering (RenderOptions)
    "fps": (1, 120, True),
    "jobs": (1, 64, True),  # processes drawing a video's frames
    # nntopo knn
    "seeds": (1, 100, True), "epochs": (1, 1000, True), "k": (1, 1000, True),
}


def in_range(field: str, value):
    """`value` if it is a number in RANGES[field] (NaN never is; a whole number where both ends
    are), else a ConfigError saying the range."""
    lo, hi, closed = RANGES[field]
    whole = isinstance(lo, int) and isinstance(hi, int)
    kind = numbers.Integral if whole else numbers.Real
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ConfigError(field, repr(value), f"must be {'a whole number' if whole else 'a number'} "
                          + range_text(field))
    if not ((lo <= value if closed else lo < value) and value <= hi):
        raise ConfigError(field, value, "must be " + range_text(field))
    return value


def range_text(field: str) -> str:
    """RANGES[field] in words: 'between 1 and 256', 'above 0 and at most 100'."""
    lo, hi, closed = RANGES[field]
    num = [str(int(v)) if float(v).is_integer() else f"{v:g}" for v in (lo, hi)]
    return f"between {num[0]} and {num[1]}" if closed else f"above {num[0]} and at most {num[1]}"


def one_of(field: str, value, choices) -> None:
    if value not in choices:
        raise ConfigError(field, repr(value), f"expected one of {', '.join(map(str, choices))}")
