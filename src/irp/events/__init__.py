"""irp.events: the order-event outbox, read with a cursor and pushed to the marketplace."""
