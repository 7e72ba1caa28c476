"""irp.feeds"""
