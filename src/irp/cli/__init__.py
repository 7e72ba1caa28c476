"""The ``irp`` command line: thin commands over the service functions (SPEC §6)."""
