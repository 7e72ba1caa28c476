"""One router per resource; :mod:`irp.api.app` lists which go under ``/api``."""
