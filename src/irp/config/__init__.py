"""irp.config"""
