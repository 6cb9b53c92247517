"""kefu.domain"""
