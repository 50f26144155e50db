import hashlib
import warnings

import numpy as np
import pytest
from typer.testing import CliRunner

from nntopo import cli, recording
from nntopo.data import userdata
from nntopo.errors import NntopoError
from nntopo.data.userdata import MAX_FEATURES, load_table, normalize


def write(tmp_path, text, name="p.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def refused(path, **kw) -> str:
    """The one-line message load_table gives for `path`, with every warning an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(NntopoError) as exc:
            load_table(path, **kw)
    message = str(exc.value)
    assert "\n" not in message and message.startswith(str(path))
    return message


def loaded(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return load_table(path, **kw)


def roundtrip(table, X_file):
    assert np.abs(table.X * table.scale + table.center - np.asarray(X_file, float)).max() < 1e-12


def test_reads_points_header_comments_and_labels(tmp_path):
    path = write(tmp_path, "x,y,label\n# a comment\n0,0,red\n2,1,blue\n\n4,-3,red\n")
    pts = loaded(path)
    assert pts.X.shape == (3, 2) and pts.labels == ("blue", "red") and pts.features == ("x", "y")
    assert list(pts.y) == [1, 0, 1]
    assert np.abs(pts.X).max() == pytest.approx(1.0)  # rescaled into [-1, 1]^d
    assert pts.scale.shape == (2,) and pts.scale[0] == pts.scale[1] and not pts.per_column
    roundtrip(pts, [[0, 0], [2, 1], [4, -3]])
    assert pts.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_one_to_three_dimensions_keep_one_factor(tmp_path):
    pts = loaded(write(tmp_path, "0,0,0,1\n1,1,1,2\n2,0,1,1\n"))  # no header: the first row is a point
    assert pts.X.shape == (3, 3) and pts.labels == ("1", "2") and pts.features == ("x", "y", "z")
    X_file = [[0, 0, 0], [1, 1, 1], [2, 0, 1]]
    assert np.all(pts.scale == pts.scale[0]) and pts.scale[0] == pytest.approx(1.0)  # the widest range, x
    roundtrip(pts, X_file)
    one = loaded(write(tmp_path, "t,class\n3.5,a\n-1.25,b\n10,a\n", "one.csv"))
    assert one.features == ("t",) and one.X.shape == (3, 1) and one.scale.shape == (1,)
    roundtrip(one, [[3.5], [-1.25], [10]])
    assert np.abs(one.X).max() == 1.0


def test_labels_sort_integers_numerically_then_words(tmp_path):
    pts = loaded(write(tmp_path, "0,10\n1,9\n2,b\n3,a\n4,9\n"))
    assert pts.labels == ("9", "10", "a", "b") and list(pts.y) == [1, 0, 3, 2, 0]


IRIS = """sepal length,sepal width,petal length,petal width,lab,species
5.1,3.5,1.4,0.2,7,setosa
4.9,3.0,1.4,0.2,7,setosa
7.0,3.2,4.7,1.4,7,versicolor
6.4,3.2,4.5,1.5,7,versicolor
6.3,3.3,6.0,2.5,7,virginica
5.8,2.7,5.1,1.9,7,virginica
"""


def test_four_features_with_a_header_scale_per_column(tmp_path):
    pts = loaded(write(tmp_path, IRIS))
    X_file = np.array([[float(c) for c in r.split(",")[:5]] for r in IRIS.splitlines()[1:]])
    assert pts.features == ("sepal length", "sepal width", "petal length", "petal width", "lab")
    assert pts.labels == ("setosa", "versicolor", "virginica") and list(pts.y) == [0, 0, 1, 1, 2, 2]
    assert pts.per_column and pts.X.shape == (6, 5) and not np.isnan(pts.X).any()
    assert np.allclose(pts.X[:, :4].min(0), -1) and np.allclose(pts.X[:, :4].max(0), 1)  # each column fills [-1, 1]
    assert pts.scale[4] == 1.0 and np.all(pts.X[:, 4] == 0) and pts.center[4] == 7  # the constant column
    assert np.allclose(pts.scale[:4], (X_file.max(0) - X_file.min(0))[:4] / 2)
    roundtrip(pts, X_file)


def test_the_label_column_named_in_the_middle(tmp_path):
    path = write(tmp_path, "a,kind,b\n0,cat,5\n1,dog,6\n2,cat,8\n")
    pts = loaded(path, label="kind")
    assert pts.features == ("a", "b") and pts.labels == ("cat", "dog") and list(pts.y) == [0, 1, 0]
    roundtrip(pts, [[0, 5], [1, 6], [2, 8]])
    assert "column 'kind' is not numeric (line 2: 'cat')" in refused(path, label="b")  # then 'kind' is a feature
    assert refused(path, label="size") == f"{path}: no column 'size'; the columns are 'a', 'kind', 'b'"
    assert refused(write(tmp_path, "0,cat,5\n1,dog,6\n", "bare.csv"), label="kind").endswith(
        "bare.csv: --label needs a header line naming the columns")


def pandas_frame(columns, rows):
    pd = pytest.importorskip("pandas")
    return pd.DataFrame(rows, columns=columns)


def test_pandas_index_column_is_dropped(tmp_path):
    path = tmp_path / "df.csv"
    try:
        import pandas as pd

        pd.DataFrame({"u": [0.5, 1.5, 2.0], "v": [3, 1, 2], "label": ["p", "q", "p"]}).to_csv(path)
    except ImportError:
        path.write_text(",u,v,label\n0,0.5,3,p\n1,1.5,1,q\n2,2.0,2,p\n")
    assert path.read_text().startswith(",u,v,label\n0,")
    pts = loaded(path)
    assert pts.features == ("u", "v") and pts.X.shape == (3, 2) and pts.labels == ("p", "q")
    roundtrip(pts, [[0.5, 3], [1.5, 1], [2.0, 2]])
    # an unnamed first column that is not row numbers is no index: its header needs a name
    assert "column 1 of the header has no name" in refused(write(tmp_path, ",u,label\n0.5,1,a\n2,1,b\n"))


@pytest.mark.parametrize("index", [True, False])
def test_integer_column_names(tmp_path, index):
    rng = np.random.default_rng(1)
    df = pandas_frame(list(range(6)), rng.integers(0, 9, (8, 6)))
    df["label"] = ["one", "two"] * 4  # words under a word: only the integer names tell a header
    path = tmp_path / "ints.csv"
    df.to_csv(path, index=index)
    pts = loaded(path)
    assert pts.features == ("0", "1", "2", "3", "4", "5") and pts.X.shape == (8, 6)
    roundtrip(pts, df.iloc[:, :6].to_numpy())


def test_784_pixel_columns(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (40, 784)) * (rng.random((40, 784)) < 0.3)
    pixels[:, 0] = 0  # a blank corner pixel, as in MNIST
    digits = np.arange(40) % 10
    header = "," + ",".join(str(k) for k in range(784)) + ",label\n"
    body = "".join(f"{i}," + ",".join(map(str, p)) + f",{c}\n" for i, (p, c) in enumerate(zip(pixels, digits)))
    pts = loaded(write(tmp_path, header + body, "mnist.csv"))
    assert pts.X.shape == (40, 784) and pts.features[:2] == ("0", "1") and pts.features[-1] == "783"
    assert pts.labels == tuple(str(c) for c in range(10)) and list(pts.y) == list(digits)
    assert pts.per_column and pts.scale.shape == (784,) and pts.scale[0] == 1.0 and np.isfinite(pts.X).all()
    assert np.abs(pts.X).max() <= 1.0
    roundtrip(pts, pixels)
    bare = "".join(",".join(map(str, p)) + f",{c}\n" for p, c in zip(pixels[:5], "ababa"))  # no header
    pts = loaded(write(tmp_path, bare, "bare.csv"))
    assert pts.X.shape == (5, 784) and pts.features[:2] == ("x1", "x2") and pts.features[-1] == "x784"


def test_a_long_column_list_is_cut_short(tmp_path):
    header = ",".join(str(k) for k in range(784)) + ",label\n"
    message = refused(write(tmp_path, header + ",".join(["1"] * 784) + ",a\n"), label="digit")
    assert message.endswith("no column 'digit'; the columns are '0', '1', '2', '3', '4', '5', ... (785 columns)")


@pytest.mark.parametrize(
    "text,words",
    [
        ("", "p.csv: empty"),
        ("\n# only a comment\n\n", "p.csv: empty"),
        ("x,y,label\n", "p.csv: only a header line, no points"),
        ("x,y,label\n# none\n", "p.csv: only a header line, no points"),
        ("0,0,a\n1,1\n", "p.csv:2: 2 columns, but line 1 has 3"),
        ("x,y,label\n0,0,a\n1,1,b,9\n", "p.csv:3: 4 columns, but line 1 has 3"),
        ("0,0,a\n1,oops,b\n", "p.csv: column 2 is not numeric (line 2: 'oops')"),
        ("x,colour,label\n1,2,a\n# c\n\n1,red,b\n", "p.csv: column 'colour' is not numeric (line 5: 'red')"),
        ("x,y,label\n0,0,a\n1,,b\n", "p.csv: column 'y' has a missing value (line 3: '')"),
        ("x,y,label\n0,0,a\n1,NA,b\n", "p.csv: column 'y' has a missing value (line 3: 'NA')"),
        ("0,0,a\n1,nan,b\n", "p.csv: column 2 has a missing value (line 2: 'nan')"),
        ("0,0,a\n?,1,b\n", "p.csv: column 1 has a missing value (line 2: '?')"),
        ("0,0,a\n1,inf,b\n", "p.csv: column 2 is not a finite number (line 2: 'inf')"),
        ("0,0,a\n1,-1e999,b\n", "p.csv: column 2 is not a finite number (line 2: '-1e999')"),
        ("0,0,a\n1,1, \n", "p.csv: the label (column 3) has a missing value (line 2: '')"),
        ("x,y,species\n0,0,a\n1,1,NA\n", "p.csv: the label column 'species' has a missing value (line 3: 'NA')"),
        ("0,0,a\n1,1,a\n", "p.csv: every point has label 'a': two classes are needed"),
        ("".join(f"{k},0,{chr(97 + k)}\n" for k in range(12)),
         "p.csv: 12 classes ('a', 'b', 'c', 'd', 'e', ...); nntopo draws up to 10 classes"),
        ("5\n", "p.csv:1: expected feature columns and a label: at least 2 columns"),
        ("x,y,x\n0,0,a\n1,1,b\n", "p.csv:1: the header names column 'x' twice"),
        ("x,,label\n0,0,a\n1,1,b\n", "p.csv:1: column 2 of the header has no name"),
        ("0,0,a\n1," + "7" * 200_000 + ",b\n", "p.csv:2: not CSV: field larger than field limit"),
    ],
)
def test_bad_files_are_one_line_naming_file_and_place(tmp_path, text, words):
    assert words in refused(write(tmp_path, text))


def test_too_many_classes_hint_at_label(tmp_path):
    text = "a,b,size\n" + "".join(f"{k},1,{k * 0.5}\n" for k in range(11))
    message = refused(write(tmp_path, text))
    assert "11 classes ('0.0', '0.5', '1.0', '1.5', '2.0', ...); nntopo draws up to 10 classes" in message
    assert "(labels from column 'size'; --label names another)" in message
    assert "draws up to 3 classes" in refused(write(tmp_path, "0,a\n1,b\n2,c\n3,d\n", "q.csv"), max_classes=3)


def test_too_many_features(tmp_path):
    row = ",".join(["0"] * (MAX_FEATURES + 1))
    message = refused(write(tmp_path, f"{row},a\n{row},b\n"))
    assert message == f"{tmp_path / 'p.csv'}:1: 1,025 feature columns; at most 1024 are read"
    pts = loaded(write(tmp_path, f"{row[2:]},a\n{row[2:]},b\n", "max.csv"))
    assert pts.X.shape == (2, MAX_FEATURES) and np.all(pts.X == 0) and np.all(pts.scale == 1)


def test_a_bad_cell_far_down_is_named_by_its_line(tmp_path):
    rows = [f"{k},{k % 5},{k % 2}" for k in range(2500)]
    rows[2100] = "1,x7,0"  # past the first chunks of rows converted in bulk
    message = refused(write(tmp_path, "a,b,c\n" + "\n".join(rows) + "\n"))
    assert message.endswith("column 'b' is not numeric (line 2102: 'x7')")


def test_binary_missing_and_oversized_files(tmp_path, monkeypatch):
    bad = tmp_path / "b.csv"
    bad.write_bytes(b"\xff\xfe\x00\x01")
    assert "not a text file (UTF-8 expected)" in refused(bad)
    with pytest.raises(NntopoError, match="no such file"):
        load_table(tmp_path / "missing.csv")
    monkeypatch.setattr(userdata, "MAX_BYTES", 2**20)
    big = write(tmp_path, "0,0,a\n" * 200_000, "big.csv")  # 1.1 MB
    assert refused(big).endswith("big.csv: 1 MB; a points file holds at most 1 MB")


def test_normalize_one_factor_and_per_column():
    X = np.array([[0.0, 10.0, 5.0], [2.0, 30.0, 5.0], [1.0, 20.0, 5.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Xn, center, scale = normalize(X)
        assert scale.shape == (3,) and np.all(scale == 10.0) and list(center) == [1, 20, 5]
        Xn2, center2, scale2 = normalize(X, per_column=True)
        assert list(scale2) == [1.0, 10.0, 1.0] and list(Xn2[:, 0]) == [-1, 1, 0] and np.all(Xn2[:, 2] == 0)
        assert np.all(normalize(np.ones((4, 2)))[1] == 1) and np.all(normalize(np.ones((4, 2)))[2] == 1)
        huge = np.array([[-1.7e308, 1e-320], [1.7e308, 0.0]])
        for per_column in (False, True):
            Hn, c, s = normalize(huge, per_column)
            assert np.isfinite(Hn).all() and np.abs(Hn).max() == 1.0
    assert np.allclose(Xn * scale + center, X, atol=1e-12) and np.allclose(Xn2 * scale2 + center2, X, atol=1e-12)


def test_too_many_points_are_refused_before_work(tmp_path):
    from nntopo.data.userdata import MAX_POINTS

    path = tmp_path / "many.csv"
    path.write_text("".join(f"{i},{i % 7},{i % 2}\n" for i in range(MAX_POINTS + 1)))
    with pytest.raises(NntopoError, match=f"{MAX_POINTS + 1:,} points; at most {MAX_POINTS:,}"):
        load_table(path)


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
    assert result.stderr.strip() == f"error: {bad}: column 2 is not numeric (line 2: 'x')"
    row = ",".join(["0"] * (MAX_FEATURES + 1))
    wide = write(tmp_path, f"{row},a\n{row},b\n", "wide.csv")
    result = runner.invoke(cli.app, ["render", "--data", str(wide), "-o", str(tmp_path / "v.mp4")])
    assert result.exit_code == 2 and "at most 1024" in result.stderr
    assert not (tmp_path / "v.mp4").exists()
