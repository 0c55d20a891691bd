"""Osprey's HTTP gateway: authentication at the edge, the REST API, the web app."""
