"""irp.jobs"""
