"""kefu.realtime"""
