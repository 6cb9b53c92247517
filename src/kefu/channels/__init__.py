"""kefu.channels"""
