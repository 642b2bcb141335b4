"""Backprop Lab: watch a neural network learn, live in the browser."""

from __future__ import annotations

__version__ = "0.1.0"
