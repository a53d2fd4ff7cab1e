"""PYBOSSA API client: a modern `Client` and the legacy pybossa-client 3.0.0 module API."""
