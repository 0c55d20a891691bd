"""Osprey as one application: what has to know every service.

The platform (``services/platform/``) imports no service and the gateway imports
none either; the ``osprey`` command (:mod:`osprey.cli`, also ``python -m osprey``) and
the demo data that spans the services (:mod:`osprey.demo`, composing each service's
own ``demo.py``) live here instead.
"""
