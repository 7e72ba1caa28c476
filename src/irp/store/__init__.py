"""irp.store"""
