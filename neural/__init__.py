"""PyTorch neural optimizers (dual, primal, 2PRR); consume the physics of smatrix/."""
