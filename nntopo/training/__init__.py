"""nntopo's own training (torch): the MLP, full-batch training with restarts, and the recording
that describes it.

    model   the torch network training fits (MLP, VectorFieldLayer) and its initialisation
    loop    fit: full-batch training with restarts; the trained torch network as a Network
    recipe  train_recording: sample the data (or read the CSV), fit, measure, describe
    child   training in a child process, so that the render after it never carries torch
"""
