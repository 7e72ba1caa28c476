"""irp.shipments"""
