"""socialcare core: domain model, platform adapters, storage and case logic.

Knows nothing of Lambda, HTTP frameworks or Chalice; adapters in ``functions/``
and ``chalice_config/`` translate to and from it.
"""

__version__ = "0.1.0"
