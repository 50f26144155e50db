import json

import pytest

from nntopo.catalogue import figures, gallery
from nntopo.catalogue.figures import FIGURES


def fake_figure(folder, name, holds=True, video=b"not a video"):
    (folder / f"{name}.mp4").write_bytes(video)
    (folder / f"{name}.png").write_bytes(b"")
    figures.sidecar(folder / f"{name}.mp4", FIGURES[name],
                    [{"train_accuracy": 0.5, "test_accuracy": 0.25, "test_points": 40000,
                      "max_stretch": 3.0}], holds)


def test_page_lists_rendered_figures_in_catalogue_order(tmp_path):
    fake_figure(tmp_path, "spirals")
    fake_figure(tmp_path, "linear-curves", holds=False)
    page = gallery.write_gallery(tmp_path).read_text()
    assert page.index('id="linear-curves"') < page.index('id="spirals"')
    assert 'id="circles-2"' not in page  # not rendered here
    assert FIGURES["spirals"].claim in page and "training 50.0%, test 25.00% (40,000 fresh points)" in page
    assert "does not hold" in page and page.count("<video") == 2
    assert "http://" not in page and "https://" not in page and "<script" not in page  # offline
    sidecar = json.loads((tmp_path / "spirals.json").read_text())
    assert sidecar["holds"] and sidecar["video"] == "spirals.mp4"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.render
def test_the_browser_check_catches_a_broken_video(tmp_path, chromium):
    from helpers import check_in_chromium

    fake_figure(tmp_path, "spirals")
    with pytest.raises(AssertionError):
        check_in_chromium(gallery.write_gallery(tmp_path), n_videos=1)


@pytest.mark.parametrize("text", [
    "", "{", "[]", "null", '{"holds": "yes"}', '{"holds": true, "runs": 3, "poster": "p", "video": "v", "claim": "c"}',
    '{"holds": true, "runs": [{"train_accuracy": "x"}], "poster": "p", "video": "v", "claim": "c"}',
    '{"holds": true, "runs": [{}], "poster": "p", "video": "v", "claim": "c"}', "\udcff" * 3, "[" * 100000,
])
def test_a_damaged_sidecar_is_refused_naming_it(tmp_path, text):
    """Found while fuzzing the commands by hand: a sidecar of junk ended in KeyError or JSONDecodeError."""
    fake_figure(tmp_path, "spirals")
    (tmp_path / "spirals.json").write_text(text, errors="surrogateescape")
    with pytest.raises(gallery.NntopoError, match=r"spirals.json: not the sidecar `nntopo figure` writes"):
        gallery.write_gallery(tmp_path)
    assert not (tmp_path / "index.html").exists()
