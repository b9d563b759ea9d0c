"""One module per paper figure; each reads saved results and never re-simulates.

A figure module defines ``FIGURES``, a list of :class:`figures.registry.FigureSpec`,
and imports matplotlib only inside its drawing function.
"""
