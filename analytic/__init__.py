"""Closed forms derived with sympy: exact, no sampling.

Each derived quantity is a function returning a sympy expression built from
symbols with assumptions; numeric values come from those expressions (mpmath,
any precision), never from a second hand-typed copy.

This package never imports ``simulate``, ``proofs``, ``figures`` or ``llm``.
"""
