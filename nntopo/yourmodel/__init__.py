"""The user's own trained torch model (torch): traced, read into a Network, recorded exactly.

    trace   the model as a chain of aten operations (torch.export, .pt2, TorchScript)
    read    that chain as a Network: Linear layers and their activations, BatchNorm folded
    record  record(model, X, y): the user's model on their points, as a Recording
"""
