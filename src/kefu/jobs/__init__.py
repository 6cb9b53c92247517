"""kefu.jobs"""
