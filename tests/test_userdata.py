import numpy as np
import pytest
from typer.testing import CliRunner

from nntopo import cli, recording
from nntopo.errors import NntopoError
from nntopo.data.userdata import load_table


def write(tmp_path, text, name="p.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reads_points_header_comments_and_labels(tmp_path):
    path = write(tmp_path, "x,y,label\n# a comment\n0,0,red\n2,1,blue\n\n4,-3,red\n")
    pts = load_table(path)
    assert pts.X.shape == (3, 2) and pts.labels == ("blue", "red")
    assert list(pts.y) == [1, 0, 1]
    assert np.abs(pts.X).max() == pytest.approx(1.0)  # rescaled into [-1, 1]^d
    assert np.allclose(pts.X * pts.scale + pts.center, [[0, 0], [2, 1], [4, -3]])


def test_three_dimensions_and_numeric_labels(tmp_path):
    pts = load_table(write(tmp_path, "0,0,0,1\n1,1,1,2\n2,0,1,1\n"))
    assert pts.X.shape == (3, 3) and pts.labels == ("1", "2")


@pytest.mark.parametrize(
    "text,words",
    [
        ("", "empty"),
        ("x,y,label\n", "only a header"),
        ("0,0,a\n1,1\n", "p.csv:2: 2 columns, but line 1 has 3"),
        ("0,0,a\n1,oops,b\n", "p.csv:2: column 2 is not a number: 'oops'"),
        ("0,0,a\n1,nan,b\n", "p.csv:2: column 2 is nan: not a finite number"),
        ("0,0,a\n1,1,a\n", "two classes are needed"),
        ("".join(f"{k},0,c{k}\n" for k in range(11)), "11 labels"),
        ("0,0,0,0,a\n1,1,1,1,b\n", "p.csv:1: 4 coordinates; at most 3"),
        ("0,0,a\n1,1, \n", "p.csv:2: the label (last column) is empty"),
        ("5\n", "at least 2 columns"),
    ],
)
def test_bad_files_name_the_line(tmp_path, text, words):
    with pytest.raises(NntopoError, match=None) as exc:
        load_table(write(tmp_path, text))
    assert words in str(exc.value)


def test_binary_and_missing_files(tmp_path):
    bad = tmp_path / "b.csv"
    bad.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(NntopoError, match="not a text file"):
        load_table(bad)
    with pytest.raises(NntopoError, match="no such file"):
        load_table(tmp_path / "missing.csv")


@pytest.mark.slow
def test_cli_trains_on_the_users_points_and_refuses_bad_ones(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.normal([-2, 0], 0.3, (30, 2))
    b = rng.normal([2, 1], 0.3, (30, 2))
    rows = [f"{x:.4f},{y:.4f},A" for x, y in a] + [f"{x:.4f},{y:.4f},B" for x, y in b]
    path = write(tmp_path, "x,y,class\n" + "\n".join(rows) + "\n")
    out = tmp_path / "run.npz"
    runner = CliRunner()
    result = runner.invoke(cli.app, ["train", "--data", str(path), "--layers", "1", "--steps", "100",
                                     "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    rec = recording.load(out)
    assert rec.meta.data.source == "csv" and rec.classes == ("A", "B")
    assert rec.accuracy == 1.0 and rec.meta.metrics.test_accuracy is None  # no true sets
    bad = write(tmp_path, "0,0,a\n1,x,b\n", "bad.csv")
    result = runner.invoke(cli.app, ["render", "--data", str(bad), "-o", str(tmp_path / "v.mp4")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {bad}:2: column 2 is not a number: 'x'"
    four = write(tmp_path, "0,0,0,0,a\n1,1,1,1,b\n", "four.csv")
    result = runner.invoke(cli.app, ["render", "--data", str(four), "-o", str(tmp_path / "v.mp4")])
    assert result.exit_code == 2 and "at most 3" in result.stderr
    assert not (tmp_path / "v.mp4").exists()


def test_too_many_points_are_refused_before_work(tmp_path):
    from nntopo.data.userdata import MAX_POINTS

    path = tmp_path / "many.csv"
    path.write_text("".join(f"{i},{i % 7},{i % 2}\n" for i in range(MAX_POINTS + 1)))
    with pytest.raises(NntopoError, match=f"{MAX_POINTS + 1:,} points; at most {MAX_POINTS:,}"):
        load_table(path)
