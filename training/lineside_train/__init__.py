"""lineside trainer: autoencoders learned from good parts only, exported as self-describing ONNX.

The model contract (preprocessing, scores, calibration, metadata) is training/CONTRACT.md.
"""

import os as _os

# The matrices here are small (image rows x resize weights); a multi-threaded BLAS only spins
# and fights PyTorch for the cores (numpy wheels use OpenBLAS). Set before numpy loads.
for _var in ("OPENBLAS_NUM_THREADS",):
    _os.environ.setdefault(_var, "1")

__version__ = "1.0.0"
