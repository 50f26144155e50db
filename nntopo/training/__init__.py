"""nntopo's own training (torch): the MLP, full-batch training with restarts, and the recording
that describes it.

    model   the torch network training fits (MLP, VectorFieldLayer) and its initialisation
    record  full-batch training with restarts, and train_dataset / train_points / train_csv,
            which make a recording
    child   training in a child process, so that the render after it never carries torch
"""
