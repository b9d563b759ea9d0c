"""Sweeps: a grid of simulation configs (:mod:`.grid`), one content-addressed result per cell,
run locally or on a Dask cluster; the metrics each family's cells report (:mod:`.metrics`)."""
