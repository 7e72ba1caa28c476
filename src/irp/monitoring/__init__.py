"""irp.monitoring"""
