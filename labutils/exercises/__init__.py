"""Registered exercises, one module per notebook (``chNN_<topic>.py``, ids ``"NN.<name>"``).

Importing this package registers them all; a new module must be added to ``MODULES``.
"""

from importlib import import_module

MODULES = ["ch00_welcome", "ch03_forward", "ch03_activations", "ch03_losses",
           "ch03_backprop", "ch03_optimizers", "ch03_attention", "ch03_autoencoder"]

for _name in MODULES:
    import_module(f"labutils.exercises.{_name}")
