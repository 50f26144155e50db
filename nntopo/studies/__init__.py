"""Studies: grids of networks trained and measured as Dask tasks (the extra nntopo[sweep]).

    sweep    the grid's cells, each a task on a local cluster or a scheduler's
    results  the rows as Parquet or CSV, and the tables and plots read off them
"""


def needs_extra(parquet: bool = True) -> None:
    """A one-line NntopoError when the sweep extra is not installed: dask.distributed, and
    pyarrow for Parquet results."""
    import importlib

    missing = []
    for name in ("distributed", "pyarrow") if parquet else ("distributed",):
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        from ..errors import NntopoError

        raise NntopoError(f"nntopo sweep needs {' and '.join(missing)}: pip install 'nntopo[sweep]'")
