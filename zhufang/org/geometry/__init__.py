"""Pure-Python geometry for the jurisdiction tree (no Django, no database).

Modules:

* :mod:`.coords` — GCJ-02 ⇄ WGS-84 conversion and local-projection areas.
* :mod:`.demo_polygons` — deterministic nested demo jurisdictions (bureau → station → district → grid,
  plus townships).
* :mod:`.locate` — vectorised point-in-cell lookup (:class:`~.locate.Locator`).
* :mod:`.validation` — validation of imported jurisdiction polygons and GeoJSON parsing.
"""
