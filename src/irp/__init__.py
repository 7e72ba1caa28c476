"""IRP: the integration hub between a refurbished-electronics marketplace and its
drop-ship suppliers ("refurbishers").

Data flows one way: ``config`` -> ``sources`` -> ``feeds`` -> ``store`` for offers, and
``orders`` -> supplier API -> ``store`` for orders. The CLI, the HTTP API and the job
queue are thin shells over the same service functions.
"""

__version__ = "0.1.0"
