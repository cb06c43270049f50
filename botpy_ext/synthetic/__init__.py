"""Deterministic synthetic crypto market with planted, labelled episodes (see docs)."""

from botpy_ext.synthetic.generator import generate_market, write_market

__all__ = ["generate_market", "write_market"]
