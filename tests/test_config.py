"""The config objects check every option once: the API raises what the CLI prints."""

import pytest
from typer.testing import CliRunner

from nntopo import cli
from nntopo.config import QUALITIES, RANGES, DataConfig, NetConfig, RenderOptions, TrainConfig, in_range
from nntopo.errors import ConfigError, NntopoError


@pytest.mark.parametrize("make,field,words", [
    (lambda: NetConfig(2, -1, 2), "layers", "layers -1: must be between 0 and 64"),
    (lambda: NetConfig(2, 2, 0), "width", "width 0: must be between 1 and 256"),
    (lambda: NetConfig(2, 2, 257), "width", "width 257: must be between 1 and 256"),
    (lambda: RenderOptions(view="4d"), "view", "expected one of 3d, 2d"),
    (lambda: NetConfig(2, 2, 2, "swish"), "activation", "expected one of tanh, sigmoid"),
    (lambda: NetConfig(2, 3, 2, "tanh", ("dense", "dense")), "layer_types", "given 2 times"),
    (lambda: NetConfig(2, 1, 2, "tanh", ("rbf",)), "layer_types", "expected one of dense, vector-field"),
    (lambda: NetConfig(2, 1, 2, anchors=0), "anchors", "anchors 0: must be between 1 and 256"),
    (lambda: NetConfig(2, 1, 2, field_width=0.0), "field_width", "field_width 0.0: must be above 0 and at most 100"),
    (lambda: TrainConfig(steps=0), "steps", "steps 0: must be between 1 and 1000000"),
    (lambda: TrainConfig(lr=-1.0), "lr", "lr -1.0: must be above 0 and at most 10"),
    (lambda: TrainConfig(contractive=-0.1), "contractive", "contractive -0.1: must be between 0 and 100"),
    (lambda: RenderOptions(quality="8k"), "quality", "expected one of low, medium, high, 4k"),
    (lambda: RenderOptions(fps=0), "fps", "fps 0: must be between 1 and 120"),
    (lambda: RenderOptions(format="mp4", transparent=True), "transparent", "mp4 has no alpha channel"),
    (lambda: RenderOptions(format="gif", background="transparent"), "transparent", "gif has no alpha"),
    (lambda: RenderOptions(all_frames=True), "all_frames", "only with format png"),
    (lambda: DataConfig("spirals", seed=2**32), "seed", "must be between 0 and 4294967295"),
])
def test_the_api_refuses_with_the_words_the_cli_prints(make, field, words):
    with pytest.raises(ConfigError) as e:
        make()
    assert e.value.field == field and words in str(e.value)
    assert isinstance(e.value, NntopoError) and isinstance(e.value, ValueError)


def test_the_cli_names_the_option_in_the_same_words():
    with pytest.raises(ConfigError) as e:
        NetConfig(2, 2, 0)
    result = CliRunner().invoke(cli.app, ["render", "spirals", "--width", "0"])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: --{e.value.field} {e.value.value}: {e.value.rule}"


def test_render_options_derive_what_the_renderer_needs():
    assert RenderOptions().size == (854, 480) and RenderOptions().frame_rate == 15
    assert RenderOptions(quality="high", aspect="1:1").size == (1080, 1080)
    assert RenderOptions(quality="4k", fps=24).frame_rate == 24
    opts = RenderOptions(format="webm", background="transparent")
    assert opts.transparent and opts.theme == "light"
    assert RenderOptions(background="dark").theme == "dark"


def test_quality_sizes_are_even():
    assert all(w % 2 == 0 and h % 2 == 0 for w, h, _ in QUALITIES.values())
    for q in QUALITIES:
        for aspect in ("16:9", "4:3", "1:1"):
            w, h = RenderOptions(quality=q, aspect=aspect).size
            assert w % 2 == 0 and h % 2 == 0


# Every entry of RANGES, just past each end: the object that owns the number refuses it.
OWNERS = {
    "in_dim": lambda v: NetConfig(v, 1, 2), "layers": lambda v: NetConfig(2, v, 2), "width": lambda v: NetConfig(2, 0, v),
    "anchors": lambda v: NetConfig(2, 1, 2, anchors=v), "field_width": lambda v: NetConfig(2, 1, 2, field_width=v),
    "augment": lambda v: NetConfig(1, 1, 2, layer_types=("ode",), augment=v),  # 1 input: 255 zeros fit
    "points": lambda v: DataConfig("spirals", points=v), "seed": lambda v: DataConfig("spirals", seed=v),
    "classes": lambda v: DataConfig("blobs", classes=v), "fps": lambda v: RenderOptions(fps=v),
    "jobs": lambda v: RenderOptions(jobs=v),
    **{name: (lambda name: lambda v: TrainConfig(**{name: v}))(name) for name in
       ("steps", "restarts", "snapshot_every", "lr", "identity_l2", "init_scale", "contractive", "lipschitz",
        "lipschitz_target", "good_enough")},
    **{name: (lambda name: lambda v: in_range(name, v))(name) for name in ("seeds", "epochs", "k")},
}


@pytest.mark.parametrize("field", sorted(RANGES))
def test_every_range_is_checked_at_both_ends(field):
    lo, hi, closed = RANGES[field]
    make = OWNERS[field]
    integer = isinstance(hi, int) and isinstance(lo, int)
    step = 1 if integer else 1e-9 * max(1.0, abs(hi))
    make(lo if closed else lo + step)  # the ends themselves are accepted
    make(hi)
    for bad in ([lo - step if closed else lo, hi + step] + ([] if integer else [float("nan"), float("inf")])):
        with pytest.raises(ConfigError) as e:
            make(bad)
        assert e.value.field == field and "must be" in e.value.rule
