"""The data a network is trained on or carried through: the essay's datasets (numpy, seeded)
and the user's own CSV points, checked line by line.

    datasets  the registry, its samplers and input windows
    userdata  a CSV of points, read as hostile input
"""
