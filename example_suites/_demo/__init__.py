"""The demo stack the example suites run against: not part of the installed package.

``deployready demo`` (from a source checkout) imports :mod:`_demo.runner`; the stack launcher
(:mod:`_demo.stack`) serves :mod:`_demo.app` with ``python -m _demo.app``. This file imports
nothing, so running the app as a module loads it once (no import loop).
"""
