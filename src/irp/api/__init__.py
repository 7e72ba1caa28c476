"""irp.api"""
