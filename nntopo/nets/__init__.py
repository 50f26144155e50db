"""The networks as numpy maths: the activation table, the recorded network (dense layers,
vector-field steps, residual blocks, neural ODEs), each layer's path from the identity (isotopy),
the invertibility of a step x + F(x) and the replay of torchdiffeq's solvers. No torch, no manim:
everything here is float64 arrays.

    activations  the activation table (numpy, with torch twins imported only when called)
    network      Dense, VectorField, Residual, ODE, Network
    solvers      torchdiffeq's odeint methods in numpy: a neural ODE's flow at many times in one pass
    vectorfield  is x + F(x) invertible: Lipschitz estimate, folds
    isotopy      each layer as paths from the identity in GL+(n): the maths of the video
    reduce       a wide input carried exactly in few dimensions
"""
