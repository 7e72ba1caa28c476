"""irp.sandbox"""
