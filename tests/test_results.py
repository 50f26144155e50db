"""The rows of a sweep: written atomically as Parquet or CSV, read back with their types, and the
table and plot read off them."""

import pytest

from nntopo.studies import results
from nntopo.errors import NntopoError


def rows():
    base = dict(dataset="circles", activation="tanh", layer_type="dense", steps=60, points=30, classes=None,
                data=None, homeomorphism=True, det_signs="+", homeomorphisms="1", worker="w:1", seconds=1.5)
    out = []
    for layers, width, seed, err in [(1, 2, 0, 0.10), (1, 2, 1, 0.20), (1, 3, 0, 0.0), (2, 2, 0, 0.05)]:
        out.append({**base, "key": f"k{layers}{width}{seed}", "layers": layers, "width": width, "seed": seed,
                    "train_accuracy": 1 - err, "test_error": err, "separable_after": None, "error": None})
    out.append({**base, "key": "bad", "layers": 3, "width": 2, "seed": 0, "error": "RuntimeError: boom"})
    return out


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_rows_round_trip_with_their_types(tmp_path, suffix):
    path = results.write(rows(), tmp_path / f"r{suffix}")
    back = results.read(path)
    assert len(back) == 5 and list(back[0]) == list(results.COLUMNS)
    assert back[0]["layers"] == 1 and back[0]["test_error"] == 0.10 and back[0]["homeomorphism"] is True
    assert back[0]["separable_after"] is None and back[4]["train_accuracy"] is None
    assert [p.name for p in tmp_path.iterdir()] == [f"r{suffix}"]  # no temporary file left


def test_the_table_gives_mean_and_range_per_depth_and_width():
    table = results.markdown(rows())
    assert "| 1 | 15.0% (10.0–20.0, n=2) | 0.0% (0.0–0.0, n=1) |" in table
    assert "| 2 | 5.0% (5.0–5.0, n=1) |  |" in table
    assert "1 cell failed" in table


def test_the_plot_is_written(tmp_path):
    path = results.plot(rows(), tmp_path / "p.svg")
    assert path.read_text().lstrip().startswith("<?xml")


def test_what_is_not_a_results_file_is_one_line(tmp_path):
    with pytest.raises(NntopoError, match="results are written as .parquet or .csv"):
        results.write(rows(), tmp_path / "r.txt")
    with pytest.raises(NntopoError, match="no such file"):
        results.read(tmp_path / "none.parquet")
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"not parquet")
    with pytest.raises(NntopoError, match="not a results file of nntopo sweep"):
        results.read(junk)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(NntopoError, match="not a results file of nntopo sweep"):
        results.read(other)


def test_a_row_without_numbers_is_left_out_of_the_table(tmp_path):
    path = tmp_path / "edited.csv"
    path.write_text(",".join(results.COLUMNS) + "\n" + "k,circles,1,2,tanh,dense,0" + "," * (len(results.COLUMNS) - 7) + "\n")
    rows = results.read(path)
    assert rows[0]["layers"] == 1 and rows[0]["train_accuracy"] is None
    assert results.markdown(rows) == "no finished cells\n"
