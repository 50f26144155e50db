"""Numbers measured on a recording (numpy, scipy, ripser, scikit-learn).

    metrics   accuracy on fresh points, the Jacobian's stretch, measured at recording time
    topology  Betti numbers by persistent homology, linear separability
    inspect   per layer and stage: det, homeomorphism, separability, Betti numbers, stretch
    report    `nntopo inspect`'s table and JSON
"""
