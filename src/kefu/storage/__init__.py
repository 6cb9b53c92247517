"""kefu.storage"""
