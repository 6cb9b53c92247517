"""kefu.nlu"""
