"""kefu.web"""
