"""Studies: grids of networks trained and measured as Dask tasks (the extra nntopo[sweep]).

    sweep    the grid's cells, each a task on a local cluster or a scheduler's
    results  the rows as Parquet or CSV, and the tables and plots read off them
"""
