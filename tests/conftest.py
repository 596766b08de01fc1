"""Fixtures shared by test folders."""

import pytest
import torch


@pytest.fixture(scope="module")
def one_thread():
    """One torch thread, as the workers train: `fit`, the reference, is far slower with two
    threads on a shared 2-core machine. A module asks for it with
    ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
