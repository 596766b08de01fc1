"""randrnn: how the structure of a recurrent network shapes what it can learn."""

__version__ = "0.1.0"
