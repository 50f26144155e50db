"""The networks as numpy maths: the activation table, the recorded network (dense layers and
vector-field steps), each layer's path from the identity (isotopy) and the invertibility of a
vector-field step. No torch, no manim: everything here is float64 arrays.

    activations  the activation table (numpy, with torch twins imported only when called)
    network      Dense, VectorField, Network
    vectorfield  is x + F(x) invertible: Lipschitz estimate, folds
    isotopy      each layer as paths from the identity in GL+(n): the maths of the video
"""
