"""Small CNNs on MNIST with checked accuracy targets."""

from .threads import set_wait_policy

set_wait_policy()  # before anything imports torch: OpenMP reads its wait policy when torch loads it
