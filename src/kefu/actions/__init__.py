"""kefu.actions"""
