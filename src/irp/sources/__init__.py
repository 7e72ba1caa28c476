"""irp.sources"""
