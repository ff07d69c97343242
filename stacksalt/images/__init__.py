"""docker-salt: the service images, built by the formulas, rebuilt exactly when an input
changes; the local registry they are pushed to."""
