"""irp.orders"""
