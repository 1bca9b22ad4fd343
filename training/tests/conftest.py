import os
import sys

for _var in ("OPENBLAS_NUM_THREADS",):
    os.environ.setdefault(_var, "1")
from pathlib import Path

import pytest

TRAINING = Path(__file__).resolve().parents[1]
REPO = TRAINING.parent
sys.path.insert(0, str(TRAINING))


@pytest.fixture(scope="session")
def tiny_set(tmp_path_factory):
    """A tiny synthetic data set: 24 good and 6 defective 64x64 parts."""
    from lineside_train import synth

    out = tmp_path_factory.mktemp("synth")
    synth.write_set(out, 24, 6, size=64, seed=11, progress=False)
    return out


def pytest_configure(config):
    import torch

    # Tiny models: one thread is faster than two fighting over shared cores.
    torch.set_num_threads(1)
