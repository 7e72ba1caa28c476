"""irp.web"""
