"""deconflict: multi-party airspace deconfliction.

Layers import downwards only: ``cli``/``api`` -> ``core`` -> ``geo``/``store``.
``geo`` and ``core`` have no web or SQL imports, so they work as a plain library.
"""

__version__ = "0.1.0"
