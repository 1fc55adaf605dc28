"""labutils: the helpers every Large Models Lab (大模型实验室) notebook shares.

Import is cheap: heavy modules (TensorFlow, pandas) load only when a submodule that needs
them is used. Start every notebook with ``info = labutils.setup(seed=SEED)``.
"""

from __future__ import annotations

from labutils import _tfenv  # noqa: F401  (TF/Keras environment, before any TF import)
from labutils.env import EnvInfo, setup

__version__ = "0.1.0"
__all__ = ["EnvInfo", "setup", "__version__"]
